#include "stream/CaptureClock.h"

#include <cstdlib>

namespace sluice::stream {

bool TrackSenderClock::onSenderReport(uint64_t ntp, uint32_t rtpTimestamp, uint32_t clockRate) {
  if (ntp == 0) return true;  // some cameras send an unset clock: arrival time stays the reference
  const int64_t seconds = static_cast<int64_t>(ntp >> 32);
  const int64_t fraction = static_cast<int64_t>(((ntp & 0xffffffffu) * 1'000'000) >> 32);
  const int64_t ntpUs = seconds * 1'000'000 + fraction;
  const bool consistent = !valid_ || std::llabs(captureUs(rtpTimestamp, clockRate) - ntpUs) <= 1'000'000;
  ntpUs_ = ntpUs;
  rtp_ = rtpTimestamp;
  valid_ = true;
  return consistent;
}

}  // namespace sluice::stream
