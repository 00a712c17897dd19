#pragma once
// Base64 (RFC 4648) for SDP sprop-parameter-sets and HTTP Basic auth.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::core {

std::string base64Encode(const uint8_t* data, size_t size);
inline std::string base64Encode(std::string_view s) {
  return base64Encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
// Rejects characters outside the alphabet and bad padding; returns nullopt then.
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text);

}  // namespace sluice::core
