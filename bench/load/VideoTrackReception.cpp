#include "load/VideoTrackReception.h"

#include "load/H264PayloadFlags.h"
#include "load/WallClock.h"

namespace sluice::load {

VideoTrackReception::Outcome VideoTrackReception::onPacket(int64_t ext, uint32_t timestamp, bool marker,
                                                           uint8_t flags, bool read, size_t size,
                                                           int64_t wallUs, int64_t nowUs) {
  // Parameter sets count for later keyframes (an unread packet's flags are 0).
  sawSps_ = sawSps_ || (flags & payload_flags::kSps);
  sawPps_ = sawPps_ || (flags & payload_flags::kPps);
  const auto arrival = sequences_.onPacket(ext, timestamp, marker, flags, nowUs);
  switch (arrival) {
    case SequenceTracker::Arrival::Duplicate:
    case SequenceTracker::Arrival::TooOld:
      ++counters_.duplicates;
      return Outcome::Duplicate;
    case SequenceTracker::Arrival::Retransmission:
    case SequenceTracker::Arrival::LateAfterGiveUp:
      ++counters_.retransmissions;
      break;
    case SequenceTracker::Arrival::Reordered:
      ++counters_.reordered;
      break;
    case SequenceTracker::Arrival::New:
      // Latency of first transmissions only (a retransmission measures the NACK round trip),
      // once live (LatencyHistogram::recordLive).
      if (int64_t sentUs = 0; senderWallUs(timestamp, sentUs)) counters_.latency.recordLive(wallUs - sentUs);
      break;
  }
  ++counters_.packets;
  counters_.bytes += size;
  // A keyframe can complete with its last packet (the marker) or with a late one filling it.
  if (waitingKeyframe_ && read && (marker || arrival != SequenceTracker::Arrival::New) &&
      completesKeyframe(ext)) {
    waitingKeyframe_ = false;
    ++counters_.keyframes;
    return Outcome::KeyframeCompleted;
  }
  return Outcome::Counted;
}

bool VideoTrackReception::completesKeyframe(int64_t ext) const {
  const uint8_t flags = sequences_.completeAccessUnitFlags(ext);
  if (!(flags & payload_flags::kIdr)) return false;
  // Parameter sets in the same access unit (as Sluice and browsers send them) or earlier.
  return (sawSps_ || (flags & payload_flags::kSps)) && (sawPps_ || (flags & payload_flags::kPps));
}

void VideoTrackReception::onSenderReport(uint64_t ntp, uint32_t rtpTimestamp) {
  haveSr_ = true;
  srWallUs_ = ntpToUnixUs(ntp);
  srRtp_ = rtpTimestamp;
}

bool VideoTrackReception::senderWallUs(uint32_t timestamp, int64_t& wallUs) const {
  if (!haveSr_) return false;
  wallUs = srWallUs_ + static_cast<int64_t>(static_cast<int32_t>(timestamp - srRtp_)) * 1'000'000 /
                           static_cast<int64_t>(clockRate_);
  return true;
}

}  // namespace sluice::load
