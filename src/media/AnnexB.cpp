#include "media/AnnexB.h"

#include <algorithm>
#include <cstdint>

#include "media/H264.h"

namespace sluice::media {

namespace {

constexpr size_t kNotFound = SIZE_MAX;

// Position just after the next 00 00 01 at or after `from`, or kNotFound.
size_t afterStartCode(const uint8_t* data, size_t size, size_t from) {
  for (size_t i = from; i + 3 <= size; ++i) {
    if (data[i + 2] > 1) {
      i += 2;  // no start code can end at i+2 or contain it: skip ahead
      continue;
    }
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) return i + 3;
  }
  return kNotFound;
}

}  // namespace

AnnexBReader::AnnexBReader(const uint8_t* data, size_t size)
    : data_(data), size_(size), pos_(std::min(afterStartCode(data, size, 0), size)) {}

bool AnnexBReader::next(NalUnitSpan& nal) {
  while (pos_ < size_) {
    size_t start = pos_;
    size_t nextPayload = afterStartCode(data_, size_, start);
    size_t end = nextPayload == kNotFound ? size_ : nextPayload - 3;
    pos_ = std::min(nextPayload, size_);
    while (end > start && data_[end - 1] == 0) --end;
    if (end > start) {
      nal = {data_ + start, end - start};
      return true;
    }
  }
  return false;
}

std::vector<NalUnitSpan> splitAnnexB(const uint8_t* data, size_t size) {
  std::vector<NalUnitSpan> nals;
  AnnexBReader reader(data, size);
  NalUnitSpan nal;
  while (reader.next(nal)) nals.push_back(nal);
  return nals;
}

bool AccessUnitSplitter::startsNewAccessUnit(const NalUnitSpan& nal) {
  uint8_t type = h264::nalType(nal.data[0]);
  bool boundary = false;
  if (sawSlice_) {
    if (h264::isVcl(type)) {
      // first_mb_in_slice is the first ue(v) after the header; it is 0 iff its first bit is 1.
      boundary = nal.size >= 2 && (nal.data[1] & 0x80) != 0;
    } else {
      boundary = type == h264::kAud || type == h264::kSps || type == h264::kPps || type == h264::kSei ||
                 (type >= 14 && type <= 18);
    }
  }
  if (boundary) sawSlice_ = false;
  if (h264::isVcl(type)) sawSlice_ = true;
  return boundary;
}

std::vector<std::vector<NalUnitSpan>> splitAccessUnits(const uint8_t* data, size_t size) {
  std::vector<std::vector<NalUnitSpan>> units;
  AccessUnitSplitter splitter;
  AnnexBReader reader(data, size);
  NalUnitSpan nal;
  while (reader.next(nal)) {
    bool boundary = splitter.startsNewAccessUnit(nal);
    if (boundary || units.empty()) units.emplace_back();
    units.back().push_back(nal);
  }
  return units;
}

}  // namespace sluice::media
