#pragma once
// AAC (MPEG-4 Audio) -> Opus, for WebRTC readers of a camera that sends AAC. One instance
// per stream (never per viewer), fed the raw access units the depacketizers emit
// (Mpeg4GenericDepacketizer, LatmDepacketizer: AacAccessUnitSink), only while a reader needs
// Opus; reset() when the last one leaves.
//
// Pipeline: libavcodec's "aac" decoder (extradata = the AudioSpecificConfig) -> libswresample
// to 48 kHz interleaved s16 -> a sample buffer -> libopus, one packet per 20 ms (960 samples).
//
// Supported configs: AAC Main, LC, LTP, ER AAC LC and ER AAC LD, each also as HE-AAC (SBR)
// and HE-AACv2 (PS), in the channel configurations libavcodec decodes (tested: mono, stereo,
// 5.1; configuration 0, a program_config_element, is refused by AacConfig already).
// Mono is encoded as mono Opus, everything else as stereo: more than two channels are
// downmixed by libswresample (its default matrix), and an explicit HE-AACv2 config (PS: mono
// core, stereo output) is encoded as stereo (PS found only in the stream of a mono config
// is downmixed to mono). The Opus RTP stream is declared opus/48000/2 either way (RFC 7587);
// decoders handle mono.
// Refused with an error: AAC SSR, Scalable and the other ER object types (libavcodec cannot
// decode them), a clock rate of 0.
//
// Timestamps (48 kHz RTP clock, derived from the input for lip sync):
//   - The input RTP timestamp is unwrapped to 64 bits (continuity across its 32-bit wrap),
//     and every AU has a position on the 48 kHz timeline: ts64 * 48000 / clockRate.
//   - The first AU (after creation, reset() or a discontinuity) anchors the output: the
//     first packet's timestamp is that AU's position modulo 2^32; each next packet is +960.
//   - Each next AU is compared with where the output expects it (end of the samples produced
//     so far, plus the resampler's delay):
//       * later by more than 100 ms, earlier by more than 100 ms, or not after the previous
//         AU's timestamp (backwards or repeated): a discontinuity. The buffered samples (less
//         than 20 ms) and the resampler's state are dropped and the output re-anchors on
//         this AU; discontinuities() counts it.
//       * later by 2..100 ms (lost or undecodable AUs): the gap is filled with silence so the
//         output stays on the input's clock; concealedGaps() counts it.
//       * otherwise (within 2 ms later, or up to 100 ms earlier: rounding, small drift): the
//         samples follow on without a change.
//
// Errors: an AU that libavcodec refuses (garbage, truncated, empty, over
// kMaxAacAccessUnitSize), or that decodes to a channel count or sample rate the config
// cannot explain (corrupt data read as a program_config_element, say), counts in
// decodeErrors(), contributes no samples (the decoder is flushed, so nothing of it
// lingers), and the next good AU decodes normally. libavcodec's messages about bad input
// are kept below the default log level. Never throws.
//
// Allocation: the AVCodecContext, AVPacket, AVFrame, sample buffer and Opus encoder are
// allocated at creation. Per AU, libavcodec itself still allocates: a padded copy of the AU
// (avcodec_send_packet references a packet that does not own its data by copying it) and
// the small AVBufferRefs of the decoded frame, whose sample memory comes from its reused
// buffer pool; nothing else allocates per AU. The resampler is (re)built only when the
// decoded format changes (the first frame; SBR or PS found in the stream) and after a
// discontinuity or reset(). The sample buffer is sized at creation for every standard AAC
// rate (it grows only for an explicit rate under 7350 Hz).
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

struct AVCodecContext;
struct AVPacket;
struct AVFrame;
struct SwrContext;
struct OpusEncoder;

namespace sluice::media {

class OpusPacketSink {
 public:
  virtual ~OpusPacketSink() = default;
  // One 20 ms Opus packet; `data` is valid only during the call.
  virtual void onOpusPacket(const uint8_t* data, size_t size, uint32_t timestamp48k) = 0;
};

struct AacOpusOptions {
  int bitrate = 0;     // bit/s; 0 = 64000 for stereo output, 32000 for mono
  int complexity = 5;  // libopus 0..10 (see docs/BENCHMARKS.md for the cost per frame)
};

class AacOpusTranscoder {
 public:
  static constexpr uint32_t kOutputRate = 48000;
  static constexpr int kFrameSamples = 960;           // 20 ms at 48 kHz
  static constexpr size_t kMaxOpusPacket = 1188;      // bytes
  static constexpr uint32_t kMaxGapMs = 100;          // beyond this (or backwards): re-anchor
  static constexpr uint32_t kConcealThresholdMs = 2;  // later than this: fill with silence

  // nullptr with `error` set when the config cannot be decoded (see above) or a library
  // refuses it. `clockRate`: the RTP clock rate of the AAC track (usually its sample rate).
  static std::unique_ptr<AacOpusTranscoder> create(const AacConfig& config, uint32_t clockRate,
                                                   std::string& error, const AacOpusOptions& options = {});
  // From the raw AudioSpecificConfig bytes (fmtp config= of mpeg4-generic, or from LATM's
  // StreamMuxConfig).
  static std::unique_ptr<AacOpusTranscoder> create(const uint8_t* audioSpecificConfig, size_t size,
                                                   uint32_t clockRate, std::string& error,
                                                   const AacOpusOptions& options = {});
  ~AacOpusTranscoder();
  AacOpusTranscoder(const AacOpusTranscoder&) = delete;
  AacOpusTranscoder& operator=(const AacOpusTranscoder&) = delete;

  // One raw AAC access unit (no ADTS header) with its RTP timestamp in the AAC clock.
  // Emits zero or more 20 ms Opus packets to `sink` before returning.
  void push(const uint8_t* au, size_t size, uint32_t rtpTimestamp, OpusPacketSink& sink);
  // The same, for what an AacAccessUnitSink receives from the depacketizers.
  void push(const AacAccessUnit& unit, OpusPacketSink& sink) {
    push(unit.data, unit.size, unit.timestamp, sink);
  }
  // Drops all state (decoder, resampler, buffered samples, anchor); the next push
  // re-anchors. Counters are kept.
  void reset();

  int outputChannels() const { return channels_; }  // of the Opus encoder: 1 or 2
  const AacConfig& config() const { return config_; }

  uint64_t framesIn() const { return framesIn_; }  // access units pushed
  uint64_t packetsOut() const { return packetsOut_; }
  uint64_t decodeErrors() const { return decodeErrors_; }
  uint64_t discontinuities() const {
    return discontinuities_;
  }  // input jumps (not the first AU, not reset())
  uint64_t concealedGaps() const { return concealedGaps_; }
  uint64_t encodeErrors() const { return encodeErrors_; }  // libopus failures (not expected)

 private:
  AacOpusTranscoder(const AacConfig& config, uint32_t clockRate, int channels);
  bool init(const AacOpusOptions& options, std::string& error);

  // Decodes the AU in packet_ into samples_ (appended); false on a decoder error.
  bool decode(const uint8_t* au, size_t size);
  bool plausibleFrame() const;  // frame_'s channels and rate fit the config
  bool convertFrame();          // frame_ -> samples_ through swr_
  bool configureResampler();    // for frame_'s format
  void appendSilence(size_t frames);
  void emitPackets(OpusPacketSink& sink);
  void dropTimeline();             // buffered samples, resampler state, anchor
  int64_t resamplerDelay() const;  // samples (48 kHz) held inside swr_
  void checkThread();

  AacConfig config_;
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
  uint32_t lastInTs_ = 0;    // previous AU's RTP timestamp
  uint64_t lastInTs64_ = 0;  // the same, unwrapped
  int64_t outPos_ = 0;       // position of samples_[read_]

  uint64_t framesIn_ = 0, packetsOut_ = 0, decodeErrors_ = 0, discontinuities_ = 0, concealedGaps_ = 0,
           encodeErrors_ = 0;
  std::thread::id thread_{};  // debug check: the thread that pushes
};

}  // namespace sluice::media
