#pragma once
// Per-stream shaper of an audio track that is forwarded as the source sends it (G.711, Opus,
// and the original AAC packets): the payload is kept byte for byte, only the header is
// rewritten later by the stream. The same sink as the video shapers, so a stream owns any of
// them behind one interface. Sequence gaps stay gaps (lostBefore); late and duplicate packets
// are dropped, since the stream's history is append-only and a receiver's jitter buffer
// would otherwise see them twice. Audio has no keyframes: every packet is a start point, so
// none is flagged keyframeStart (the stream starts a new reader's audio by time instead).
// A payload over the stream's payload size is cut where the codec allows it, into packets a
// receiver plays exactly as the original: G.711 by samples, MPEG-4 Audio (mpeg4-generic) by
// access units (Mpeg4GenericSplitter); ffmpeg's RTSP muxer, for one, sends AAC in packets of up
// to 1,460 bytes. Opus and LATM payloads cannot be cut and are dropped (Oversize).
// O(1) per packet (O(bytes) for one cut), no allocation after construction, no locks: one
// instance per track, one thread.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "media/Mpeg4GenericSplitter.h"
#include "media/RtpPacket.h"
#include "media/RtpSequenceTracker.h"
#include "media/ShapedPacket.h"
#include "media/TrackCodec.h"

namespace sluice::media {

class AudioRtpPassThrough {
 public:
  // Cuts nothing: payloads over maxPayload are dropped.
  explicit AudioRtpPassThrough(size_t maxPayload = 1188) : maxPayload_(maxPayload) {}
  // Cuts what `track`'s codec allows.
  AudioRtpPassThrough(const TrackDescription& track, size_t maxPayload);

  // On error nothing is emitted; payloads over maxPayload that cannot be cut are dropped as
  // Oversize (and the next packet out says it follows a loss).
  IngestError push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink);

  uint64_t packetsIn() const { return packetsIn_; }
  uint64_t packetsOut() const { return packetsOut_; }
  uint64_t lostPackets() const { return sequence_.lostPackets(); }
  uint64_t malformed() const { return malformed_; }
  uint64_t oversize() const { return oversize_; }
  uint64_t packetsCut() const { return cut_; }  // source packets sent on in several parts
  uint64_t latePackets() const { return late_; }

 private:
  bool cut(const uint8_t* payload, size_t size, const RtpHeader& header, uint16_t lostBefore,
           ShapedPacketSink& sink);

  size_t maxPayload_;
  uint32_t sampleBytes_ = 0;  // G.711: bytes per RTP clock tick (its channels); 0: not by samples
  std::optional<Mpeg4GenericSplitter> aac_;  // owned; mpeg4-generic: cut by access units
  RtpSequenceTracker sequence_;
  uint16_t droppedSinceLastOut_ = 0;  // packets dropped after their sequence number was counted
  uint64_t packetsIn_ = 0, packetsOut_ = 0, malformed_ = 0, oversize_ = 0, late_ = 0, cut_ = 0;
};

}  // namespace sluice::media
