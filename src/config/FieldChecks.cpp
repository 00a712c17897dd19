#include "config/FieldChecks.h"

#include <fmt/format.h>

namespace sluice::config {
namespace {
bool isPowerOfTwo(int value) { return value > 0 && (value & (value - 1)) == 0; }
}  // namespace

void requirePositiveDuration(const Origin& origin, const std::chrono::milliseconds& value) {
  if (value.count() <= 0) fail(origin, "must be greater than zero");
}

void requireNonNegative(const Origin& origin, const int& value) {
  if (value < 0) fail(origin, fmt::format("must not be negative, got {}", value));
}

void requirePowerOfTwo(const Origin& origin, const int& value) {
  if (!isPowerOfTwo(value)) {
    fail(origin, fmt::format("must be a power of two greater than zero, got {}", value));
  }
}

void requireUdpPayloadLimit(const Origin& origin, const int& value) {
  // 1500-byte Ethernet MTU minus IPv4 and UDP headers.
  if (value > 1472) fail(origin, fmt::format("must be at most 1472, got {}", value));
  if (value <= 12) fail(origin, fmt::format("must be greater than the 12-byte RTP header, got {}", value));
}

void requireStreamHistoryPackets(const Origin& origin, const int& value) {
  if (!isPowerOfTwo(value) || value < 256 || value > 65536) {
    fail(origin, fmt::format("must be a power of two between 256 and 65536, got {}", value));
  }
}

void requireLogDestinations(const Origin& origin, const std::vector<std::string>& value) {
  for (const std::string& destination : value) {
    if (destination != "stdout" && destination != "file" && destination != "syslog") {
      fail(origin, fmt::format("invalid value '{}' (expected stdout, file, syslog)", destination));
    }
  }
}

}  // namespace sluice::config
