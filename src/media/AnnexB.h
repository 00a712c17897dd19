#pragma once
// H.264 Annex B byte streams: splitting into NAL units and grouping NAL units into access
// units (§7.4.1.2.3). Used to loop clip files and by tests; spans point into the input.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::media {

struct NalUnitSpan {
  const uint8_t* data = nullptr;  // starts with the NAL header byte
  size_t size = 0;
};

// Iterates the NAL units of an Annex B stream, accepting 3- and 4-byte start codes. Bytes
// before the first start code are skipped, trailing zero bytes (the next 4-byte start code,
// trailing_zero_8bits) are not part of a NAL unit, and empty NAL units are skipped.
class AnnexBReader {
 public:
  AnnexBReader(const uint8_t* data, size_t size);
  bool next(NalUnitSpan& nal);

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_;  // first byte after the current start code; size_ when done
};

std::vector<NalUnitSpan> splitAnnexB(const uint8_t* data, size_t size);

// Finds access unit boundaries in a sequence of NAL units in decoding order. A new access
// unit starts at an AUD, SPS, PPS, SEI or type 14..18 NAL unit that follows a slice, or at a
// slice whose first_mb_in_slice is 0 that follows a slice.
class AccessUnitSplitter {
 public:
  // Returns true when `nal` begins a new access unit: the NAL units fed before it are then
  // a complete access unit. The very first NAL unit returns false.
  bool startsNewAccessUnit(const NalUnitSpan& nal);
  void reset() { sawSlice_ = false; }

 private:
  bool sawSlice_ = false;  // the current access unit already has a slice
};

// Whole-stream convenience: the NAL units of each access unit, in order.
std::vector<std::vector<NalUnitSpan>> splitAccessUnits(const uint8_t* data, size_t size);

}  // namespace sluice::media
