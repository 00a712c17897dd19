#pragma once
// MSB-first bit reader over an escaped NAL unit payload: drops emulation-prevention bytes
// (00 00 03) on the fly, so RBSP fields can be read without copying. Reading past the end
// yields zero bits and sets a sticky failure flag, which the caller checks once at the end
// (every loop it drives is bounded, so reading on after a failure is harmless).
#include <cstddef>
#include <cstdint>

namespace sluice::media {

class H264BitReader {
 public:
  H264BitReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool failed() const { return failed_; }

  uint32_t readBit() {
    if (bitsLeft_ == 0 && !loadByte()) {
      failed_ = true;
      return 0;
    }
    --bitsLeft_;
    return (current_ >> bitsLeft_) & 1;
  }

  // n <= 32
  uint32_t readBits(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | readBit();
    return v;
  }

  // Unsigned exp-Golomb ue(v). More than 31 leading zeros cannot be a valid 32-bit value.
  uint32_t readUe() {
    int zeros = 0;
    while (readBit() == 0) {
      if (failed_ || ++zeros > 31) {
        failed_ = true;
        return 0;
      }
    }
    if (zeros == 0) return 0;
    return static_cast<uint32_t>((uint64_t{1} << zeros) - 1 + readBits(zeros));
  }

  // Signed exp-Golomb se(v): 1, 2, 3, 4 ... map to 1, -1, 2, -2 ...
  int32_t readSe() {
    uint32_t k = readUe();
    int64_t magnitude = (int64_t{k} + 1) / 2;
    return static_cast<int32_t>((k & 1) ? magnitude : -magnitude);
  }

 private:
  bool loadByte() {
    if (pos_ < size_ && zeros_ >= 2 && data_[pos_] == 0x03) {
      ++pos_;
      zeros_ = 0;
    }
    if (pos_ >= size_) return false;
    current_ = data_[pos_++];
    zeros_ = current_ == 0 ? zeros_ + 1 : 0;
    bitsLeft_ = 8;
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  int zeros_ = 0;
  uint8_t current_ = 0;
  int bitsLeft_ = 0;
  bool failed_ = false;
};

}  // namespace sluice::media
