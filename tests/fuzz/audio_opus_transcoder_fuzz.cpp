// module: transcode
// Feeds input units to AudioOpusTranscoder (libavcodec's AAC or G.711 decoder,
// libswresample, libopus). Input: byte 0 selects the input: bit 3 clear = AAC, set = G.711;
// bits 0..2 pick the AudioSpecificConfig and RTP clock, or the G.711 law, rate and channels.
// Then records of [u8 timestamp step][u16 length][unit: AAC access unit or G.711 payload].
// Step 0 advances the timestamp by one unit (AAC: the config's AU duration; G.711: the
// previous payload's samples), 0xFF resets the transcoder, anything else jumps by (int8)step x
// 4096 units (forward, backward, into the concealment or the re-anchor range). Checks every
// Opus packet's size and that timestamps step by exactly 960 between re-anchors. libopus runs
// at complexity 0: its encoder took 70% of the time at the server's 5, and what is fuzzed is
// our decoding, resampling, framing and timing around it, the same at any complexity.
#include <array>
#include <cstdlib>
#include <memory>
#include <string>

#include "transcode/AudioOpusTranscoder.h"

using namespace sluice::media;
using namespace sluice::transcode;

namespace {

struct Config {
  const char* hex;
  uint32_t clockRate;
};
// AAC LC 48 kHz stereo, LC 8 kHz mono, HE-AAC (explicit SBR) 24/48 kHz stereo, AAC LTP
// 48 kHz stereo, LC 44.1 kHz stereo on a 90 kHz clock, LC 16 kHz mono, AAC Main 48 kHz
// mono, HE-AACv2 (explicit PS) 24/48 kHz.
constexpr Config kConfigs[8] = {{"1190", 48000}, {"1588", 8000},  {"2b118800", 48000}, {"2190", 48000},
                                {"1210", 90000}, {"1408", 16000}, {"0988", 48000},     {"eb098800", 48000}};

struct G711 {
  bool muLaw;
  uint32_t rate;
  uint32_t channels;
};
// Rates browsers don't take, mono and stereo, both laws (the clock is the rate, RFC 3551).
constexpr G711 kG711[8] = {{true, 16000, 1}, {false, 16000, 1}, {false, 8000, 2}, {true, 32000, 1},
                           {true, 48000, 2}, {false, 44100, 2}, {true, 11025, 1}, {false, 22050, 2}};

constexpr AudioOpusOptions kOptions{0, 0};  // default bit rate, complexity 0 (see the top)

struct CheckingSink : OpusPacketSink {
  const AudioOpusTranscoder* transcoder = nullptr;
  bool have = false;
  uint32_t last = 0;
  uint64_t discontinuities = 0;
  void onOpusPacket(const uint8_t* data, size_t size, uint32_t timestamp48k) override {
    if (size == 0 || size > AudioOpusTranscoder::kMaxOpusPacket) std::abort();
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < size; ++i) sum = sum + data[i];
    // Concealed gaps are filled with silence: only a re-anchor may break the 960 steps.
    if (have && transcoder->discontinuities() == discontinuities && timestamp48k - last != 960) std::abort();
    have = true;
    last = timestamp48k;
    discontinuities = transcoder->discontinuities();
  }
};

AudioOpusTranscoder* g711TranscoderFor(size_t index) {
  static std::array<std::unique_ptr<AudioOpusTranscoder>, 8> transcoders;
  if (!transcoders[index]) {
    std::string error;
    const G711& g = kG711[index];
    transcoders[index] =
        AudioOpusTranscoder::createG711(g.muLaw, g.rate, g.channels, g.rate, error, kOptions);
    if (!transcoders[index]) std::abort();
  }
  return transcoders[index].get();
}

AudioOpusTranscoder* aacTranscoderFor(size_t index) {
  static std::array<std::unique_ptr<AudioOpusTranscoder>, 8> transcoders;
  if (!transcoders[index]) {
    std::string error;
    auto config = parseAudioSpecificConfigHex(kConfigs[index].hex, error);
    if (!config) std::abort();
    transcoders[index] = AudioOpusTranscoder::create(*config, kConfigs[index].clockRate, error, kOptions);
    if (!transcoders[index]) std::abort();
  }
  return transcoders[index].get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t index = data[0] & 7;
  const bool g711 = (data[0] & 8) != 0;
  AudioOpusTranscoder* t = g711 ? g711TranscoderFor(index) : aacTranscoderFor(index);
  t->reset();  // each input starts from a fresh timeline
  CheckingSink sink;
  sink.transcoder = t;
  std::string error;
  const uint32_t aacIncrement = g711 ? 0
                                     : parseAudioSpecificConfigHex(kConfigs[index].hex, error)
                                           ->timestampIncrement(kConfigs[index].clockRate);
  uint32_t ts = 0x12345678;
  size_t offset = 1;
  while (offset + 3 <= size) {
    const uint8_t step = data[offset];
    size_t n = (size_t{data[offset + 1]} << 8) | data[offset + 2];
    offset += 3;
    if (n > size - offset) n = size - offset;
    if (step == 0xFF) {
      t->reset();
      sink.have = false;
    } else if (step != 0) {
      ts += static_cast<uint32_t>(static_cast<int8_t>(step) * 4096);
    }
    t->push(data + offset, n, ts, sink);
    ts += g711 ? static_cast<uint32_t>(n / kG711[index].channels) : aacIncrement;
    offset += n;
  }
  return 0;
}
