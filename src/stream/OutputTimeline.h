#pragma once
// The RTP timeline a track's readers see, continuous across the track's segments. A segment is
// one run of one source: a camera's session, a restart of it, or the offline slate. Sequence
// continuity comes from the history's indexes (they never restart); this class keeps the
// timestamps continuous: the first packet of every segment after the first is placed after the
// newest timestamp sent so far by the wall-clock time elapsed since that packet arrived, so a
// receiver's clock keeps advancing with real time and never steps back. One per track
// (StreamTrack), single-threaded, O(1) per packet, no allocation. The times given to map() are
// the packets' capture times on the server's clock (CaptureClock), the same for every track of
// the stream, so the newest (timestamp, time) pairs of all tracks describe one clock.
#include <algorithm>
#include <cstdint>

namespace sluice::stream {

class OutputTimeline {
 public:
  explicit OutputTimeline(uint32_t clockRate = 90000) : clockRate_(clockRate) {}

  // The next mapped timestamp opens a new segment.
  void beginSegment() { segmentPending_ = true; }

  // Output timestamp of a source timestamp of the current segment; nowUs is the packet's
  // capture time on the server's monotonic clock (its arrival until the source's sender
  // reports tell better). The very first segment keeps the source's own timestamps.
  uint32_t map(uint32_t sourceTimestamp, int64_t nowUs) {
    if (segmentPending_) {
      segmentPending_ = false;
      offset_ = haveOutput_ ? continuation(nowUs) - sourceTimestamp : 0;
    }
    const uint32_t out = sourceTimestamp + offset_;
    if (!haveOutput_ || static_cast<int32_t>(out - newest_) > 0) {
      haveOutput_ = true;
      newest_ = out;
      newestUs_ = nowUs;
    }
    return out;
  }

  // A timestamp another timeline already mapped (a stream's mirror on another worker,
  // StreamMirror): kept as it is; the newest one and its time are followed as map() does.
  void observe(uint32_t outputTimestamp, int64_t nowUs) {
    segmentPending_ = false;
    if (!haveOutput_ || static_cast<int32_t>(outputTimestamp - newest_) > 0) {
      haveOutput_ = true;
      newest_ = outputTimestamp;
      newestUs_ = nowUs;
    }
  }

  bool haveOutput() const { return haveOutput_; }
  // The timestamp "now" stands at on this timeline (for sender reports): the newest timestamp
  // advanced by the time since its packet, clamped to a day so a wild time cannot overflow.
  uint32_t timestampAt(int64_t nowUs) const { return newest_ + ticksSince(nowUs); }
  uint32_t newestTimestamp() const { return newest_; }  // highest timestamp handed out
  int64_t newestTimeUs() const { return newestUs_; }    // its capture time on the server's clock
  uint32_t clockRate() const { return clockRate_; }

 private:
  // Where a segment starting at nowUs begins: after the newest timestamp, by the elapsed time
  // (at least one tick, so the new segment's first frame is never taken for the previous one).
  uint32_t continuation(int64_t nowUs) const {
    const uint32_t ticks = ticksSince(nowUs);
    return newest_ + (ticks < 1 ? 1 : ticks);
  }
  uint32_t ticksSince(int64_t nowUs) const {
    constexpr int64_t kDayUs = 86'400'000'000;
    const int64_t elapsedUs = nowUs > newestUs_ ? std::min(nowUs - newestUs_, kDayUs) : 0;
    return static_cast<uint32_t>(elapsedUs * clockRate_ / 1000000);
  }

  uint32_t clockRate_;
  bool segmentPending_ = true;
  bool haveOutput_ = false;
  uint32_t offset_ = 0;
  uint32_t newest_ = 0;
  int64_t newestUs_ = 0;
};

}  // namespace sluice::stream
