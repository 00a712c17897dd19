#include "stream/CaptureClock.h"

namespace sluice::stream {

void TrackSenderClock::onSenderReport(uint64_t ntp, uint32_t rtpTimestamp) {
  if (ntp == 0) return;  // some cameras send an unset clock: arrival time stays the reference
  const int64_t seconds = static_cast<int64_t>(ntp >> 32);
  const int64_t fraction = static_cast<int64_t>(((ntp & 0xffffffffu) * 1'000'000) >> 32);
  ntpUs_ = seconds * 1'000'000 + fraction;
  rtp_ = rtpTimestamp;
  valid_ = true;
}

}  // namespace sluice::stream
