#pragma once
// Lip sync: where on the server's monotonic clock each source packet belongs, the same way for
// every track of a stream. A camera's RTCP sender reports tie each track's RTP clock to one
// wall clock (NTP); a packet's capture time is then known in that clock, and one offset per
// stream, the smallest (arrival - capture) seen (the transit with the least queueing), moves it
// onto the server's clock. Audio and video captured at the same instant map to the same time,
// however differently they were queued on the way. Until a track's first sender report, its
// arrival time stands in. A transit smaller than the offset lowers it at once (the packet
// would otherwise be placed after it arrived); when every transit of a 10 s window stayed
// above it (the camera's clock runs slow against the server's), the offset rises towards
// that window's minimum by at most 1 ms, so the mapping never jumps and viewers' sender
// reports stay steady. Single-threaded (the stream's worker), O(1) per packet, no allocation.
#include <algorithm>
#include <cstdint>

namespace sluice::stream {

// One track's latest sender report: its RTP timestamp at an NTP instant.
class TrackSenderClock {
 public:
  // Returns false when the report disagrees with the previous one by more than a second (the
  // camera's clock stepped): the caller re-learns the stream's capture clock.
  bool onSenderReport(uint64_t ntp, uint32_t rtpTimestamp, uint32_t clockRate);
  void reset() { valid_ = false; }
  bool valid() const { return valid_; }
  // Capture time, in the camera's NTP clock as microseconds, of a packet of this track.
  int64_t captureUs(uint32_t rtpTimestamp, uint32_t clockRate) const {
    const int64_t ticks = static_cast<int32_t>(rtpTimestamp - rtp_);
    return ntpUs_ + ticks * 1'000'000 / static_cast<int64_t>(clockRate ? clockRate : 90000);
  }

 private:
  bool valid_ = false;
  int64_t ntpUs_ = 0;
  uint32_t rtp_ = 0;
};

class CaptureClock {
 public:
  static constexpr int64_t kWindowUs = 10'000'000;
  static constexpr int64_t kMaxRiseUs = 1'000;  // per window: follows up to 100 ppm of drift
  static constexpr int64_t kMaxQueueingUs = 10'000'000;

  // The server time of a packet captured at captureUs (camera NTP clock) that arrived at arrivalUs.
  // `learn` false: a packet made on the server (transcoded), whose arrival says nothing of
  // the network; it is placed with the offset the source's packets taught.
  int64_t toLocal(int64_t captureUs, int64_t arrivalUs, bool learn = true) {
    if (!learn) return haveOffset_ ? captureUs + offsetUs_ : arrivalUs;
    const int64_t transit = arrivalUs - captureUs;
    // No packet waits 10 s on its way: a capture time that says so comes from a sender report
    // that disagrees with the others (a camera clock step, a broken report). Its arrival is
    // the better guess, and it teaches nothing.
    if (haveOffset_ && transit - offsetUs_ > kMaxQueueingUs) return arrivalUs;
    if (!haveOffset_) {
      haveOffset_ = true;
      offsetUs_ = windowMin_ = transit;
      windowStartUs_ = arrivalUs;
    }
    if (arrivalUs - windowStartUs_ >= kWindowUs) {
      if (windowMin_ > offsetUs_) offsetUs_ += std::min(windowMin_ - offsetUs_, kMaxRiseUs);
      windowMin_ = transit;
      windowStartUs_ = arrivalUs;
    }
    if (transit < windowMin_) windowMin_ = transit;
    if (transit < offsetUs_) offsetUs_ = transit;  // never place a packet after its arrival
    return captureUs + offsetUs_;
  }
  void reset() { haveOffset_ = false; }

 private:
  bool haveOffset_ = false;
  int64_t offsetUs_ = 0;
  int64_t windowMin_ = 0;
  int64_t windowStartUs_ = 0;
};

}  // namespace sluice::stream
