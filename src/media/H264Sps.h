#pragma once
// Minimal sequence parameter set parser (H.264 §7.3.2.1.1): enough to know the coded
// picture size, profile and level. VUI is not parsed. No allocation.
#include <cstddef>
#include <cstdint>

namespace sluice::media {

struct H264SpsInfo {
  uint8_t profileIdc = 0, constraintFlags = 0, levelIdc = 0;
  uint32_t spsId = 0;
  uint32_t chromaFormatIdc = 1;  // 4:2:0 unless a high profile says otherwise
  uint32_t bitDepthLuma = 8, bitDepthChroma = 8;
  bool frameMbsOnly = true;
  uint32_t width = 0, height = 0;  // after frame cropping
};

enum class SpsError {
  None,
  NotSps,     // empty or NAL type is not 7
  Truncated,  // ran out of bits before the cropping fields
  BadValue,   // a field is outside the range the standard allows
};
const char* describe(SpsError error);

// `nal` is the whole NAL unit including its header byte, still escaped (as carried in RTP).
SpsError parseSps(const uint8_t* nal, size_t size, H264SpsInfo& info);

}  // namespace sluice::media
