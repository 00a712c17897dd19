// A stand-in for libsluice-transcode.so that stream_ingest_fuzz loads (SLUICE_TRANSCODE_MODULE)
// so the stream's transcoding glue is fuzzed at the speed of the rest: creating libavcodec's
// AAC decoder costs ~2 ms per input and the real transcoder has audio_opus_transcoder_fuzz.
// It emits what a transcoder may: 0-2 packets per unit, of 1..1275 bytes (Opus' largest
// frame), their timestamps the unit's rescaled to 48 kHz and unwrapped as the real one does.
#include <algorithm>
#include <string>

#include "media/AudioTranscoder.h"

namespace {

class FuzzTranscoder final : public sluice::media::AudioTranscoder {
 public:
  explicit FuzzTranscoder(uint32_t clockRate) : clockRate_(clockRate) {}  // not 0: the factory checks

  void push(const uint8_t* unit, size_t size, uint32_t rtpTimestamp,
            sluice::media::OpusPacketSink& sink) override {
    ++framesIn_;
    if (!anchored_) {
      last_ = rtpTimestamp;
      anchored_ = true;
    }
    unwrapped_ += static_cast<int32_t>(rtpTimestamp - last_);
    last_ = rtpTimestamp;
    if (size == 0) {
      ++decodeErrors_;
      return;
    }
    const int64_t at48k = unwrapped_ * int64_t{kOutputRate} / clockRate_;
    const size_t packets = unit[0] % 3;
    for (size_t i = 0; i < packets; ++i) {
      const size_t n = std::min<size_t>(size, 1275);
      sink.onOpusPacket(unit, n, static_cast<uint32_t>(at48k + static_cast<int64_t>(i) * 960));
      ++packetsOut_;
    }
  }
  void reset() override { anchored_ = false; }
  uint64_t framesIn() const override { return framesIn_; }
  uint64_t packetsOut() const override { return packetsOut_; }
  uint64_t decodeErrors() const override { return decodeErrors_; }

 private:
  const uint32_t clockRate_;
  bool anchored_ = false;
  uint32_t last_ = 0;
  int64_t unwrapped_ = 0;
  uint64_t framesIn_ = 0, packetsOut_ = 0, decodeErrors_ = 0;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) sluice::media::AudioTranscoder*
sluice_create_audio_transcoder(const sluice::media::AudioTranscoderSpec* spec, std::string* error) {
  if (spec->clockRate == 0) {
    *error = "no clock rate";
    return nullptr;
  }
  return new FuzzTranscoder(spec->clockRate);
}
