#pragma once
// H.264 NAL unit vocabulary (ITU-T H.264 §7.4.1, RFC 6184 §5) and SDP parameter-set helpers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::media {

namespace h264 {
constexpr uint8_t kSlice = 1;
constexpr uint8_t kIdr = 5;
constexpr uint8_t kSei = 6;
constexpr uint8_t kSps = 7;
constexpr uint8_t kPps = 8;
constexpr uint8_t kAud = 9;
// RTP aggregation/fragmentation types (RFC 6184 §5.2).
constexpr uint8_t kStapA = 24;
constexpr uint8_t kStapB = 25;
constexpr uint8_t kMtap16 = 26;
constexpr uint8_t kMtap24 = 27;
constexpr uint8_t kFuA = 28;
constexpr uint8_t kFuB = 29;

constexpr uint8_t kTypeMask = 0x1f;
constexpr uint8_t kFuStart = 0x80;
constexpr uint8_t kFuEnd = 0x40;

inline uint8_t nalType(uint8_t header) { return header & kTypeMask; }
// Coded slice NAL units (types 1..5) carry picture data.
inline bool isVcl(uint8_t type) { return type >= 1 && type <= 5; }
// Types 1..23 are whole NAL units when they appear as an RTP payload.
inline bool isSingleNal(uint8_t type) { return type >= 1 && type <= 23; }
inline bool isParameterSet(uint8_t type) { return type == kSps || type == kPps; }
}  // namespace h264

struct H264ParameterSets {
  std::vector<uint8_t> sps, pps;  // whole NAL units, header byte included
};

// Parses SDP fmtp sprop-parameter-sets: comma-separated base64 NAL units. Keeps the first
// SPS and the first PPS; other NAL types and empty items are ignored. Fails (with a reason in
// `error`) on bad base64, an empty NAL unit, or when the SPS or PPS is missing.
bool parseSpropParameterSets(std::string_view value, H264ParameterSets& sets, std::string& error);

// SDP profile-level-id: profile_idc, constraint flags and level_idc of the SPS as 6 lowercase
// hex characters. Empty when the SPS is shorter than 4 bytes.
std::string profileLevelIdOf(const uint8_t* sps, size_t size);
inline std::string profileLevelIdOf(const std::vector<uint8_t>& sps) {
  return profileLevelIdOf(sps.data(), sps.size());
}

}  // namespace sluice::media
