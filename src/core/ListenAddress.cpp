#include "core/ListenAddress.h"

namespace sluice::core {

bool splitListenAddress(std::string_view address, std::string& host, uint16_t& port, std::string& error) {
  const auto fail = [&](const char* why) {
    error = "address " + std::string(address) + ": " + why;
    return false;
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return fail("missing port in address");
  std::string_view hostPart = address.substr(0, colon);
  const std::string_view portPart = address.substr(colon + 1);
  if (!hostPart.empty() && hostPart.front() == '[') {
    if (hostPart.size() < 2 || hostPart.back() != ']') return fail("missing ']' in address");
    hostPart = hostPart.substr(1, hostPart.size() - 2);
  } else if (hostPart.find(':') != std::string_view::npos) {
    return fail("too many colons in address");
  }
  if (portPart.empty() || portPart.size() > 5) return fail("invalid port");
  unsigned value = 0;
  for (char c : portPart) {
    if (c < '0' || c > '9') return fail("invalid port");
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return fail("invalid port");
  host.assign(hostPart);
  port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace sluice::core
