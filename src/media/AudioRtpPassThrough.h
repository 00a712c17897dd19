#pragma once
// Per-stream shaper of an audio track that is forwarded as the source sends it (G.711, Opus,
// and the original AAC packets): the payload is kept byte for byte, only the header is
// rewritten later by the stream. The same sink as the video shapers, so a stream owns any of
// them behind one interface. Sequence gaps stay gaps (lostBefore); late and duplicate packets
// are dropped, since the stream's history is append-only and a receiver's jitter buffer
// would otherwise see them twice. Audio has no keyframes: every packet is a start point, so
// none is flagged keyframeStart (the stream starts a new reader's audio by time instead).
// O(1) per packet, no allocation, no locks: one instance per track, one thread.
#include <cstddef>
#include <cstdint>

#include "media/RtpSequenceTracker.h"
#include "media/ShapedPacket.h"

namespace sluice::media {

class AudioRtpPassThrough {
 public:
  explicit AudioRtpPassThrough(size_t maxPayload = 1188) : maxPayload_(maxPayload) {}

  // On error nothing is emitted; payloads over maxPayload are dropped as Oversize.
  IngestError push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink);

  uint64_t packetsIn() const { return packetsIn_; }
  uint64_t packetsOut() const { return packetsOut_; }
  uint64_t lostPackets() const { return sequence_.lostPackets(); }
  uint64_t malformed() const { return malformed_; }
  uint64_t oversize() const { return oversize_; }
  uint64_t latePackets() const { return late_; }

 private:
  size_t maxPayload_;
  RtpSequenceTracker sequence_;
  uint64_t packetsIn_ = 0, packetsOut_ = 0, malformed_ = 0, oversize_ = 0, late_ = 0;
};

}  // namespace sluice::media
