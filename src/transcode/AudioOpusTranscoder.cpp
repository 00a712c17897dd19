#include "transcode/AudioOpusTranscoder.h"

#include <opus.h>

#include <algorithm>
#include <cassert>
#include <cstring>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libswresample/swresample.h>
}

namespace sluice::transcode {

namespace {

// Frames the sample buffer holds from the start (AAC; G.711 sizes it for its longest unit): a partial packet,
// a 100 ms silence fill and one resampled AU of the lowest AAC rate (2048 SBR samples at 7350 Hz -> 13375),
// with room.
constexpr size_t kInitialBufferFrames = 16384;

std::string avError(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// Object types libavcodec's "aac" decoder takes (SSR only fails per frame there, so it is
// refused here instead).
bool decodable(uint8_t objectType) {
  switch (objectType) {
    case 1:   // AAC Main
    case 2:   // AAC LC
    case 4:   // AAC LTP
    case 17:  // ER AAC LC
    case 23:  // ER AAC LD
      return true;
    default:
      return false;
  }
}

}  // namespace

std::unique_ptr<AudioOpusTranscoder> AudioOpusTranscoder::create(const AacConfig& config, uint32_t clockRate,
                                                                 std::string& error,
                                                                 const AudioOpusOptions& options) {
  if (clockRate == 0) {
    error = "AAC->Opus: RTP clock rate 0";
    return nullptr;
  }
  if (!decodable(config.objectType)) {
    error = "AAC->Opus: " + config.describe() + " (audio object type " + std::to_string(config.objectType) +
            ") cannot be decoded; supported: AAC Main, LC, LTP, ER AAC LC, ER AAC LD, also with SBR/PS";
    return nullptr;
  }
  if (config.bytes.empty() || config.channels == 0) {
    error = "AAC->Opus: empty AudioSpecificConfig";
    return nullptr;
  }
  const int channels = config.channels == 1 && !config.ps ? 1 : 2;
  std::unique_ptr<AudioOpusTranscoder> t(
      new AudioOpusTranscoder(Input::Aac, config, config.sampleRate, config.channels, clockRate, channels));
  if (!t->init(options, error)) return nullptr;
  return t;
}

std::unique_ptr<AudioOpusTranscoder> AudioOpusTranscoder::create(const uint8_t* audioSpecificConfig,
                                                                 size_t size, uint32_t clockRate,
                                                                 std::string& error,
                                                                 const AudioOpusOptions& options) {
  auto config = media::parseAudioSpecificConfig(audioSpecificConfig, size, error);
  if (!config) {
    error = "AAC->Opus: " + error;
    return nullptr;
  }
  return create(*config, clockRate, error, options);
}

std::unique_ptr<AudioOpusTranscoder> AudioOpusTranscoder::createG711(bool muLaw, uint32_t sampleRate,
                                                                     uint32_t channels, uint32_t clockRate,
                                                                     std::string& error,
                                                                     const AudioOpusOptions& options) {
  const std::string codec = muLaw ? "PCMU" : "PCMA";
  if (clockRate == 0) {
    error = "G.711->Opus: RTP clock rate 0";
    return nullptr;
  }
  if (sampleRate < kMinG711Rate || sampleRate > kMaxG711Rate) {
    error = "G.711->Opus: " + codec + " at " + std::to_string(sampleRate) + " Hz is not supported (" +
            std::to_string(kMinG711Rate) + ".." + std::to_string(kMaxG711Rate) + " Hz)";
    return nullptr;
  }
  if (channels < 1 || channels > 2) {
    error = "G.711->Opus: " + codec + " with " + std::to_string(channels) +
            " channels is not supported (mono or stereo)";
    return nullptr;
  }
  const int n = static_cast<int>(channels);
  std::unique_ptr<AudioOpusTranscoder> t(new AudioOpusTranscoder(muLaw ? Input::G711MuLaw : Input::G711ALaw,
                                                                 AacConfig{}, sampleRate, n, clockRate, n));
  if (!t->init(options, error)) return nullptr;
  return t;
}

AudioOpusTranscoder::AudioOpusTranscoder(Input input, const AacConfig& config, uint32_t inputRate,
                                         int inputChannels, uint32_t clockRate, int channels)
    : input_(input),
      config_(config),
      inputRate_(inputRate),
      inputChannels_(inputChannels),
      clockRate_(clockRate),
      channels_(channels) {}

const char* AudioOpusTranscoder::name() const { return input_ == Input::Aac ? "AAC->Opus" : "G.711->Opus"; }

bool AudioOpusTranscoder::openDecoder(std::string& error) {
  const AVCodec* codec = nullptr;
  if (input_ == Input::Aac) {
    codec = avcodec_find_decoder_by_name("aac");
    if (!codec) codec = avcodec_find_decoder(AV_CODEC_ID_AAC);
  } else {
    codec = avcodec_find_decoder(input_ == Input::G711MuLaw ? AV_CODEC_ID_PCM_MULAW : AV_CODEC_ID_PCM_ALAW);
  }
  if (!codec) {
    error =
        std::string(name()) + ": libavcodec has no " + (input_ == Input::Aac ? "AAC" : "G.711") + " decoder";
    return false;
  }
  decoder_ = avcodec_alloc_context3(codec);
  packet_ = av_packet_alloc();
  frame_ = av_frame_alloc();
  if (!decoder_ || !packet_ || !frame_) {
    error = std::string(name()) + ": out of memory";
    return false;
  }
  std::string what;
  if (input_ == Input::Aac) {
    const size_t ascSize = config_.bytes.size();
    decoder_->extradata = static_cast<uint8_t*>(av_mallocz(ascSize + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!decoder_->extradata) {
      error = "AAC->Opus: out of memory";
      return false;
    }
    std::memcpy(decoder_->extradata, config_.bytes.data(), ascSize);
    decoder_->extradata_size = static_cast<int>(ascSize);
    what = config_.describe();
  } else {
    // G.711 carries no config: the decoder takes the rate and channels the SDP declares.
    decoder_->sample_rate = static_cast<int>(inputRate_);
    av_channel_layout_default(&decoder_->ch_layout, inputChannels_);
    what = std::string(input_ == Input::G711MuLaw ? "PCMU" : "PCMA") + " " + std::to_string(inputRate_) +
           " Hz " + std::to_string(inputChannels_) + " ch";
  }
  decoder_->thread_count = 1;  // runs on the stream's worker thread, no helper threads
  // Bad input is counted, not logged per unit: push the decoder's messages below the default
  // log level (AV_LOG_INFO) so a broken camera does not flood stderr.
  decoder_->log_level_offset = AV_LOG_TRACE;
  if (int ret = avcodec_open2(decoder_, codec, nullptr); ret < 0) {
    error = std::string(name()) + ": libavcodec refuses " + what + ": " + avError(ret);
    return false;
  }
  return true;
}

bool AudioOpusTranscoder::init(const AudioOpusOptions& options, std::string& error) {
  if (!openDecoder(error)) return false;

  int opusError = OPUS_OK;
  encoder_ = opus_encoder_create(kOutputRate, channels_, OPUS_APPLICATION_AUDIO, &opusError);
  if (!encoder_ || opusError != OPUS_OK) {
    error = std::string(name()) + ": opus_encoder_create: " + opus_strerror(opusError);
    return false;
  }
  const int bitrate = options.bitrate > 0 ? options.bitrate : channels_ == 2 ? 64000 : 32000;
  if (opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(bitrate)) != OPUS_OK ||
      opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(options.complexity)) != OPUS_OK ||
      opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(0)) != OPUS_OK) {
    error = std::string(name()) + ": libopus refuses bitrate " + std::to_string(bitrate) + " or complexity " +
            std::to_string(options.complexity);
    return false;
  }
  // Room for a partial packet, a 100 ms silence fill and the longest unit the input allows.
  size_t frames = kInitialBufferFrames;
  if (input_ != Input::Aac) {
    const size_t longest =
        kMaxG711PayloadSize / static_cast<size_t>(inputChannels_) * kOutputRate / inputRate_;
    frames = std::max(frames, longest + kFrameSamples + kOutputRate * kMaxGapMs / 1000 + 1024);
  }
  samples_.resize(frames * channels_);
  opusPacket_.resize(kMaxOpusPacket);
  return true;
}

AudioOpusTranscoder::~AudioOpusTranscoder() {
  avcodec_free_context(&decoder_);
  av_packet_free(&packet_);
  av_frame_free(&frame_);
  swr_free(&swr_);
  if (encoder_) opus_encoder_destroy(encoder_);
}

void AudioOpusTranscoder::checkThread() {
#ifndef NDEBUG
  if (thread_ == std::thread::id{}) thread_ = std::this_thread::get_id();
  assert(thread_ == std::this_thread::get_id() && "AudioOpusTranscoder used from two threads");
#endif
}

int64_t AudioOpusTranscoder::resamplerDelay() const { return swr_ ? swr_get_delay(swr_, kOutputRate) : 0; }

void AudioOpusTranscoder::push(const uint8_t* unit, size_t size, uint32_t rtpTimestamp,
                               OpusPacketSink& sink) {
  checkThread();
  ++framesIn_;

  // Place the unit on the 48 kHz timeline (see the header for the rule).
  int64_t ts64 = rtpTimestamp;
  if (anchored_) {
    const int32_t step = static_cast<int32_t>(rtpTimestamp - lastInTs_);
    ts64 = static_cast<int64_t>(lastInTs64_) + step;
    const int64_t position = ts64 * kOutputRate / clockRate_;
    const int64_t expected = outPos_ + static_cast<int64_t>(write_ - read_) + resamplerDelay();
    const int64_t delta = position - expected;
    const int64_t maxGap = int64_t{kOutputRate} * kMaxGapMs / 1000;
    if (step <= 0 || delta > maxGap || delta < -maxGap) {
      ++discontinuities_;
      dropTimeline();
      ts64 = rtpTimestamp;
    } else if (delta > int64_t{kOutputRate} * kConcealThresholdMs / 1000) {
      // Lost or undecodable units: silence keeps the output on the input's clock. (Samples the
      // resampler still holds, under 1 ms, come out after the silence.)
      appendSilence(static_cast<size_t>(delta));
      ++concealedGaps_;
    }
  }
  if (!anchored_) {
    anchored_ = true;
    outPos_ = ts64 * kOutputRate / clockRate_;
    read_ = write_ = 0;
  }
  lastInTs_ = rtpTimestamp;
  lastInTs64_ = static_cast<uint64_t>(ts64);

  if (!decode(unit, size)) ++decodeErrors_;
  emitPackets(sink);
}

bool AudioOpusTranscoder::acceptable(size_t size) const {
  if (size == 0) return false;
  if (input_ == Input::Aac) return size <= media::kMaxAacAccessUnitSize;
  // pcm_mulaw/pcm_alaw would silently drop a trailing partial sample: refuse it instead.
  return size <= kMaxG711PayloadSize && size % static_cast<size_t>(inputChannels_) == 0;
}

bool AudioOpusTranscoder::decode(const uint8_t* unit, size_t size) {
  if (!acceptable(size)) return false;
  // A packet that does not own its data: libavcodec copies it into a padded buffer.
  packet_->data = const_cast<uint8_t*>(unit);
  packet_->size = static_cast<int>(size);
  int ret = avcodec_send_packet(decoder_, packet_);
  packet_->data = nullptr;
  packet_->size = 0;
  while (ret >= 0) {
    ret = avcodec_receive_frame(decoder_, frame_);
    if (ret == AVERROR(EAGAIN)) return true;
    if (ret < 0) break;
    const bool converted = convertFrame();
    av_frame_unref(frame_);
    if (!converted) {
      ret = -1;
      break;
    }
  }
  // Nothing of a refused unit may linger in the decoder (a partly consumed packet would be
  // decoded again on the next call).
  avcodec_flush_buffers(decoder_);
  return false;
}

bool AudioOpusTranscoder::configureResampler() {
  swr_free(&swr_);
  AVChannelLayout in{};
  if (frame_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC ||
      frame_->ch_layout.order == AV_CHANNEL_ORDER_CUSTOM)
    av_channel_layout_default(&in, frame_->ch_layout.nb_channels);
  else if (av_channel_layout_copy(&in, &frame_->ch_layout) < 0)
    return false;
  AVChannelLayout out{};
  av_channel_layout_default(&out, channels_);
  int ret = swr_alloc_set_opts2(&swr_, &out, AV_SAMPLE_FMT_S16, kOutputRate, &in,
                                static_cast<AVSampleFormat>(frame_->format), frame_->sample_rate, 0, nullptr);
  av_channel_layout_uninit(&in);
  av_channel_layout_uninit(&out);
  if (ret < 0 || swr_init(swr_) < 0) {
    swr_free(&swr_);
    return false;
  }
  swrInRate_ = frame_->sample_rate;
  swrInFormat_ = frame_->format;
  swrInChannels_ = frame_->ch_layout.nb_channels;
  return true;
}

bool AudioOpusTranscoder::plausibleFrame() const {
  const int channels = frame_->ch_layout.nb_channels;
  const int rate = frame_->sample_rate;
  if (input_ != Input::Aac) return channels == inputChannels_ && rate == static_cast<int>(inputRate_);
  // The AAC decoder follows what the stream says (a program_config_element, SBR/PS found in the
  // stream): a frame whose format the config cannot explain is corrupt input, refused before
  // it can rebuild the resampler.
  const bool channelsOk = channels == config_.channels || (config_.channels == 1 && channels == 2);  // PS
  const bool rateOk = rate == static_cast<int>(config_.sampleRate) ||
                      rate == static_cast<int>(config_.outputSampleRate) ||
                      rate == 2 * static_cast<int>(config_.sampleRate);  // implicit SBR
  return channelsOk && rateOk;
}

bool AudioOpusTranscoder::convertFrame() {
  if (frame_->nb_samples <= 0) return true;
  if (!plausibleFrame()) return false;
  if (!swr_ || frame_->sample_rate != swrInRate_ || frame_->format != swrInFormat_ ||
      frame_->ch_layout.nb_channels != swrInChannels_) {
    if (!configureResampler()) return false;
  }
  const int maxOut = swr_get_out_samples(swr_, frame_->nb_samples);
  if (maxOut < 0) return false;
  const size_t needed = (write_ + static_cast<size_t>(maxOut)) * static_cast<size_t>(channels_);
  if (needed > samples_.size()) samples_.resize(needed);  // only for unusual formats
  uint8_t* out = reinterpret_cast<uint8_t*>(samples_.data() + write_ * channels_);
  const int n =
      swr_convert(swr_, &out, maxOut, const_cast<const uint8_t**>(frame_->extended_data), frame_->nb_samples);
  if (n < 0) return false;
  write_ += static_cast<size_t>(n);
  return true;
}

void AudioOpusTranscoder::appendSilence(size_t frames) {
  const size_t needed = (write_ + frames) * static_cast<size_t>(channels_);
  if (needed > samples_.size()) samples_.resize(needed);
  std::memset(samples_.data() + write_ * channels_, 0, frames * channels_ * sizeof(int16_t));
  write_ += frames;
}

void AudioOpusTranscoder::emitPackets(OpusPacketSink& sink) {
  while (write_ - read_ >= static_cast<size_t>(kFrameSamples)) {
    const opus_int32 n = opus_encode(encoder_, samples_.data() + read_ * channels_, kFrameSamples,
                                     opusPacket_.data(), static_cast<opus_int32>(opusPacket_.size()));
    if (n > 0) {
      sink.onOpusPacket(opusPacket_.data(), static_cast<size_t>(n), static_cast<uint32_t>(outPos_));
      ++packetsOut_;
    } else {
      ++encodeErrors_;
    }
    read_ += kFrameSamples;
    outPos_ += kFrameSamples;
  }
  if (read_ > 0) {
    const size_t pending = write_ - read_;
    std::memmove(samples_.data(), samples_.data() + read_ * channels_, pending * channels_ * sizeof(int16_t));
    read_ = 0;
    write_ = pending;
  }
}

void AudioOpusTranscoder::dropTimeline() {
  read_ = write_ = 0;
  anchored_ = false;
  swr_free(&swr_);  // rebuilt for the next decoded frame, without the old stream's tail
  swrInRate_ = 0;
  avcodec_flush_buffers(decoder_);
}

void AudioOpusTranscoder::reset() {
  checkThread();
  dropTimeline();
  opus_encoder_ctl(encoder_, OPUS_RESET_STATE);
}

}  // namespace sluice::transcode
