#pragma once
// MSB-first bit reader over plain bytes (no emulation prevention: MPEG-4 Audio configs and
// LATM/RFC 3640 headers). Reading past the end yields zero bits and sets a sticky failure
// flag, which the caller checks once after a bounded sequence of reads.
#include <cstddef>
#include <cstdint>

namespace sluice::media {

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), bits_(size * 8) {}

  bool failed() const { return failed_; }
  size_t position() const { return pos_; }  // in bits
  size_t bitsLeft() const { return pos_ < bits_ ? bits_ - pos_ : 0; }

  uint32_t readBit() {
    if (pos_ >= bits_) {
      failed_ = true;
      return 0;
    }
    uint32_t bit = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    return bit;
  }

  // n <= 32
  uint32_t readBits(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | readBit();
    return v;
  }

  void skipBits(size_t n) {
    if (n > bitsLeft()) {
      failed_ = true;
      pos_ = bits_;
      return;
    }
    pos_ += n;
  }

  // Moves to a bit position already within the data (e.g. to re-read a field).
  void seek(size_t position) { pos_ = position < bits_ ? position : bits_; }

  void alignToByte() { pos_ = (pos_ + 7) & ~size_t{7}; }

 private:
  const uint8_t* data_;
  size_t bits_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace sluice::media
