#pragma once
// RFC 3640 AAC-hbr payloads for the depacketizer's and the splitter's tests.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::media::test {

using Bytes = std::vector<uint8_t>;

// `size` recognisable bytes (an AU's stand-in).
inline Bytes au(size_t size, uint8_t seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// AAC-hbr payload: AU-headers-length, 16-bit headers (13-bit size, 3-bit index/delta), AUs.
// `sizes` may differ from the AUs' real sizes (to lie); `data` is appended as given.
inline Bytes hbr(const std::vector<size_t>& sizes, const Bytes& data,
                 const std::vector<uint8_t>& indexes = {}) {
  Bytes p = {static_cast<uint8_t>((sizes.size() * 16) >> 8), static_cast<uint8_t>(sizes.size() * 16)};
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto h = static_cast<uint16_t>((sizes[i] << 3) | (i < indexes.size() ? indexes[i] : 0));
    p.push_back(static_cast<uint8_t>(h >> 8));
    p.push_back(static_cast<uint8_t>(h));
  }
  p.insert(p.end(), data.begin(), data.end());
  return p;
}

}  // namespace sluice::media::test
