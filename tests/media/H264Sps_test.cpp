#include "media/H264Sps.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/H264BitReader.h"

using namespace sluice::media;

namespace {

// SPS NAL units produced by libx264 (ffmpeg testsrc2, 2 frames).
const std::vector<uint8_t> kHigh1080 = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02,
                                        0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
                                        0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc6, 0x58};
const std::vector<uint8_t> kBaseline1080 = {0x67, 0x42, 0xc0, 0x28, 0xd9, 0x00, 0x78, 0x02, 0x27,
                                            0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00,
                                            0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc9, 0x20};
const std::vector<uint8_t> kMain720 = {0x67, 0x4d, 0x40, 0x1f, 0xec, 0xa0, 0x28, 0x02, 0xdd,
                                       0x80, 0x88, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00,
                                       0x03, 0x01, 0xe0, 0x78, 0xc1, 0x8c, 0xb0};
const std::vector<uint8_t> kHigh1000x562 = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0xfc, 0x12,
                                            0x79, 0x62, 0x30, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01,
                                            0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x18, 0x31, 0x96};
const std::vector<uint8_t> kHigh444_642x480 = {0x67, 0xf4, 0x00, 0x1e, 0x91, 0x9b, 0x28, 0x14, 0x87,
                                               0xbc, 0x7f, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00, 0x08,
                                               0x00, 0x00, 0x03, 0x01, 0xe0, 0x78, 0xb1, 0x6c, 0xb0};
const std::vector<uint8_t> kInterlaced1080 = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x04,
                                              0x4f, 0xde, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x20,
                                              0x00, 0x00, 0x07, 0x83, 0xe2, 0xc5, 0xb2, 0xc0};

// Builds RBSP bit by bit, then escapes it into a NAL unit.
class BitWriter {
 public:
  void bits(uint32_t value, int n) {
    for (int i = n - 1; i >= 0; --i) bit((value >> i) & 1);
  }
  void bit(uint32_t b) {
    if (used_ == 0) bytes_.push_back(0);
    if (b) bytes_.back() |= static_cast<uint8_t>(0x80 >> used_);
    used_ = (used_ + 1) % 8;
  }
  void ue(uint32_t v) {
    uint64_t x = uint64_t{v} + 1;
    int len = 0;
    while ((x >> len) > 1) ++len;
    bits(0, len);
    for (int i = len; i >= 0; --i) bit((x >> i) & 1);
  }
  void se(int32_t v) { ue(v > 0 ? 2 * v - 1 : -2 * v); }
  std::vector<uint8_t> nal(uint8_t header) {
    bit(1);  // rbsp_stop_one_bit
    while (used_ != 0) bit(0);
    std::vector<uint8_t> out = {header};
    int zeros = 0;
    for (uint8_t b : bytes_) {
      if (zeros >= 2 && b <= 3) {
        out.push_back(3);
        zeros = 0;
      }
      out.push_back(b);
      zeros = b == 0 ? zeros + 1 : 0;
    }
    return out;
  }

 private:
  std::vector<uint8_t> bytes_;
  int used_ = 0;
};

struct SpsFields {
  uint8_t profile = 100;
  uint32_t spsId = 0;
  uint32_t chroma = 1;
  bool scalingLists = false;
  int32_t badScalingDelta = 0;
  uint32_t pocType = 0;
  uint32_t widthMbs = 120, heightUnits = 68;
  bool frameMbsOnly = true;
  bool crop = false;
  uint32_t cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
};

std::vector<uint8_t> buildSps(const SpsFields& f) {
  BitWriter w;
  w.bits(f.profile, 8);
  w.bits(0, 8);
  w.bits(40, 8);
  w.ue(f.spsId);
  if (f.profile == 100) {
    w.ue(f.chroma);
    if (f.chroma == 3) w.bit(0);
    w.ue(0);
    w.ue(0);
    w.bit(0);
    w.bit(f.scalingLists);
    if (f.scalingLists) {
      for (int i = 0; i < 8; ++i) {
        bool present = i == 0 || i == 6;
        w.bit(present);
        if (!present) continue;
        if (f.badScalingDelta != 0) {
          w.se(f.badScalingDelta);
          continue;
        }
        if (i == 0) {
          for (int j = 0; j < 16; ++j) w.se(j % 2 ? 3 : -2);  // a full list of deltas
        } else {
          w.se(-8);  // nextScale 0 at j == 0: "use the default list"
        }
      }
    }
  }
  w.ue(0);  // log2_max_frame_num_minus4
  w.ue(f.pocType);
  if (f.pocType == 0) w.ue(2);
  if (f.pocType == 1) {
    w.bit(0);
    w.se(-1);
    w.se(2);
    w.ue(2);
    w.se(5);
    w.se(-7);
  }
  w.ue(4);  // max_num_ref_frames
  w.bit(0);
  w.ue(f.widthMbs - 1);
  w.ue(f.heightUnits - 1);
  w.bit(f.frameMbsOnly);
  if (!f.frameMbsOnly) w.bit(1);
  w.bit(1);
  w.bit(f.crop);
  if (f.crop) {
    w.ue(f.cropLeft);
    w.ue(f.cropRight);
    w.ue(f.cropTop);
    w.ue(f.cropBottom);
  }
  w.bit(0);  // vui_parameters_present_flag
  return w.nal(0x67);
}

H264SpsInfo parseOk(const std::vector<uint8_t>& sps) {
  H264SpsInfo info;
  SpsError e = parseSps(sps.data(), sps.size(), info);
  EXPECT_EQ(e, SpsError::None) << describe(e);
  return info;
}

SpsError parseError(const std::vector<uint8_t>& sps) {
  H264SpsInfo info;
  return parseSps(sps.data(), sps.size(), info);
}

}  // namespace

TEST(H264Sps, RealX264High1080p) {
  H264SpsInfo info = parseOk(kHigh1080);
  EXPECT_EQ(info.profileIdc, 100);
  EXPECT_EQ(info.levelIdc, 40);
  EXPECT_EQ(info.chromaFormatIdc, 1u);
  EXPECT_EQ(info.width, 1920u);
  EXPECT_EQ(info.height, 1080u);  // 1088 coded, 8 rows cropped
}

TEST(H264Sps, RealX264BaselineMainOddAnd444) {
  H264SpsInfo base = parseOk(kBaseline1080);
  EXPECT_EQ(base.profileIdc, 66);
  EXPECT_EQ(base.width, 1920u);
  EXPECT_EQ(base.height, 1080u);
  H264SpsInfo main = parseOk(kMain720);
  EXPECT_EQ(main.profileIdc, 77);
  EXPECT_EQ(main.width, 1280u);
  EXPECT_EQ(main.height, 720u);
  H264SpsInfo odd = parseOk(kHigh1000x562);
  EXPECT_EQ(odd.width, 1000u);
  EXPECT_EQ(odd.height, 562u);
  H264SpsInfo full = parseOk(kHigh444_642x480);
  EXPECT_EQ(full.profileIdc, 244);
  EXPECT_EQ(full.chromaFormatIdc, 3u);
  EXPECT_EQ(full.width, 642u);  // 4:4:4 crops in single pixels
  EXPECT_EQ(full.height, 480u);
  H264SpsInfo interlaced = parseOk(kInterlaced1080);
  EXPECT_FALSE(interlaced.frameMbsOnly);
  EXPECT_EQ(interlaced.width, 1920u);
  EXPECT_EQ(interlaced.height, 1080u);
}

TEST(H264Sps, ScalingListsPocType1AndCropping) {
  SpsFields f;
  f.scalingLists = true;
  f.pocType = 1;
  f.crop = true;
  f.cropLeft = 2;
  f.cropRight = 2;
  f.cropBottom = 4;
  H264SpsInfo info = parseOk(buildSps(f));
  EXPECT_EQ(info.width, 1920u - 8);
  EXPECT_EQ(info.height, 1088u - 8);
}

TEST(H264Sps, FieldCodingDoublesHeightAndCropUnit) {
  SpsFields f;
  f.frameMbsOnly = false;
  f.heightUnits = 34;
  f.crop = true;
  f.cropBottom = 2;  // 2 * SubHeightC(2) * 2 = 8 rows
  H264SpsInfo info = parseOk(buildSps(f));
  EXPECT_EQ(info.height, 1080u);
}

TEST(H264Sps, MonochromeCropsInPixels) {
  SpsFields f;
  f.chroma = 0;
  f.crop = true;
  f.cropRight = 3;
  f.cropBottom = 8;
  H264SpsInfo info = parseOk(buildSps(f));
  EXPECT_EQ(info.width, 1917u);
  EXPECT_EQ(info.height, 1080u);
}

TEST(H264Sps, RejectsTruncatedAtEveryLength) {
  // The fields this parser reads end in the 11th byte; the VUI after them is not needed.
  for (size_t n = 1; n <= kHigh1080.size(); ++n) {
    std::vector<uint8_t> prefix(kHigh1080.begin(), kHigh1080.begin() + n);
    EXPECT_EQ(parseError(prefix), n < 11 ? SpsError::Truncated : SpsError::None) << n;
  }
}

TEST(H264Sps, RejectsMalformed) {
  EXPECT_EQ(parseError({}), SpsError::NotSps);
  EXPECT_EQ(parseError({0x68, 0xeb, 0xe3, 0xcb}), SpsError::NotSps);
  EXPECT_EQ(parseError(std::vector<uint8_t>(40, 0)), SpsError::NotSps);
  std::vector<uint8_t> zeros(40, 0);
  zeros[0] = 0x67;
  EXPECT_NE(parseError(zeros), SpsError::None);  // ue(v) with more than 31 leading zeros

  SpsFields f;
  f.spsId = 32;
  EXPECT_EQ(parseError(buildSps(f)), SpsError::BadValue);
  f = {};
  f.chroma = 4;
  EXPECT_EQ(parseError(buildSps(f)), SpsError::BadValue);
  f = {};
  f.pocType = 3;
  EXPECT_EQ(parseError(buildSps(f)), SpsError::BadValue);
  f = {};
  f.scalingLists = true;
  f.badScalingDelta = 200;
  EXPECT_EQ(parseError(buildSps(f)), SpsError::BadValue);
  f = {};
  f.crop = true;
  f.cropRight = 960;  // 1920 pixels: nothing left
  EXPECT_EQ(parseError(buildSps(f)), SpsError::BadValue);
  f = {};
  f.widthMbs = 5000;
  EXPECT_EQ(parseError(buildSps(f)), SpsError::BadValue);
  EXPECT_STREQ(describe(SpsError::Truncated), "SPS truncated");
}

TEST(H264BitReader, SkipsEmulationPreventionBytes) {
  const uint8_t data[] = {0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03};
  H264BitReader r(data, sizeof data);
  EXPECT_EQ(r.readBits(24), 0x000001u);
  EXPECT_EQ(r.readBits(16), 0u);
  EXPECT_FALSE(r.failed());
  r.readBit();  // the trailing 03 was an escape: nothing left
  EXPECT_TRUE(r.failed());
}

TEST(H264BitReader, ReadsExpGolomb) {
  BitWriter w;
  for (uint32_t v : {0u, 1u, 2u, 7u, 255u, 65535u, 0xfffffffeu}) w.ue(v);
  for (int32_t v : {0, 1, -1, 100, -100}) w.se(v);
  auto nal = w.nal(0);
  H264BitReader r(nal.data() + 1, nal.size() - 1);
  for (uint32_t v : {0u, 1u, 2u, 7u, 255u, 65535u, 0xfffffffeu}) EXPECT_EQ(r.readUe(), v);
  for (int32_t v : {0, 1, -1, 100, -100}) EXPECT_EQ(r.readSe(), v);
  EXPECT_FALSE(r.failed());
}
