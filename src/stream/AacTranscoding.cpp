#include "stream/AacTranscoding.h"

#include "core/Random.h"

namespace sluice::stream {

namespace {
const media::Mpeg4AudioCodec& aacOf(const media::TrackDescription& t) { return std::get<media::Mpeg4AudioCodec>(t.codec); }
}  // namespace

media::TrackDescription AacTranscoding::outputFormat(const media::TrackDescription& aac) {
  // Opus is always declared opus/48000/2; the encoder runs mono for a mono source.
  const uint32_t channels = aacOf(aac).config().channels == 1 ? 1 : 2;
  media::TrackDescription out = media::describeTrack("audio", -1, "opus", 48000, channels, "");
  out.payloadType = -1;  // fed by the transcoder, not by a source's RTP
  return out;
}

AacTranscoding::AacTranscoding(TrackOwner& owner, size_t outputIndex, const media::TrackDescription& aac,
                               size_t maxPayload)
    : aac_(aac), output_(owner, outputIndex, outputFormat(aac), StreamTrack::kAudioHistoryPackets, maxPayload,
                         core::random32()) {
  resetDepacketizer();
}

void AacTranscoding::resetDepacketizer() {
  const media::Mpeg4AudioCodec& codec = aacOf(aac_);
  const uint32_t increment = codec.config().timestampIncrement(aac_.clockRate);
  if (codec.latm) {
    depacketizer_.emplace<media::LatmDepacketizer>(codec.latmConfig, increment);
  } else {
    depacketizer_.emplace<media::Mpeg4GenericDepacketizer>(codec.generic, increment);
  }
}

void AacTranscoding::beginSegment(const media::TrackDescription& aac) {
  aac_ = aac;
  resetDepacketizer();
  output_.beginSegment(outputFormat(aac), false);
  haveUnwrapped_ = false;
  if (transcoder_) {
    std::string error;
    setActive(false, error);
    setActive(true, error);  // the new segment's config
  }
}

void AacTranscoding::endSegment() {
  output_.endSegment();
  if (transcoder_) transcoder_->reset();
}

bool AacTranscoding::setActive(bool active, std::string& error) {
  if (!active) {
    transcoder_.reset();
    return true;
  }
  if (transcoder_) return true;
  haveUnwrapped_ = false;  // the new transcoder unwraps from its first access unit
  transcoder_ = media::AudioOpusTranscoder::create(aacOf(aac_).config(), aac_.clockRate, error);
  return transcoder_ != nullptr;
}

void AacTranscoding::ingest(const uint8_t* rtp, size_t size, int64_t arrivalUs, CaptureClock& clock) {
  if (!transcoder_) return;
  arrivalUs_ = arrivalUs;
  clock_ = &clock;
  media::AacRtpError err = std::visit(
      [&](auto& d) -> media::AacRtpError {
        if constexpr (std::is_same_v<std::decay_t<decltype(d)>, std::monostate>) {
          return media::AacRtpError::None;
        } else {
          return d.pushRtp(rtp, size, *this);
        }
      },
      depacketizer_);
  clock_ = nullptr;
  if (err != media::AacRtpError::None) ++depacketizeErrors_;
}

void AacTranscoding::onAccessUnit(const media::AacAccessUnit& unit) {
  unwrap(unit.timestamp);
  transcoder_->push(unit, *this);
}

void AacTranscoding::onOpusPacket(const uint8_t* data, size_t size, uint32_t timestamp48k) {
  media::ShapedPacket p{data, size, timestamp48k, true, false, 0};
  output_.append(p, arrivalUs_, *clock_);
}

uint64_t AacTranscoding::unwrap(uint32_t timestamp) {
  if (!haveUnwrapped_) {
    haveUnwrapped_ = true;
    unwrapped_ = timestamp;
  } else {
    unwrapped_ += static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(timestamp - static_cast<uint32_t>(unwrapped_))));
  }
  return unwrapped_;
}

void AacTranscoding::onSenderReport(uint64_t ntp, uint32_t rtpTimestamp) {
  // The transcoder's rule: 48 kHz timestamp = unwrapped AAC timestamp x 48000 / clock rate.
  const uint64_t base = haveUnwrapped_ ? unwrapped_ : rtpTimestamp;
  const uint64_t at = base + static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(rtpTimestamp - static_cast<uint32_t>(base))));
  const uint32_t rate = aac_.clockRate ? aac_.clockRate : 48000;
  output_.onSenderReport(ntp, static_cast<uint32_t>(at * media::AudioOpusTranscoder::kOutputRate / rate));
}

}  // namespace sluice::stream
