#pragma once
// Clocks used by the media path: monotonic microseconds and NTP wall-clock for RTCP SR.
#include <chrono>
#include <cstdint>

namespace sluice::core {

inline int64_t monotonicUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, fraction in the low 32).
inline uint64_t ntpNow() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  uint64_t secs = static_cast<uint64_t>(us / 1000000) + 2208988800ULL;
  uint64_t frac = (static_cast<uint64_t>(us % 1000000) << 32) / 1000000;
  return (secs << 32) | frac;
}

}  // namespace sluice::core
