#include "media/H265Sps.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes fromHex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Written by libx265 (ffmpeg testsrc2): 1920x1080 Main (coded 1920x1088 with a conformance
// window), and 1280x720 Main 10.
const Bytes kVps1080 = fromHex("40010c01ffff016000000300900000030000030078959409");
const Bytes kSps1080 = fromHex(
    "420101016000000300900000030000030078a003c0801107cb965654a4c2f0168080000003008000000504");
const Bytes kVps720 = fromHex("40010c01ffff02200000030090000003000003005d959409");
const Bytes kSps720 = fromHex(
    "42010102200000030090000003000003005da00280802d136595952930bc05a02000000300200000030141");

}  // namespace

TEST(H265Sps, ParsesMainProfile1080p) {
  H265SpsInfo s;
  ASSERT_EQ(parseH265Sps(kSps1080.data(), kSps1080.size(), s), H265PsError::None);
  EXPECT_EQ(s.ptl.profileIdc, 1);
  EXPECT_FALSE(s.ptl.tierFlag);
  EXPECT_EQ(s.ptl.levelIdc, 120);
  EXPECT_EQ(s.chromaFormatIdc, 1u);
  EXPECT_EQ(s.codedWidth, 1920u);
  EXPECT_EQ(s.codedHeight, 1088u);
  EXPECT_EQ(s.width, 1920u);
  EXPECT_EQ(s.height, 1080u);
  EXPECT_EQ(s.bitDepthLuma, 8u);
  EXPECT_EQ(h265FmtpProfile(s.ptl), "profile-id=1;tier-flag=0;level-id=120");
  EXPECT_EQ(describeProfile(s.ptl), "Main, level 4, Main tier");
}

TEST(H265Sps, ParsesMain10And720p) {
  H265SpsInfo s;
  ASSERT_EQ(parseH265Sps(kSps720.data(), kSps720.size(), s), H265PsError::None);
  EXPECT_EQ(s.ptl.profileIdc, 2);
  EXPECT_EQ(s.ptl.levelIdc, 93);
  EXPECT_EQ(s.width, 1280u);
  EXPECT_EQ(s.height, 720u);
  EXPECT_EQ(s.bitDepthLuma, 10u);
  EXPECT_EQ(s.bitDepthChroma, 10u);
  EXPECT_EQ(describeProfile(s.ptl), "Main 10, level 3.1, Main tier");
}

TEST(H265Vps, ParsesProfileTierLevel) {
  H265VpsInfo v;
  ASSERT_EQ(parseH265Vps(kVps1080.data(), kVps1080.size(), v), H265PsError::None);
  EXPECT_EQ(v.ptl.profileIdc, 1);
  EXPECT_EQ(v.ptl.levelIdc, 120);
  EXPECT_EQ(v.maxSubLayers, 1);
  EXPECT_EQ(v.ptl.compatibilityFlags, 0x60000000u);
  ASSERT_EQ(parseH265Vps(kVps720.data(), kVps720.size(), v), H265PsError::None);
  EXPECT_EQ(v.ptl.profileIdc, 2);
  EXPECT_EQ(v.ptl.levelIdc, 93);
}

TEST(H265Sps, RejectsWrongTypes) {
  H265SpsInfo s;
  H265VpsInfo v;
  EXPECT_EQ(parseH265Sps(kVps1080.data(), kVps1080.size(), s), H265PsError::WrongType);
  EXPECT_EQ(parseH265Vps(kSps1080.data(), kSps1080.size(), v), H265PsError::WrongType);
  EXPECT_EQ(parseH265Sps(kSps1080.data(), 2, s), H265PsError::WrongType);
  EXPECT_EQ(parseH265Sps(nullptr, 0, s), H265PsError::WrongType);
}

TEST(H265Sps, EveryTruncationIsReportedNeverMisread) {
  for (size_t n = 3; n < kSps1080.size(); ++n) {
    H265SpsInfo s;
    H265PsError e = parseH265Sps(kSps1080.data(), n, s);
    if (e == H265PsError::None) {
      // Only the trailing VUI-ish bytes may be cut: the fields read must be the full ones.
      EXPECT_EQ(s.width, 1920u) << n;
      EXPECT_EQ(s.height, 1080u) << n;
    } else {
      EXPECT_NE(e, H265PsError::WrongType) << n;
    }
  }
  for (size_t n = 3; n < 19; ++n) {
    H265SpsInfo s;
    EXPECT_EQ(parseH265Sps(kSps1080.data(), n, s), H265PsError::Truncated) << n;
  }
  for (size_t n = 3; n < 21; ++n) {
    H265VpsInfo v;
    EXPECT_EQ(parseH265Vps(kVps1080.data(), n, v), H265PsError::Truncated) << n;
  }
}

TEST(H265Sps, RejectsOutOfRangeValues) {
  H265SpsInfo s;
  Bytes sps = kSps1080;
  sps[2] = 0x0f;  // sps_max_sub_layers_minus1 = 7
  EXPECT_EQ(parseH265Sps(sps.data(), sps.size(), s), H265PsError::BadValue);
  Bytes vps = kVps1080;
  vps[3] = 0x0f;  // vps_max_sub_layers_minus1 = 7
  H265VpsInfo v;
  EXPECT_EQ(parseH265Vps(vps.data(), vps.size(), v), H265PsError::BadValue);
  // The NAL header, byte 2 and the escaped profile_tier_level take 18 bytes; sps_id follows.
  Bytes badChroma(kSps1080.begin(), kSps1080.begin() + 18);
  badChroma.push_back(0x97);  // 1 | 00101 | 11 -> sps_id 0, chroma_format_idc 4
  badChroma.push_back(0xff);
  EXPECT_EQ(parseH265Sps(badChroma.data(), badChroma.size(), s), H265PsError::BadValue);
  // Width 0: sps_id 0 (1), chroma 1 (010), width ue 0 (1), height ue 0 (1), no window (0), depths 0 (1 1).
  Bytes zeroWidth(kSps1080.begin(), kSps1080.begin() + 18);
  zeroWidth.push_back(0xad);  // 1 010 1 1 0 1
  zeroWidth.push_back(0x80);
  EXPECT_EQ(parseH265Sps(zeroWidth.data(), zeroWidth.size(), s), H265PsError::BadValue);
  EXPECT_STRNE(describe(H265PsError::BadValue), describe(H265PsError::Truncated));
}
