#include "core/ClientKey.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace sluice::core {

std::string clientKey(std::string_view ip) {
  std::string_view bare = ip;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  bare = bare.substr(0, bare.find('%'));
  if (bare.empty() || bare.size() >= INET6_ADDRSTRLEN) return std::string(ip);
  const std::string terminated(bare);
  std::array<uint8_t, 16> bytes{};
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, terminated.c_str(), bytes.data()) == 1) {
    inet_ntop(AF_INET, bytes.data(), text, sizeof(text));
    return text;
  }
  if (inet_pton(AF_INET6, terminated.c_str(), bytes.data()) != 1) return std::string(ip);
  constexpr std::array<uint8_t, 12> kV4Mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kV4Mapped.begin(), kV4Mapped.end(), bytes.begin())) {
    inet_ntop(AF_INET, bytes.data() + 12, text, sizeof(text));
    return text;
  }
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  inet_ntop(AF_INET6, bytes.data(), text, sizeof(text));
  return std::string(text) + "/64";
}

// "::/64" is the key of ::1.
bool isLocalHostKey(std::string_view key) { return key == "127.0.0.1" || key == "::/64"; }

std::string clientKeyOfAddress(std::string_view address) {
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    return clientKey(close == std::string_view::npos ? address : address.substr(0, close + 1));
  }
  const size_t colon = address.rfind(':');
  // Exactly one colon means "ip:port"; none or several means a bare address.
  if (colon != std::string_view::npos && address.find(':') == colon) {
    return clientKey(address.substr(0, colon));
  }
  return clientKey(address);
}

}  // namespace sluice::core
