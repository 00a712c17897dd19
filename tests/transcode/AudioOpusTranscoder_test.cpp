#include "transcode/AudioOpusTranscoder.h"

#include <gtest/gtest.h>
#include <opus.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "media/AacAccessUnit.h"

using namespace sluice::media;
using namespace sluice::transcode;

namespace {

using Bytes = std::vector<uint8_t>;

// The input comes from a real peer: ffmpeg's AAC encoder, run at test time, writing ADTS.
struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sluice-aac-XXXXXX").string();
    path = mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    if (!path.empty()) std::filesystem::remove_all(path);
  }
};

struct AacStream {
  AacConfig config;
  std::vector<Bytes> units;  // raw access units, ADTS headers removed
  std::string error;
};

// Splits an ADTS file into raw AUs and builds the AudioSpecificConfig from the first header
// (ISO/IEC 14496-3 §1.A.2: profile = object type - 1, sampling_frequency_index,
// channel_configuration).
AacStream splitAdts(const Bytes& file) {
  AacStream s;
  size_t pos = 0;
  while (pos + 7 <= file.size()) {
    const uint8_t* h = file.data() + pos;
    if (h[0] != 0xFF || (h[1] & 0xF6) != 0xF0) {
      s.error = "no ADTS sync word at " + std::to_string(pos);
      return s;
    }
    const bool crc = (h[1] & 0x01) == 0;
    const int objectType = ((h[2] >> 6) & 3) + 1;
    const int freqIndex = (h[2] >> 2) & 15;
    const int channelConfig = ((h[2] & 1) << 2) | (h[3] >> 6);
    const size_t frameLength = ((h[3] & 3u) << 11) | (h[4] << 3) | (h[5] >> 5);
    const int rawBlocks = h[6] & 3;
    const size_t header = crc ? 9 : 7;
    if (rawBlocks != 0 || frameLength < header || pos + frameLength > file.size()) {
      s.error = "unsupported or truncated ADTS frame at " + std::to_string(pos);
      return s;
    }
    if (s.units.empty()) {
      Bytes asc{static_cast<uint8_t>((objectType << 3) | (freqIndex >> 1)),
                static_cast<uint8_t>(((freqIndex & 1) << 7) | (channelConfig << 3))};
      auto config = parseAudioSpecificConfig(asc.data(), asc.size(), s.error);
      if (!config) return s;
      s.config = *config;
    }
    s.units.emplace_back(h + header, h + frameLength);
    pos += frameLength;
  }
  if (s.units.empty()) s.error = "no ADTS frames";
  return s;
}

// A 1 kHz tone, `seconds` long, encoded by ffmpeg to AAC at `rate` Hz with `channels`.
AacStream ffmpegAac(int rate, int channels, double seconds = 2.0, const std::string& extra = "") {
  TempDir dir;
  const std::string out = dir.path + "/tone.aac";
  const std::string cmd =
      "ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i sine=frequency=1000:sample_rate=" +
      std::to_string(rate) + " -t " + std::to_string(seconds) + " -ac " + std::to_string(channels) +
      " -c:a aac " + extra + " -f adts " + out + " 2>&1";
  const int rc = std::system(cmd.c_str());
  AacStream s;
  if (rc != 0) {
    s.error = "ffmpeg (a declared test dependency, scripts/install-deps.sh) failed: exit " +
              std::to_string(rc) + " for: " + cmd;
    return s;
  }
  std::ifstream in(out, std::ios::binary);
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return splitAdts(bytes);
}

struct Packet {
  Bytes data;
  uint32_t timestamp;
};

struct CollectingSink : OpusPacketSink {
  std::vector<Packet> packets;
  void onOpusPacket(const uint8_t* data, size_t size, uint32_t timestamp48k) override {
    packets.push_back({Bytes(data, data + size), timestamp48k});
  }
};

// Decodes the packets with libopus (stereo output) and returns the left channel.
std::vector<int16_t> decodeOpus(const std::vector<Packet>& packets) {
  int error = 0;
  OpusDecoder* decoder = opus_decoder_create(48000, 2, &error);
  EXPECT_EQ(error, OPUS_OK);
  std::vector<int16_t> left;
  int16_t pcm[5760 * 2];
  for (const Packet& p : packets) {
    int n = opus_decode(decoder, p.data.data(), static_cast<opus_int32>(p.data.size()), pcm, 5760, 0);
    EXPECT_EQ(n, 960) << "each packet is 20 ms";
    for (int i = 0; i < n; ++i) left.push_back(pcm[2 * i]);
  }
  opus_decoder_destroy(decoder);
  return left;
}

struct Tone {
  double frequency = 0;  // from zero crossings
  double rms = 0;
};

// Skips the first 200 ms (encoder priming, resampler and Opus start-up) and the last 100 ms.
Tone measure(const std::vector<int16_t>& pcm) {
  Tone t;
  const size_t begin = 9600, end = pcm.size() > 4800 ? pcm.size() - 4800 : 0;
  if (end <= begin + 4800) return t;
  size_t crossings = 0;
  double energy = 0;
  for (size_t i = begin; i < end; ++i) {
    energy += double(pcm[i]) * pcm[i];
    if (i > begin && (pcm[i - 1] < 0) != (pcm[i] < 0)) ++crossings;
  }
  const double seconds = double(end - begin) / 48000;
  t.frequency = crossings / 2.0 / seconds;
  t.rms = std::sqrt(energy / double(end - begin));
  return t;
}

std::unique_ptr<AudioOpusTranscoder> make(const AacStream& s, uint32_t clockRate) {
  std::string error;
  auto t = AudioOpusTranscoder::create(s.config, clockRate, error);
  EXPECT_TRUE(t) << error;
  return t;
}

uint32_t rescale(uint64_t ts, uint32_t rate) { return static_cast<uint32_t>(ts * 48000 / rate); }

void expectSteps(const std::vector<Packet>& packets, size_t from, size_t to) {
  for (size_t i = from + 1; i < to && i < packets.size(); ++i)
    ASSERT_EQ(static_cast<uint32_t>(packets[i].timestamp - packets[i - 1].timestamp), 960u) << "packet " << i;
}

// Feeds every AU of `s` with timestamps start, start + 1024, ... and checks the output.
void transcodeTone(int rate, int channels, uint32_t start, int expectedOpusChannels) {
  AacStream s = ffmpegAac(rate, channels);
  ASSERT_TRUE(s.error.empty()) << s.error;
  ASSERT_EQ(s.config.sampleRate, static_cast<uint32_t>(rate));
  ASSERT_EQ(s.config.channels, channels);
  auto t = make(s, rate);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->outputChannels(), expectedOpusChannels);
  CollectingSink sink;
  uint32_t ts = start;
  for (const Bytes& au : s.units) {
    t->push(AacAccessUnit{au.data(), au.size(), ts}, sink);  // as a depacketizer's sink hands it on
    ts += 1024;
  }
  const double seconds = s.units.size() * 1024.0 / rate;
  EXPECT_NEAR(double(sink.packets.size()), seconds / 0.020, 2.0) << s.units.size() << " AUs";
  ASSERT_FALSE(sink.packets.empty());
  EXPECT_EQ(sink.packets[0].timestamp, rescale(start, rate));
  expectSteps(sink.packets, 0, sink.packets.size());
  EXPECT_EQ(t->framesIn(), s.units.size());
  EXPECT_EQ(t->packetsOut(), sink.packets.size());
  EXPECT_EQ(t->decodeErrors(), 0u);
  EXPECT_EQ(t->discontinuities(), 0u);
  EXPECT_EQ(t->concealedGaps(), 0u);
  for (const Packet& p : sink.packets) EXPECT_LE(p.data.size(), AudioOpusTranscoder::kMaxOpusPacket);

  Tone tone = measure(decodeOpus(sink.packets));
  EXPECT_NEAR(tone.frequency, 1000.0, 15.0);
  EXPECT_GT(tone.rms, 1000.0) << "ffmpeg's sine is 1/8 full scale: RMS about 2900";
}

// A 1 kHz tone, `seconds` long, encoded by ffmpeg to raw G.711 (one byte per sample,
// channels interleaved: what an RTP payload carries).
struct G711Stream {
  Bytes samples;
  std::string error;
};

G711Stream ffmpegG711(bool muLaw, int rate, int channels, double seconds = 2.0) {
  TempDir dir;
  const std::string format = muLaw ? "mulaw" : "alaw";
  const std::string out = dir.path + "/tone." + format;
  const std::string cmd =
      "ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i sine=frequency=1000:sample_rate=" +
      std::to_string(rate) + " -t " + std::to_string(seconds) + " -ac " + std::to_string(channels) +
      " -c:a pcm_" + format + " -f " + format + " " + out + " 2>&1";
  const int rc = std::system(cmd.c_str());
  G711Stream s;
  if (rc != 0) {
    s.error = "ffmpeg (a declared test dependency, scripts/install-deps.sh) failed: exit " +
              std::to_string(rc) + " for: " + cmd;
    return s;
  }
  std::ifstream in(out, std::ios::binary);
  s.samples.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.samples.empty()) s.error = "ffmpeg wrote no samples: " + cmd;
  return s;
}

// The stream cut into 20 ms RTP payloads.
std::vector<Bytes> payloads20ms(const G711Stream& s, int rate, int channels) {
  const size_t bytes = static_cast<size_t>(rate / 50 * channels);
  std::vector<Bytes> out;
  for (size_t pos = 0; pos + bytes <= s.samples.size(); pos += bytes)
    out.emplace_back(s.samples.begin() + static_cast<std::ptrdiff_t>(pos),
                     s.samples.begin() + static_cast<std::ptrdiff_t>(pos + bytes));
  return out;
}

std::unique_ptr<AudioOpusTranscoder> makeG711(bool muLaw, int rate, int channels) {
  std::string error;
  auto t =
      AudioOpusTranscoder::createG711(muLaw, static_cast<uint32_t>(rate), static_cast<uint32_t>(channels),
                                      static_cast<uint32_t>(rate), error);
  EXPECT_TRUE(t) << error;
  return t;
}

// Feeds 2 s of G.711 as 20 ms payloads with timestamps start, start + rate / 50, ... and
// checks the Opus that comes out.
void transcodeG711(bool muLaw, int rate, int channels, uint32_t start) {
  G711Stream s = ffmpegG711(muLaw, rate, channels);
  ASSERT_TRUE(s.error.empty()) << s.error;
  const std::vector<Bytes> payloads = payloads20ms(s, rate, channels);
  ASSERT_EQ(payloads.size(), 100u);
  auto t = makeG711(muLaw, rate, channels);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->input(), muLaw ? AudioOpusTranscoder::Input::G711MuLaw : AudioOpusTranscoder::Input::G711ALaw);
  EXPECT_EQ(t->outputChannels(), channels);
  CollectingSink sink;
  uint32_t ts = start;
  for (const Bytes& p : payloads) {
    t->push(p.data(), p.size(), ts, sink);
    ts += static_cast<uint32_t>(rate / 50);
  }
  EXPECT_NEAR(double(sink.packets.size()), 100.0, 2.0);
  ASSERT_FALSE(sink.packets.empty());
  EXPECT_EQ(sink.packets[0].timestamp, rescale(start, static_cast<uint32_t>(rate)));
  expectSteps(sink.packets, 0, sink.packets.size());
  EXPECT_EQ(t->framesIn(), payloads.size());
  EXPECT_EQ(t->packetsOut(), sink.packets.size());
  EXPECT_EQ(t->decodeErrors(), 0u);
  EXPECT_EQ(t->discontinuities(), 0u);
  EXPECT_EQ(t->concealedGaps(), 0u);
  for (const Packet& p : sink.packets) EXPECT_LE(p.data.size(), AudioOpusTranscoder::kMaxOpusPacket);

  Tone tone = measure(decodeOpus(sink.packets));
  EXPECT_NEAR(tone.frequency, 1000.0, 15.0);
  EXPECT_GT(tone.rms, 1000.0) << "ffmpeg's sine is 1/8 full scale: RMS about 2900";
}

}  // namespace

TEST(AudioOpusTranscoder, Stereo48kToneBecomesOpus) { transcodeTone(48000, 2, 123456, 2); }

TEST(AudioOpusTranscoder, Stereo44k1ResampledAcrossTimestampWrap) {
  // 2 s at 44.1 kHz crosses the 32-bit wrap of the input; 48000/44100 is not an integer, so
  // only the unwrapped rescale keeps the output steps at 960.
  transcodeTone(44100, 2, 0xFFFF0000u, 2);
}

TEST(AudioOpusTranscoder, Mono8kCameraAudio) { transcodeTone(8000, 1, 0xFFFFF000u, 1); }

TEST(AudioOpusTranscoder, Mono16k) { transcodeTone(16000, 1, 42, 1); }

TEST(AudioOpusTranscoder, FiveOneIsDownmixedToStereo) {
  AacStream s = ffmpegAac(48000, 6, 1.0);
  ASSERT_TRUE(s.error.empty()) << s.error;
  ASSERT_EQ(s.config.channels, 6);
  auto t = make(s, 48000);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->outputChannels(), 2);
  CollectingSink sink;
  uint32_t ts = 0;
  for (const Bytes& au : s.units) {
    t->push(au.data(), au.size(), ts, sink);
    ts += 1024;
  }
  EXPECT_EQ(t->decodeErrors(), 0u);
  EXPECT_NEAR(double(sink.packets.size()), s.units.size() * 1024.0 / 48000 / 0.020, 2.0);
  Tone tone = measure(decodeOpus(sink.packets));
  EXPECT_NEAR(tone.frequency, 1000.0, 15.0);
  EXPECT_GT(tone.rms, 500.0);
}

TEST(AudioOpusTranscoder, MainAndLtpProfilesDecode) {
  for (const auto& [profile, objectType] :
       {std::pair<std::string, int>{"aac_main", 1}, {"aac_ltp -strict -2", 4}}) {
    SCOPED_TRACE(profile);
    AacStream s = ffmpegAac(48000, 1, 1.0, "-profile:a " + profile);
    ASSERT_TRUE(s.error.empty()) << s.error;
    ASSERT_EQ(s.config.objectType, objectType);
    auto t = make(s, 48000);
    ASSERT_TRUE(t);
    CollectingSink sink;
    for (size_t i = 0; i < s.units.size(); ++i)
      t->push(s.units[i].data(), s.units[i].size(), uint32_t(i * 1024), sink);
    EXPECT_EQ(t->decodeErrors(), 0u);
    EXPECT_NEAR(double(sink.packets.size()), s.units.size() * 1024.0 / 48000 / 0.020, 2.0);
    Tone tone = measure(decodeOpus(sink.packets));
    EXPECT_NEAR(tone.frequency, 1000.0, 15.0);
    EXPECT_GT(tone.rms, 1000.0);
  }
}

TEST(AudioOpusTranscoder, RawConfigBytesFactory) {
  std::string error;
  const uint8_t asc[] = {0x15, 0x88};  // AAC LC 8000 Hz mono
  auto t = AudioOpusTranscoder::create(asc, sizeof asc, 8000, error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->config().sampleRate, 8000u);
  EXPECT_EQ(t->outputChannels(), 1);
}

TEST(AudioOpusTranscoder, TimestampJumpsReanchor) {
  AacStream s = ffmpegAac(16000, 1);
  ASSERT_TRUE(s.error.empty()) << s.error;
  auto t = make(s, 16000);
  ASSERT_TRUE(t);
  CollectingSink sink;
  const size_t third = s.units.size() / 3;
  uint32_t ts = 1000;
  std::vector<size_t> firstAfter;  // index of the first packet after each jump
  std::vector<uint32_t> jumpTs;
  for (size_t i = 0; i < s.units.size(); ++i) {
    if (i == third) {
      ts += 16000 * 10;  // 10 s forward
      firstAfter.push_back(sink.packets.size());
      jumpTs.push_back(ts);
    } else if (i == 2 * third) {
      ts -= 16000 * 5;  // 5 s backwards
      firstAfter.push_back(sink.packets.size());
      jumpTs.push_back(ts);
    }
    t->push(s.units[i].data(), s.units[i].size(), ts, sink);
    ts += 1024;
  }
  EXPECT_EQ(t->discontinuities(), 2u);
  EXPECT_EQ(t->decodeErrors(), 0u);
  ASSERT_EQ(firstAfter.size(), 2u);
  ASSERT_LT(firstAfter[1], sink.packets.size());
  EXPECT_EQ(sink.packets[0].timestamp, rescale(1000, 16000));
  EXPECT_EQ(sink.packets[firstAfter[0]].timestamp, rescale(jumpTs[0], 16000));
  EXPECT_EQ(sink.packets[firstAfter[1]].timestamp, rescale(jumpTs[1], 16000));
  expectSteps(sink.packets, 0, firstAfter[0]);
  expectSteps(sink.packets, firstAfter[0], firstAfter[1]);
  expectSteps(sink.packets, firstAfter[1], sink.packets.size());
  // Each re-anchor drops under 20 ms of buffered audio.
  EXPECT_NEAR(double(sink.packets.size()), s.units.size() * 1024.0 / 16000 / 0.020, 4.0);

  // A repeated timestamp is backwards too.
  const size_t before = sink.packets.size();
  t->push(s.units[5].data(), s.units[5].size(), ts - 1024, sink);
  EXPECT_EQ(t->discontinuities(), 3u);
  for (int i = 0; i < 10; ++i) {
    t->push(s.units[6 + i].data(), s.units[6 + i].size(), ts + 1024 * i, sink);
  }
  ASSERT_GT(sink.packets.size(), before);
  EXPECT_EQ(sink.packets[before].timestamp, rescale(ts - 1024, 16000));
}

TEST(AudioOpusTranscoder, LostAccessUnitsAreFilledWithSilence) {
  AacStream s = ffmpegAac(48000, 2);
  ASSERT_TRUE(s.error.empty()) << s.error;
  auto t = make(s, 48000);
  ASSERT_TRUE(t);
  CollectingSink sink;
  for (size_t i = 0; i < s.units.size(); ++i) {
    if (i == 40 || i == 41 || i == 60) continue;  // lost in the network: 2 + 1 AUs
    t->push(s.units[i].data(), s.units[i].size(), static_cast<uint32_t>(i * 1024), sink);
  }
  EXPECT_EQ(t->concealedGaps(), 2u);
  EXPECT_EQ(t->discontinuities(), 0u);
  // The output stays on the input's clock: as many packets as without the loss.
  EXPECT_NEAR(double(sink.packets.size()), s.units.size() * 1024.0 / 48000 / 0.020, 2.0);
  expectSteps(sink.packets, 0, sink.packets.size());
}

TEST(AudioOpusTranscoder, MalformedAccessUnitsAreCountedAndSkipped) {
  AacStream s = ffmpegAac(48000, 2);
  ASSERT_TRUE(s.error.empty()) << s.error;
  auto t = make(s, 48000);
  ASSERT_TRUE(t);
  CollectingSink sink;
  const Bytes garbage(300, 0xA5);
  const Bytes huge(kMaxAacAccessUnitSize + 1, 0);
  uint64_t bad = 0;
  for (size_t i = 0; i < s.units.size(); ++i) {
    const uint32_t ts = static_cast<uint32_t>(i * 1024);
    const Bytes& au = s.units[i];
    if (i % 10 == 3) {  // a truncated AU in place of the real one
      t->push(au.data(), au.size() / 3, ts, sink);
      ++bad;
    } else if (i % 10 == 6) {
      t->push(garbage.data(), garbage.size(), ts, sink);
      ++bad;
    } else if (i == 8) {
      t->push(au.data(), 0, ts, sink);
      ++bad;
    } else if (i == 18) {
      t->push(huge.data(), huge.size(), ts, sink);
      ++bad;
    } else {
      t->push(au.data(), au.size(), ts, sink);
    }
  }
  EXPECT_EQ(t->framesIn(), s.units.size());
  EXPECT_EQ(t->decodeErrors(), bad);
  EXPECT_EQ(t->discontinuities(), 0u);
  EXPECT_GE(t->concealedGaps(), bad - 2);  // the refused AUs' time is silence
  EXPECT_NEAR(double(sink.packets.size()), s.units.size() * 1024.0 / 48000 / 0.020, 2.0);
  expectSteps(sink.packets, 0, sink.packets.size());

  // The good AUs that follow are still a clean tone.
  const size_t before = sink.packets.size();
  for (size_t i = 0; i < s.units.size(); ++i) {
    t->push(s.units[i].data(), s.units[i].size(), static_cast<uint32_t>((s.units.size() + i) * 1024), sink);
  }
  EXPECT_EQ(t->decodeErrors(), bad);
  std::vector<Packet> after(sink.packets.begin() + static_cast<std::ptrdiff_t>(before), sink.packets.end());
  Tone tone = measure(decodeOpus(after));
  EXPECT_NEAR(tone.frequency, 1000.0, 15.0);
  EXPECT_GT(tone.rms, 1000.0);
}

TEST(AudioOpusTranscoder, ResetDropsStateAndReanchors) {
  AacStream s = ffmpegAac(8000, 1);  // 128 ms per AU
  ASSERT_TRUE(s.error.empty()) << s.error;
  ASSERT_GT(s.units.size(), 14u);
  auto t = make(s, 8000);
  ASSERT_TRUE(t);
  CollectingSink sink;
  for (size_t i = 0; i < 10; ++i) t->push(s.units[i].data(), s.units[i].size(), uint32_t(i * 1024), sink);
  t->reset();
  const size_t before = sink.packets.size();
  const uint32_t restart = 777777;
  for (size_t i = 10; i < s.units.size(); ++i)
    t->push(s.units[i].data(), s.units[i].size(), restart + uint32_t((i - 10) * 1024), sink);
  ASSERT_GT(sink.packets.size(), before);
  EXPECT_EQ(sink.packets[before].timestamp, rescale(restart, 8000));
  EXPECT_EQ(t->discontinuities(), 0u) << "a reset is not a discontinuity";
  expectSteps(sink.packets, before, sink.packets.size());
}

TEST(AudioOpusTranscoder, RtpClockOtherThanSampleRate) {
  // A 16 kHz track declared with a 90 kHz clock: 1024 samples = 5760 units.
  AacStream s = ffmpegAac(16000, 1, 1.0);
  ASSERT_TRUE(s.error.empty()) << s.error;
  auto t = make(s, 90000);
  ASSERT_TRUE(t);
  CollectingSink sink;
  const uint32_t start = 4000000000u;
  for (size_t i = 0; i < s.units.size(); ++i)
    t->push(s.units[i].data(), s.units[i].size(), start + uint32_t(i * 5760), sink);
  ASSERT_FALSE(sink.packets.empty());
  EXPECT_EQ(sink.packets[0].timestamp, rescale(start, 90000));
  EXPECT_EQ(t->discontinuities(), 0u);
  EXPECT_EQ(t->concealedGaps(), 0u);
  expectSteps(sink.packets, 0, sink.packets.size());
}

TEST(AudioOpusTranscoder, UnsupportedConfigsAreRefusedWithAClearError) {
  std::string error;
  // AAC SSR, 48 kHz stereo: 00011 0011 0010 000.
  const uint8_t ssr[] = {0x19, 0x90};
  EXPECT_FALSE(AudioOpusTranscoder::create(ssr, sizeof ssr, 48000, error));
  EXPECT_NE(error.find("cannot be decoded"), std::string::npos) << error;
  EXPECT_NE(error.find("object type 3"), std::string::npos) << error;
  // AAC Scalable (6), 48 kHz stereo, layerNr 0: 00110 0011 0010 000 000.
  const uint8_t scalable[] = {0x31, 0x90, 0x00};
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::create(scalable, sizeof scalable, 48000, error));
  EXPECT_NE(error.find("object type 6"), std::string::npos) << error;
  // Channel configuration 0 (a program_config_element): AacConfig refuses it.
  const uint8_t pce[] = {0x11, 0x80};
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::create(pce, sizeof pce, 48000, error));
  EXPECT_NE(error.find("channel configuration 0"), std::string::npos) << error;
  // Not a config at all.
  const uint8_t junk[] = {0xFF};
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::create(junk, sizeof junk, 48000, error));
  EXPECT_NE(error.find("AAC->Opus"), std::string::npos) << error;
  // A good config with no clock.
  const uint8_t lc[] = {0x11, 0x90};
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::create(lc, sizeof lc, 0, error));
  EXPECT_NE(error.find("clock rate 0"), std::string::npos) << error;
}

TEST(AudioOpusTranscoder, G711MuLaw16kMono) { transcodeG711(true, 16000, 1, 555); }

TEST(AudioOpusTranscoder, G711ALaw16kMono) { transcodeG711(false, 16000, 1, 0xFFFFF000u); }

TEST(AudioOpusTranscoder, G711ALaw8kStereo) { transcodeG711(false, 8000, 2, 98765); }

TEST(AudioOpusTranscoder, G711MuLaw48kStereoAcrossTimestampWrap) {
  transcodeG711(true, 48000, 2, 0xFFFF8000u);
}

TEST(AudioOpusTranscoder, G711LostPayloadsAreFilledWithSilence) {
  G711Stream s = ffmpegG711(true, 16000, 1);
  ASSERT_TRUE(s.error.empty()) << s.error;
  const std::vector<Bytes> payloads = payloads20ms(s, 16000, 1);
  auto t = makeG711(true, 16000, 1);
  ASSERT_TRUE(t);
  CollectingSink sink;
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (i == 30 || i == 31 || i == 60) continue;  // lost in the network: 2 + 1 payloads
    t->push(payloads[i].data(), payloads[i].size(), static_cast<uint32_t>(1000 + i * 320), sink);
  }
  EXPECT_EQ(t->concealedGaps(), 2u);
  EXPECT_EQ(t->discontinuities(), 0u);
  EXPECT_EQ(t->decodeErrors(), 0u);
  // The output stays on the input's clock: as many packets as without the loss, 960 apart.
  EXPECT_NEAR(double(sink.packets.size()), 100.0, 2.0);
  expectSteps(sink.packets, 0, sink.packets.size());
  // The lost 40 ms are silence in the decoded output (packets 30 and 31, give or take the
  // resampler's and Opus's sub-millisecond delays), the rest a tone.
  std::vector<int16_t> pcm = decodeOpus(sink.packets);
  ASSERT_GE(pcm.size(), 40u * 960);
  auto rms = [&](size_t from, size_t to) {
    double e = 0;
    for (size_t i = from; i < to; ++i) e += double(pcm[i]) * pcm[i];
    return std::sqrt(e / double(to - from));
  };
  EXPECT_LT(rms(30 * 960 + 480, 32 * 960 - 480), 300.0) << "the gap is silence";
  EXPECT_GT(rms(35 * 960, 55 * 960), 1000.0) << "the tone resumes";
}

TEST(AudioOpusTranscoder, G711MalformedPayloadsAreCountedAndSkipped) {
  G711Stream s = ffmpegG711(false, 16000, 2);
  ASSERT_TRUE(s.error.empty()) << s.error;
  const std::vector<Bytes> payloads = payloads20ms(s, 16000, 2);
  auto t = makeG711(false, 16000, 2);
  ASSERT_TRUE(t);
  CollectingSink sink;
  const Bytes huge(kMaxG711PayloadSize + 2, 0x55);
  uint64_t bad = 0;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const uint32_t ts = static_cast<uint32_t>(i * 320);
    const Bytes& p = payloads[i];
    if (i == 10) {
      t->push(p.data(), 0, ts, sink);  // empty
      ++bad;
    } else if (i == 20) {
      t->push(p.data(), p.size() - 1, ts, sink);  // half a stereo sample at the end
      ++bad;
    } else if (i == 40) {
      t->push(huge.data(), huge.size(), ts, sink);
      ++bad;
    } else {
      t->push(p.data(), p.size(), ts, sink);
    }
  }
  EXPECT_EQ(t->framesIn(), payloads.size());
  EXPECT_EQ(t->decodeErrors(), bad);
  EXPECT_EQ(t->discontinuities(), 0u);
  EXPECT_EQ(t->concealedGaps(), bad) << "each refused payload's 20 ms is silence";
  EXPECT_NEAR(double(sink.packets.size()), 100.0, 2.0);
  expectSteps(sink.packets, 0, sink.packets.size());
  Tone tone = measure(decodeOpus(sink.packets));
  EXPECT_NEAR(tone.frequency, 1000.0, 25.0);
}

TEST(AudioOpusTranscoder, G711TimestampJumpReanchorsAndResetRestarts) {
  G711Stream s = ffmpegG711(true, 32000, 1);
  ASSERT_TRUE(s.error.empty()) << s.error;
  const std::vector<Bytes> payloads = payloads20ms(s, 32000, 1);
  auto t = makeG711(true, 32000, 1);
  ASSERT_TRUE(t);
  CollectingSink sink;
  uint32_t ts = 7;
  size_t firstAfterJump = 0, firstAfterReset = 0;
  uint32_t jumpTs = 0, resetTs = 0;
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (i == 40) {
      ts += 32000 * 3;  // 3 s forward
      firstAfterJump = sink.packets.size();
      jumpTs = ts;
    } else if (i == 70) {
      t->reset();
      ts = 123456789;
      firstAfterReset = sink.packets.size();
      resetTs = ts;
    }
    t->push(payloads[i].data(), payloads[i].size(), ts, sink);
    ts += 640;
  }
  EXPECT_EQ(t->discontinuities(), 1u) << "a reset is not a discontinuity";
  ASSERT_LT(firstAfterReset, sink.packets.size());
  EXPECT_EQ(sink.packets[0].timestamp, rescale(7, 32000));
  EXPECT_EQ(sink.packets[firstAfterJump].timestamp, rescale(jumpTs, 32000));
  EXPECT_EQ(sink.packets[firstAfterReset].timestamp, rescale(resetTs, 32000));
  expectSteps(sink.packets, 0, firstAfterJump);
  expectSteps(sink.packets, firstAfterJump, firstAfterReset);
  expectSteps(sink.packets, firstAfterReset, sink.packets.size());
}

TEST(AudioOpusTranscoder, G711UnsupportedConfigsAreRefusedWithAClearError) {
  std::string error;
  EXPECT_FALSE(AudioOpusTranscoder::createG711(true, 0, 1, 8000, error));
  EXPECT_NE(error.find("PCMU at 0 Hz is not supported"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::createG711(false, 4000, 1, 4000, error));
  EXPECT_NE(error.find("PCMA at 4000 Hz is not supported (8000..48000 Hz)"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::createG711(true, 96000, 1, 96000, error));
  EXPECT_NE(error.find("96000 Hz"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::createG711(true, 16000, 0, 16000, error));
  EXPECT_NE(error.find("0 channels is not supported (mono or stereo)"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::createG711(false, 16000, 3, 16000, error));
  EXPECT_NE(error.find("PCMA with 3 channels"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(AudioOpusTranscoder::createG711(true, 16000, 1, 0, error));
  EXPECT_NE(error.find("G.711->Opus: RTP clock rate 0"), std::string::npos) << error;
  // The edges of the range are taken.
  error.clear();
  auto low = AudioOpusTranscoder::createG711(true, 8000, 1, 8000, error);
  ASSERT_TRUE(low) << error;
  EXPECT_EQ(low->inputSampleRate(), 8000u);
  EXPECT_EQ(low->inputChannels(), 1);
  EXPECT_TRUE(AudioOpusTranscoder::createG711(false, 48000, 2, 48000, error)) << error;
}
