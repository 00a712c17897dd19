#pragma once
// AAC (MPEG-4 Audio) or G.711 at a rate browsers don't take -> Opus, for WebRTC readers of a
// camera that sends it. One instance per stream (never per viewer), fed the raw input units
// (AAC: the access units the depacketizers emit, Mpeg4GenericDepacketizer and
// LatmDepacketizer through AacAccessUnitSink; G.711: each RTP payload) only while a reader
// needs Opus; reset() when the last one leaves.
//
// Pipeline: a libavcodec decoder ("aac" with extradata = the AudioSpecificConfig, or
// pcm_mulaw / pcm_alaw with the declared rate and channels) -> libswresample to 48 kHz
// interleaved s16 -> a sample buffer -> libopus, one packet per 20 ms (960 samples).
// Everything after the decoder is the same for every input.
//
// Supported AAC configs: AAC Main, LC, LTP, ER AAC LC and ER AAC LD, each also as HE-AAC
// (SBR) and HE-AACv2 (PS), in the channel configurations libavcodec decodes (tested: mono,
// stereo, 5.1; configuration 0, a program_config_element, is refused by AacConfig already).
// Supported G.711: µ-law or A-law, 8000..48000 Hz, mono or stereo (RFC 3551 §4.5.14: one
// byte per sample, channels interleaved), so an input unit of N bytes is N / channels
// samples.
// Mono is encoded as mono Opus, everything else as stereo: more than two channels are
// downmixed by libswresample (its default matrix), and an explicit HE-AACv2 config (PS: mono
// core, stereo output) is encoded as stereo (PS found only in the stream of a mono config
// is downmixed to mono). The Opus RTP stream is declared opus/48000/2 either way (RFC 7587);
// decoders handle mono.
// Refused with an error: AAC SSR, Scalable and the other ER object types (libavcodec cannot
// decode them), G.711 at a rate outside 8000..48000 Hz or with other than 1 or 2 channels,
// a clock rate of 0.
//
// Timestamps (48 kHz RTP clock, derived from the input for lip sync):
//   - The input RTP timestamp is unwrapped to 64 bits (continuity across its 32-bit wrap),
//     and every unit has a position on the 48 kHz timeline: ts64 * 48000 / clockRate.
//   - The first unit (after creation, reset() or a discontinuity) anchors the output: the
//     first packet's timestamp is that unit's position modulo 2^32; each next packet is +960.
//   - Each next unit is compared with where the output expects it (end of the samples
//     produced so far, plus the resampler's delay):
//       * later by more than 100 ms, earlier by more than 100 ms, or not after the previous
//         unit's timestamp (backwards or repeated): a discontinuity. The buffered samples
//         (less than 20 ms) and the resampler's state are dropped and the output re-anchors
//         on this unit; discontinuities() counts it.
//       * later by 2..100 ms (lost or undecodable units): the gap is filled with silence so
//         the output stays on the input's clock; concealedGaps() counts it.
//       * otherwise (within 2 ms later, or up to 100 ms earlier: rounding, small drift): the
//         samples follow on without a change.
//
// Errors: a unit that is refused (AAC: garbage, truncated, empty, over
// kMaxAacAccessUnitSize, or decoding to a channel count or sample rate the config cannot
// explain, e.g. corrupt data read as a program_config_element; G.711: empty, over
// kMaxG711PayloadSize, or not a whole number of samples per channel) counts in
// decodeErrors(), contributes no samples (the decoder is flushed, so nothing of it lingers),
// and the next good unit decodes normally. libavcodec's messages about bad input are kept
// below the default log level. Never throws.
//
// Allocation: the AVCodecContext, AVPacket, AVFrame, sample buffer and Opus encoder are
// allocated at creation. Per unit, libavcodec itself still allocates: a padded copy of the
// unit (avcodec_send_packet references a packet that does not own its data by copying it)
// and the small AVBufferRefs of the decoded frame, whose sample memory comes from its reused
// buffer pool; nothing else allocates per unit. The resampler is (re)built only when the
// decoded format changes (the first frame; SBR or PS found in the stream) and after a
// discontinuity or reset(). The sample buffer is sized at creation for the longest unit the
// input allows (AAC: every standard rate; it grows only for an explicit rate under
// 7350 Hz. G.711: kMaxG711PayloadSize bytes).
//
// Threading: not thread-safe. One instance per stream, used only on that stream's worker
// thread (debug builds assert that push/reset run on one thread).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "media/AacAccessUnit.h"
#include "media/AacConfig.h"
#include "media/AudioTranscoder.h"

struct AVCodecContext;
struct AVPacket;
struct AVFrame;
struct SwrContext;
struct OpusEncoder;

namespace sluice::transcode {

using media::AacAccessUnit;
using media::AacConfig;
using media::OpusPacketSink;

struct AudioOpusOptions {
  int bitrate = 0;     // bit/s; 0 = 64000 for stereo output, 32000 for mono
  int complexity = 5;  // libopus 0..10 (see docs/BENCHMARKS.md for the cost per frame)
};

// The largest G.711 unit taken: far above an MTU-sized RTP payload (1.02 s at 8 kHz mono),
// small enough that the sample buffer never grows.
inline constexpr size_t kMaxG711PayloadSize = 8192;

class AudioOpusTranscoder final : public media::AudioTranscoder {
 public:
  enum class Input { Aac, G711MuLaw, G711ALaw };

  static constexpr int kFrameSamples = 960;           // 20 ms at 48 kHz
  static constexpr size_t kMaxOpusPacket = 1188;      // bytes
  static constexpr uint32_t kMaxGapMs = 100;          // beyond this (or backwards): re-anchor
  static constexpr uint32_t kConcealThresholdMs = 2;  // later than this: fill with silence
  static constexpr uint32_t kMinG711Rate = 8000, kMaxG711Rate = 48000;

  // AAC. nullptr with `error` set when the config cannot be decoded (see above) or a library
  // refuses it. `clockRate`: the RTP clock rate of the AAC track (usually its sample rate).
  static std::unique_ptr<AudioOpusTranscoder> create(const AacConfig& config, uint32_t clockRate,
                                                     std::string& error,
                                                     const AudioOpusOptions& options = {});
  // From the raw AudioSpecificConfig bytes (fmtp config= of mpeg4-generic, or from LATM's
  // StreamMuxConfig).
  static std::unique_ptr<AudioOpusTranscoder> create(const uint8_t* audioSpecificConfig, size_t size,
                                                     uint32_t clockRate, std::string& error,
                                                     const AudioOpusOptions& options = {});
  // G.711 (PCMU if `muLaw`, else PCMA) at `sampleRate` with `channels`, as the SDP declares
  // it; `clockRate`: the RTP clock rate of the track (the sample rate, per RFC 3551).
  static std::unique_ptr<AudioOpusTranscoder> createG711(bool muLaw, uint32_t sampleRate, uint32_t channels,
                                                         uint32_t clockRate, std::string& error,
                                                         const AudioOpusOptions& options = {});
  ~AudioOpusTranscoder() override;
  AudioOpusTranscoder(const AudioOpusTranscoder&) = delete;
  AudioOpusTranscoder& operator=(const AudioOpusTranscoder&) = delete;

  // One input unit with its RTP timestamp in the input's clock: a raw AAC access unit (no
  // ADTS header), or a G.711 RTP payload. Emits zero or more 20 ms Opus packets to `sink`
  // before returning.
  void push(const uint8_t* unit, size_t size, uint32_t rtpTimestamp, OpusPacketSink& sink) override;
  // The same, for what an AacAccessUnitSink receives from the depacketizers.
  using media::AudioTranscoder::push;
  // Drops all state (decoder, resampler, buffered samples, anchor); the next push
  // re-anchors. Counters are kept.
  void reset() override;

  Input input() const { return input_; }
  uint32_t inputSampleRate() const { return inputRate_; }  // AAC: of the core (config)
  int inputChannels() const { return inputChannels_; }     // AAC: of the config
  int outputChannels() const { return channels_; }         // of the Opus encoder: 1 or 2
  const AacConfig& config() const { return config_; }      // AAC only (empty for G.711)

  uint64_t framesIn() const override { return framesIn_; }  // input units pushed
  uint64_t packetsOut() const override { return packetsOut_; }
  uint64_t decodeErrors() const override { return decodeErrors_; }
  uint64_t discontinuities() const {
    return discontinuities_;
  }  // input jumps (not the first unit, not reset())
  uint64_t concealedGaps() const { return concealedGaps_; }
  uint64_t encodeErrors() const { return encodeErrors_; }  // libopus failures (not expected)

 private:
  AudioOpusTranscoder(Input input, const AacConfig& config, uint32_t inputRate, int inputChannels,
                      uint32_t clockRate, int channels);
  bool init(const AudioOpusOptions& options, std::string& error);
  bool openDecoder(std::string& error);
  const char* name() const;  // for errors: "AAC->Opus" or "G.711->Opus"

  // Decodes the unit in packet_ into samples_ (appended); false on a decoder error.
  bool decode(const uint8_t* unit, size_t size);
  bool acceptable(size_t size) const;  // a unit the input allows, before decoding
  bool plausibleFrame() const;         // frame_'s channels and rate fit the input
  bool convertFrame();                 // frame_ -> samples_ through swr_
  bool configureResampler();           // for frame_'s format
  void appendSilence(size_t frames);
  void emitPackets(OpusPacketSink& sink);
  void dropTimeline();             // buffered samples, resampler state, anchor
  int64_t resamplerDelay() const;  // samples (48 kHz) held inside swr_
  void checkThread();

  Input input_;
  AacConfig config_;    // AAC only
  uint32_t inputRate_;  // samples/s the decoder is declared (G.711) or configured (AAC) with
  int inputChannels_;   // of the input
  uint32_t clockRate_;
  int channels_;  // of the output: 1 or 2

  AVCodecContext* decoder_ = nullptr;  // owned
  AVPacket* packet_ = nullptr;         // owned
  AVFrame* frame_ = nullptr;           // owned
  SwrContext* swr_ = nullptr;          // owned; built for the first decoded frame's format
  int swrInRate_ = 0, swrInFormat_ = -1;
  int swrInChannels_ = 0;
  OpusEncoder* encoder_ = nullptr;  // owned

  std::vector<int16_t> samples_;  // interleaved 48 kHz s16; [read_, write_) frames are pending
  size_t read_ = 0, write_ = 0;   // in frames (samples per channel)
  std::vector<uint8_t> opusPacket_;

  // Timeline. Positions are 64-bit sample counts on the 48 kHz clock.
  bool anchored_ = false;
  uint32_t lastInTs_ = 0;    // previous unit's RTP timestamp
  uint64_t lastInTs64_ = 0;  // the same, unwrapped
  int64_t outPos_ = 0;       // position of samples_[read_]

  uint64_t framesIn_ = 0, packetsOut_ = 0, decodeErrors_ = 0, discontinuities_ = 0, concealedGaps_ = 0,
           encodeErrors_ = 0;
  std::thread::id thread_{};  // debug check: the thread that pushes
};

}  // namespace sluice::transcode
