#pragma once
// Wall-clock helpers for latency from sender reports (one machine, one clock).
#include <chrono>
#include <cstdint>

namespace sluice::load {

// NTP (seconds since 1900, 32.32 fixed point) to microseconds since the Unix epoch.
inline int64_t ntpToUnixUs(uint64_t ntp) {
  const int64_t seconds = static_cast<int64_t>(ntp >> 32) - 2208988800LL;
  const int64_t fraction = static_cast<int64_t>(((ntp & 0xffffffffULL) * 1'000'000ULL) >> 32);
  return seconds * 1'000'000 + fraction;
}

inline int64_t wallNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice::load
