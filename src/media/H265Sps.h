#pragma once
// Minimal H.265 VPS and SPS parsers (ITU-T H.265 §7.3.2.1, §7.3.2.2, §7.3.3): enough for the
// SDP answer (profile-id, tier-flag, level-id) and for logs and the API (coded size after
// the conformance window). Nothing after bit_depth_chroma is read. No allocation.
#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice::media {

// The general_* part of profile_tier_level().
struct H265ProfileTierLevel {
  uint8_t profileSpace = 0;
  bool tierFlag = false;   // false: Main tier, true: High tier
  uint8_t profileIdc = 0;  // 1 Main, 2 Main 10, 3 Main Still Picture, 4 Range Extensions...
  uint32_t compatibilityFlags = 0;
  uint8_t constraintFlags[6] = {};  // progressive/interlaced/... and the 43+1 reserved bits
  uint8_t levelIdc = 0;             // 30 x level: 93 = 3.1, 120 = 4, 153 = 5.1
};

struct H265VpsInfo {
  uint8_t vpsId = 0;
  uint8_t maxSubLayers = 1;
  H265ProfileTierLevel ptl;
};

struct H265SpsInfo {
  uint8_t vpsId = 0;
  uint8_t maxSubLayers = 1;
  H265ProfileTierLevel ptl;
  uint32_t spsId = 0;
  uint32_t chromaFormatIdc = 1;
  uint32_t codedWidth = 0, codedHeight = 0;  // pic_width/height_in_luma_samples
  uint32_t width = 0, height = 0;            // after the conformance window
  uint32_t bitDepthLuma = 8, bitDepthChroma = 8;
};

enum class H265PsError {
  None,
  WrongType,  // shorter than a NAL header, or not a VPS/SPS
  Truncated,  // ran out of bits before the last field read
  BadValue,   // a field outside the range the standard allows
};
const char* describe(H265PsError error);

// `nal` is the whole NAL unit including its 2-byte header, still escaped (as carried in RTP).
H265PsError parseH265Vps(const uint8_t* nal, size_t size, H265VpsInfo& info);
H265PsError parseH265Sps(const uint8_t* nal, size_t size, H265SpsInfo& info);

// RFC 7798 §7.1 fmtp parameters naming the stream's profile, tier and level, e.g.
// "profile-id=1;tier-flag=0;level-id=93" (what an SDP answer echoes).
std::string h265FmtpProfile(const H265ProfileTierLevel& ptl);
// For logs, e.g. "Main, level 3.1, Main tier".
std::string describeProfile(const H265ProfileTierLevel& ptl);
// The profile's name ("Main", "Main 10"...), nullptr for a general_profile_idc Annex A does not name.
const char* h265ProfileName(uint8_t profileIdc);
// The level as written: 93 -> "3.1", 120 -> "4".
std::string h265LevelName(uint8_t levelIdc);

}  // namespace sluice::media
