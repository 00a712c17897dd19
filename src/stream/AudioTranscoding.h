#pragma once
// A stream's audio track that browsers cannot take as it is -- AAC, or G.711 at another rate
// than 8 kHz mono -- as Opus, transcoded once per stream (never per viewer) and only while at
// least one reader receives it (no reader, no decoder, no encoder). The original packets stay
// in the source track itself (for readers that take them); this class depacketizes them (AAC:
// RFC 3640 mpeg4-generic or RFC 6416 LATM; G.711: the payload as it is), transcodes
// (media::AudioTranscoder, loaded on demand) and stores the 20 ms Opus packets in its own output track, a
// StreamTrack with its own history, SSRC and 48 kHz timeline. Its packets are placed on the
// stream's capture clock through the source track's sender reports, rescaled to 48 kHz as the
// transcoder rescales timestamps, so Opus stays in sync with the video.
// Single-threaded: the stream's worker.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "media/AudioTranscoder.h"
#include "media/LatmDepacketizer.h"
#include "media/Mpeg4GenericDepacketizer.h"
#include "stream/StreamTrack.h"

namespace sluice::stream {

class AudioTranscoding : private media::AacAccessUnitSink, private media::OpusPacketSink {
 public:
  // Whether a track needs it: MPEG-4 Audio, and G.711 other than 8 kHz mono.
  static bool needed(const media::TrackDescription& track);
  // The Opus track made of `source` (opus/48000, the source's channel count, 1 or 2).
  static media::TrackDescription outputFormat(const media::TrackDescription& source);

  // `source` must be needed(); `outputIndex` is the output track's index in the stream.
  AudioTranscoding(TrackOwner& owner, size_t outputIndex, const media::TrackDescription& source, size_t historyCapacity,
                   size_t maxPayload);

  // The Opus track readers attach to.
  const StreamTrack& output() const { return output_; }
  StreamTrack& output() { return output_; }

  // A new segment of the source track (maybe a new config): state is dropped, the output's
  // sequence and timeline continue.
  void beginSegment(const media::TrackDescription& source);
  void endSegment();

  // Creates the transcoder for the first reader, destroys it after the last. False (with the
  // reason) when the source cannot be transcoded; the output then stays silent.
  bool setActive(bool active, std::string& error);
  bool active() const { return transcoder_ != nullptr; }

  // One RTP packet of the source track, and its sender report (lip sync).
  void ingest(const uint8_t* rtp, size_t size, int64_t arrivalUs, CaptureClock& clock);
  void onSenderReport(uint64_t ntp, uint32_t rtpTimestamp);

  uint64_t depacketizeErrors() const { return depacketizeErrors_; }
  const media::AudioTranscoder* transcoder() const { return transcoder_.get(); }

 private:
  void onAccessUnit(const media::AacAccessUnit& unit) override;
  void onOpusPacket(const uint8_t* data, size_t size, uint32_t timestamp48k) override;
  void resetDepacketizer();
  // The source timestamp on an unwrapped 64-bit line, as the transcoder sees it.
  uint64_t unwrap(uint32_t timestamp);

  media::TrackDescription source_;
  StreamTrack output_;  // owned: the Opus track
  // AAC only; G.711 payloads go to the transcoder as they are.
  std::variant<std::monostate, media::Mpeg4GenericDepacketizer, media::LatmDepacketizer> depacketizer_;
  std::unique_ptr<media::AudioTranscoder> transcoder_;  // owned; only while a reader needs it
  int64_t arrivalUs_ = 0;
  CaptureClock* clock_ = nullptr;  // borrowed, only during ingest()
  bool haveUnwrapped_ = false;
  uint64_t unwrapped_ = 0;
  uint64_t depacketizeErrors_ = 0;
};

}  // namespace sluice::stream
