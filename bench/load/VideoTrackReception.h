#pragma once
// The video track's receive-side accounting that a WHEP viewer (LoadSession) and an RTSP
// reader (RtspLoadSession) share once each has taken a packet off its transport: sequence
// tracking (loss, duplicates, reordering), the latency of first transmissions through the
// server's sender reports, and waiting for a complete keyframe with its parameter sets (the
// first gives the session's TTFF; after loss nothing could repair, the next is waited for).
//
// Single-threaded (the session's worker); no allocation per packet.
#include <cstddef>
#include <cstdint>

#include "load/SequenceTracker.h"
#include "load/SessionResult.h"

namespace sluice::load {

class VideoTrackReception {
 public:
  enum class Outcome : uint8_t {
    Duplicate,          // already had it (counted as a duplicate only)
    Counted,            // a new, reordered or retransmitted packet (counted)
    KeyframeCompleted,  // counted, and it completed the keyframe being waited for
  };

  VideoTrackReception(SessionResult& counters, uint32_t clockRate, NackPolicy policy = {})
      : counters_(counters), clockRate_(clockRate), sequences_(policy) {}

  SequenceTracker& sequences() { return sequences_; }
  const SequenceTracker& sequences() const { return sequences_; }
  void setClockRate(uint32_t clockRate) { clockRate_ = clockRate; }

  // A packet of extended sequence number `ext` (sequences().extend) of `size` bytes, received
  // at `wallUs` (Unix) / `nowUs` (monotonic). `flags`: its payload_flags, 0 if its payload
  // was not read; `read` false keeps it from completing a keyframe. Parameter sets it carries
  // count for later keyframes too.
  Outcome onPacket(int64_t ext, uint32_t timestamp, bool marker, uint8_t flags, bool read, size_t size,
                   int64_t wallUs, int64_t nowUs);

  // The server's sender report of the video track: its wall clock (NTP) at RTP time
  // `rtpTimestamp` (Sluice pairs the two at the moment it sends the report).
  void onSenderReport(uint64_t ntp, uint32_t rtpTimestamp);
  // The server's wall clock (µs since the Unix epoch) of sending RTP time `timestamp`; false
  // before the first sender report.
  bool senderWallUs(uint32_t timestamp, int64_t& wallUs) const;

  bool waitingKeyframe() const { return waitingKeyframe_; }
  void waitForKeyframe() { waitingKeyframe_ = true; }

 private:
  bool completesKeyframe(int64_t ext) const;

  SessionResult& counters_;  // borrowed: the session's, outlives this
  uint32_t clockRate_;
  SequenceTracker sequences_;
  bool waitingKeyframe_ = true;  // from the start until the first keyframe, and after loss
  bool sawSps_ = false, sawPps_ = false;
  // Latest sender report: the server's wall clock (µs since the epoch) at RTP time srRtp_.
  bool haveSr_ = false;
  int64_t srWallUs_ = 0;
  uint32_t srRtp_ = 0;
};

}  // namespace sluice::load
