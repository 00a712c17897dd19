#pragma once
// One track of a stream: its codec, its once-per-stream shaper (H.264, H.265 or audio
// pass-through), its shared history (the NACK store and, for video, the keyframe cache), its
// SSRC, clock rate and output timeline. Every packet is shaped and stored once, here; readers
// get the stored packets and rewrite only their headers.
// Single-threaded: everything runs on the stream's worker.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "media/AudioRtpPassThrough.h"
#include "media/H264RtpIngest.h"
#include "media/H265RtpIngest.h"
#include "media/TrackCodec.h"
#include "stream/CaptureClock.h"
#include "stream/OutputTimeline.h"
#include "stream/PacketHistory.h"

namespace sluice::stream {

class StreamTrack;
class AudioTranscoding;

// The stream that owns its tracks: told of every packet stored, to hand it to the readers.
class TrackOwner {
 public:
  virtual ~TrackOwner() = default;
  virtual void onTrackPacket(StreamTrack& track, const HistoryPacket& packet) = 0;
};

struct TrackStats {
  uint64_t packetsIn = 0;
  uint64_t bytesIn = 0;
  uint64_t packetsStored = 0;
  uint64_t packetsLost = 0;
  uint64_t ingestErrors = 0;
  uint64_t undeclaredPayloadType = 0;
  uint64_t packetsBeforeKeyframe = 0;  // dropped while a resumed segment awaited its keyframe
};

class StreamTrack : private media::ShapedPacketSink {
 public:
  // Audio keeps this many packets (5 s of 20 ms packets): enough to start a new reader's audio
  // at the cached video keyframe of a camera with a long GOP; fewer if the stream's history
  // capacity is smaller (tests and fuzzing: streamHistoryPackets is at least 256).
  static constexpr size_t kAudioHistoryPackets = 256;

  StreamTrack(TrackOwner& owner, size_t index, const media::TrackDescription& format, size_t historyCapacity,
              size_t maxPayload, uint32_t ssrc);
  ~StreamTrack() override;
  StreamTrack(const StreamTrack&) = delete;
  StreamTrack& operator=(const StreamTrack&) = delete;

  // Index of the Opus track transcoded from source track i (AudioTranscoding).
  static constexpr size_t kTranscodedBase = 16;

  // A source segment begins with this (compatible) format: a fresh shaper with its parameter
  // sets, an emptied history (indexes go on), a timeline that continues. `resumed`: readers
  // continue, so video is delivered from its first keyframe.
  void beginSegment(const media::TrackDescription& format, bool resumed);
  void endSegment();  // the source went away: drop what the history held

  // One RTP packet of the source. arrivalUs: monotonic receive time.
  media::IngestError ingest(const uint8_t* data, size_t size, int64_t arrivalUs, CaptureClock& clock);
  // The source's sender report for this track (lip sync).
  // False when the report shows the source's clock stepped (see TrackSenderClock).
  bool onSenderReport(uint64_t ntp, uint32_t rtpTimestamp);
  void resetSenderClock() { senderClock_.reset(); }
  // Stores a packet made on the server (the transcoder's), as a shaper's would be.
  void append(const media::ShapedPacket& packet, int64_t arrivalUs, CaptureClock& clock);

  // Stores a packet another worker's stream already shaped and stored (StreamMirror): its
  // bytes, timestamp and flags as they are; `lostBefore` indexes the origin skipped (or the
  // mirror dropped) before it stay a gap here too.
  void appendMirrored(const HistoryPacket& packet, uint64_t lostBefore);

  // The Opus version of a track browsers cannot take (AAC, G.711 not at 8 kHz mono), or nullptr.
  AudioTranscoding* transcoding() { return transcoding_.get(); }
  const AudioTranscoding* transcoding() const { return transcoding_.get(); }

  size_t index() const { return index_; }
  const media::TrackDescription& format() const { return format_; }
  bool video() const { return format_.isVideo(); }
  uint32_t clockRate() const { return format_.clockRate ? format_.clockRate : 90000; }
  uint32_t ssrc() const { return ssrc_; }
  const PacketHistory& history() const { return history_; }
  // Readers still catching up need the history from index on (PacketHistory::keepFrom).
  void keepHistoryFrom(uint64_t index) { history_.keepFrom(index); }
  const OutputTimeline& timeline() const { return timeline_; }
  const TrackStats& stats() const { return stats_; }
  const media::H264RtpIngest* h264() const { return std::get_if<media::H264RtpIngest>(&shaper_); }
  const media::H265RtpIngest* h265() const { return std::get_if<media::H265RtpIngest>(&shaper_); }
  // In-band parameter sets that differed from the ones before (video; 0 for audio).
  uint64_t parameterSetChanges() const {
    if (const auto* v = h264()) return v->parameterSetChanges();
    if (const auto* v = h265()) return v->parameterSetChanges();
    return 0;
  }

  // Where a new reader starts: video at the last keyframe, audio at the first packet captured
  // at or after `sinceUs` (the video keyframe's time); UINT64_MAX: nothing to replay.
  uint64_t startIndex(int64_t sinceUs) const;

 private:
  void onShapedPacket(const media::ShapedPacket& packet) override;
  void resetShaper();

  TrackOwner& owner_;  // borrowed, outlives this
  size_t index_;
  media::TrackDescription format_;
  size_t maxPayload_;
  uint32_t ssrc_;
  PacketHistory history_;  // owned: the track's packets, shared by all readers
  OutputTimeline timeline_;
  std::variant<std::monostate, media::H264RtpIngest, media::H265RtpIngest, media::AudioRtpPassThrough>
      shaper_;
  TrackSenderClock senderClock_;
  std::unique_ptr<AudioTranscoding> transcoding_;  // owned; only tracks AudioTranscoding::needed()
  CaptureClock* clock_ = nullptr;                  // borrowed, only during ingest()
  int64_t arrivalUs_ = 0;                          // of the packet being shaped
  bool awaitingKeyframe_ = false;  // a resumed video segment is delivered from its first keyframe
  bool madeHere_ = false;          // fed by append() (transcoded): teaches the capture clock nothing
  TrackStats stats_;
};

}  // namespace sluice::stream
