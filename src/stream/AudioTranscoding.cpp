#include "stream/AudioTranscoding.h"

#include "core/Random.h"
#include "media/RtpPacket.h"

namespace sluice::stream {

bool AudioTranscoding::needed(const media::TrackDescription& t) {
  if (std::holds_alternative<media::Mpeg4AudioCodec>(t.codec)) return true;
  if (std::holds_alternative<media::G711Codec>(t.codec)) return t.clockRate != 8000 || t.channels > 1;
  return false;
}

media::TrackDescription AudioTranscoding::outputFormat(const media::TrackDescription& source) {
  // Opus is always declared opus/48000/2; the encoder runs mono for a mono source.
  uint32_t channels = source.channels;
  if (const auto* aac = std::get_if<media::Mpeg4AudioCodec>(&source.codec)) channels = aac->config().channels;
  media::TrackDescription out = media::describeTrack("audio", -1, "opus", 48000, channels == 1 ? 1 : 2, "");
  out.payloadType = -1;  // fed by the transcoder, not by a source's RTP
  return out;
}

AudioTranscoding::AudioTranscoding(TrackOwner& owner, size_t outputIndex, const media::TrackDescription& source,
                                   size_t historyCapacity, size_t maxPayload)
    : source_(source),
      output_(owner, outputIndex, outputFormat(source), historyCapacity, maxPayload,
              core::random32()) {
  resetDepacketizer();
}

void AudioTranscoding::resetDepacketizer() {
  const auto* aac = std::get_if<media::Mpeg4AudioCodec>(&source_.codec);
  if (!aac) {
    depacketizer_.emplace<std::monostate>();
    return;
  }
  const uint32_t increment = aac->config().timestampIncrement(source_.clockRate);
  if (aac->latm) {
    depacketizer_.emplace<media::LatmDepacketizer>(aac->latmConfig, increment);
  } else {
    depacketizer_.emplace<media::Mpeg4GenericDepacketizer>(aac->generic, increment);
  }
}

void AudioTranscoding::beginSegment(const media::TrackDescription& source) {
  source_ = source;
  resetDepacketizer();
  output_.beginSegment(outputFormat(source), false);
  haveUnwrapped_ = false;
  if (transcoder_) {
    std::string error;
    setActive(false, error);
    setActive(true, error);  // the new segment's config
  }
}

void AudioTranscoding::endSegment() {
  output_.endSegment();
  if (transcoder_) transcoder_->reset();
}

bool AudioTranscoding::setActive(bool active, std::string& error) {
  if (!active) {
    transcoder_.reset();
    return true;
  }
  if (transcoder_) return true;
  haveUnwrapped_ = false;  // the new transcoder unwraps from its first unit
  media::AudioTranscoderSpec spec;
  spec.clockRate = source_.clockRate;
  if (const auto* aac = std::get_if<media::Mpeg4AudioCodec>(&source_.codec)) {
    spec.input = media::AudioTranscoderSpec::Input::Aac;
    spec.aac = aac->config();
  } else if (const auto* g711 = std::get_if<media::G711Codec>(&source_.codec)) {
    spec.input = g711->muLaw ? media::AudioTranscoderSpec::Input::G711MuLaw : media::AudioTranscoderSpec::Input::G711ALaw;
    spec.sampleRate = source_.clockRate;
    spec.channels = std::max<uint32_t>(1, source_.channels);
  } else {
    error = "not an audio codec Sluice transcodes";
    return false;
  }
  transcoder_ = media::createAudioTranscoder(spec, error);
  return transcoder_ != nullptr;
}

void AudioTranscoding::ingest(const uint8_t* rtp, size_t size, int64_t arrivalUs, CaptureClock& clock) {
  if (!transcoder_) return;
  arrivalUs_ = arrivalUs;
  clock_ = &clock;
  media::AacRtpError err = media::AacRtpError::None;
  if (std::holds_alternative<std::monostate>(depacketizer_)) {
    media::RtpHeader header;
    const uint8_t* payload;
    size_t payloadSize;
    if (media::parseRtp(rtp, size, header, payload, payloadSize) == media::RtpError::None && payloadSize > 0) {
      unwrap(header.timestamp);
      transcoder_->push(payload, payloadSize, header.timestamp, *this);
    } else {
      err = media::AacRtpError::MalformedRtp;
    }
  } else {
    err = std::visit(
        [&](auto& d) -> media::AacRtpError {
          if constexpr (std::is_same_v<std::decay_t<decltype(d)>, std::monostate>) {
            return media::AacRtpError::None;
          } else {
            return d.pushRtp(rtp, size, *this);
          }
        },
        depacketizer_);
  }
  clock_ = nullptr;
  if (err != media::AacRtpError::None) ++depacketizeErrors_;
}

void AudioTranscoding::onAccessUnit(const media::AacAccessUnit& unit) {
  unwrap(unit.timestamp);
  transcoder_->push(unit, *this);
}

void AudioTranscoding::onOpusPacket(const uint8_t* data, size_t size, uint32_t timestamp48k) {
  media::ShapedPacket p{data, size, timestamp48k, true, false, 0};
  output_.append(p, arrivalUs_, *clock_);
}

uint64_t AudioTranscoding::unwrap(uint32_t timestamp) {
  if (!haveUnwrapped_) {
    haveUnwrapped_ = true;
    unwrapped_ = timestamp;
  } else {
    const int32_t delta = static_cast<int32_t>(timestamp - static_cast<uint32_t>(unwrapped_));
    unwrapped_ += static_cast<uint64_t>(static_cast<int64_t>(delta));
  }
  return unwrapped_;
}

void AudioTranscoding::onSenderReport(uint64_t ntp, uint32_t rtpTimestamp) {
  // The transcoder's rule: 48 kHz timestamp = unwrapped source timestamp x 48000 / clock rate.
  const uint64_t base = haveUnwrapped_ ? unwrapped_ : rtpTimestamp;
  const int32_t delta = static_cast<int32_t>(rtpTimestamp - static_cast<uint32_t>(base));
  const uint64_t at = base + static_cast<uint64_t>(static_cast<int64_t>(delta));
  const uint32_t rate = source_.clockRate ? source_.clockRate : 48000;
  output_.onSenderReport(ntp, static_cast<uint32_t>(at * media::AudioTranscoder::kOutputRate / rate));
}

}  // namespace sluice::stream
