#pragma once
// A stream's AAC track as browsers can take it: Opus, transcoded once per stream (never per
// viewer) and only while at least one reader receives it (no reader, no decoder, no encoder).
// The original AAC packets stay in the AAC track itself (for readers that take AAC); this
// class depacketizes them (RFC 3640 mpeg4-generic or RFC 6416 LATM), transcodes the access
// units (media::AudioOpusTranscoder) and stores the 20 ms Opus packets in its own output track,
// a StreamTrack with its own history, SSRC and 48 kHz timeline. Its packets are placed on the
// stream's capture clock through the AAC track's sender reports, rescaled to 48 kHz as the
// transcoder rescales timestamps, so Opus stays in sync with the video.
// Single-threaded: the stream's worker.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "media/AudioOpusTranscoder.h"
#include "media/LatmDepacketizer.h"
#include "media/Mpeg4GenericDepacketizer.h"
#include "stream/StreamTrack.h"

namespace sluice::stream {

class AacTranscoding : private media::AacAccessUnitSink, private media::OpusPacketSink {
 public:
  // `aac` must hold Mpeg4AudioCodec; `outputIndex` is the output track's index in the stream.
  AacTranscoding(TrackOwner& owner, size_t outputIndex, const media::TrackDescription& aac, size_t maxPayload);

  // The Opus track readers attach to.
  const StreamTrack& output() const { return output_; }
  StreamTrack& output() { return output_; }
  static media::TrackDescription outputFormat(const media::TrackDescription& aac);

  // A new segment of the AAC track (maybe a new config): state is dropped, the output's
  // sequence and timeline continue.
  void beginSegment(const media::TrackDescription& aac);
  void endSegment();

  // Creates the transcoder for the first reader, destroys it after the last. False (with the
  // reason) when the config cannot be transcoded; the output then stays silent.
  bool setActive(bool active, std::string& error);
  bool active() const { return transcoder_ != nullptr; }

  // One RTP packet of the AAC track, and its sender report (lip sync).
  void ingest(const uint8_t* rtp, size_t size, int64_t arrivalUs, CaptureClock& clock);
  void onSenderReport(uint64_t ntp, uint32_t rtpTimestamp);

  uint64_t depacketizeErrors() const { return depacketizeErrors_; }
  const media::AudioOpusTranscoder* transcoder() const { return transcoder_.get(); }

 private:
  void onAccessUnit(const media::AacAccessUnit& unit) override;
  void onOpusPacket(const uint8_t* data, size_t size, uint32_t timestamp48k) override;
  void resetDepacketizer();
  // The AAC timestamp on an unwrapped 64-bit line, as the transcoder sees it.
  uint64_t unwrap(uint32_t timestamp);

  media::TrackDescription aac_;
  StreamTrack output_;  // owned: the Opus track
  std::variant<std::monostate, media::Mpeg4GenericDepacketizer, media::LatmDepacketizer> depacketizer_;
  std::unique_ptr<media::AudioOpusTranscoder> transcoder_;  // owned; only while a reader needs it
  int64_t arrivalUs_ = 0;
  CaptureClock* clock_ = nullptr;  // borrowed, only during ingest()
  bool haveUnwrapped_ = false;
  uint64_t unwrapped_ = 0;
  uint64_t depacketizeErrors_ = 0;
};

}  // namespace sluice::stream
