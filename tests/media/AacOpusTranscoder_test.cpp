#include "media/AacOpusTranscoder.h"

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

std::unique_ptr<AacOpusTranscoder> make(const AacStream& s, uint32_t clockRate) {
  std::string error;
  auto t = AacOpusTranscoder::create(s.config, clockRate, error);
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
  for (const Packet& p : sink.packets) EXPECT_LE(p.data.size(), AacOpusTranscoder::kMaxOpusPacket);

  Tone tone = measure(decodeOpus(sink.packets));
  EXPECT_NEAR(tone.frequency, 1000.0, 15.0);
  EXPECT_GT(tone.rms, 1000.0) << "ffmpeg's sine is 1/8 full scale: RMS about 2900";
}

}  // namespace

TEST(AacOpusTranscoder, Stereo48kToneBecomesOpus) { transcodeTone(48000, 2, 123456, 2); }

TEST(AacOpusTranscoder, Stereo44k1ResampledAcrossTimestampWrap) {
  // 2 s at 44.1 kHz crosses the 32-bit wrap of the input; 48000/44100 is not an integer, so
  // only the unwrapped rescale keeps the output steps at 960.
  transcodeTone(44100, 2, 0xFFFF0000u, 2);
}

TEST(AacOpusTranscoder, Mono8kCameraAudio) { transcodeTone(8000, 1, 0xFFFFF000u, 1); }

TEST(AacOpusTranscoder, Mono16k) { transcodeTone(16000, 1, 42, 1); }

TEST(AacOpusTranscoder, FiveOneIsDownmixedToStereo) {
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

TEST(AacOpusTranscoder, MainAndLtpProfilesDecode) {
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

TEST(AacOpusTranscoder, RawConfigBytesFactory) {
  std::string error;
  const uint8_t asc[] = {0x15, 0x88};  // AAC LC 8000 Hz mono
  auto t = AacOpusTranscoder::create(asc, sizeof asc, 8000, error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->config().sampleRate, 8000u);
  EXPECT_EQ(t->outputChannels(), 1);
}

TEST(AacOpusTranscoder, TimestampJumpsReanchor) {
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

TEST(AacOpusTranscoder, LostAccessUnitsAreFilledWithSilence) {
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

TEST(AacOpusTranscoder, MalformedAccessUnitsAreCountedAndSkipped) {
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

TEST(AacOpusTranscoder, ResetDropsStateAndReanchors) {
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

TEST(AacOpusTranscoder, RtpClockOtherThanSampleRate) {
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

TEST(AacOpusTranscoder, UnsupportedConfigsAreRefusedWithAClearError) {
  std::string error;
  // AAC SSR, 48 kHz stereo: 00011 0011 0010 000.
  const uint8_t ssr[] = {0x19, 0x90};
  EXPECT_FALSE(AacOpusTranscoder::create(ssr, sizeof ssr, 48000, error));
  EXPECT_NE(error.find("cannot be decoded"), std::string::npos) << error;
  EXPECT_NE(error.find("object type 3"), std::string::npos) << error;
  // AAC Scalable (6), 48 kHz stereo, layerNr 0: 00110 0011 0010 000 000.
  const uint8_t scalable[] = {0x31, 0x90, 0x00};
  error.clear();
  EXPECT_FALSE(AacOpusTranscoder::create(scalable, sizeof scalable, 48000, error));
  EXPECT_NE(error.find("object type 6"), std::string::npos) << error;
  // Channel configuration 0 (a program_config_element): AacConfig refuses it.
  const uint8_t pce[] = {0x11, 0x80};
  error.clear();
  EXPECT_FALSE(AacOpusTranscoder::create(pce, sizeof pce, 48000, error));
  EXPECT_NE(error.find("channel configuration 0"), std::string::npos) << error;
  // Not a config at all.
  const uint8_t junk[] = {0xFF};
  error.clear();
  EXPECT_FALSE(AacOpusTranscoder::create(junk, sizeof junk, 48000, error));
  EXPECT_NE(error.find("AAC->Opus"), std::string::npos) << error;
  // A good config with no clock.
  const uint8_t lc[] = {0x11, 0x90};
  error.clear();
  EXPECT_FALSE(AacOpusTranscoder::create(lc, sizeof lc, 0, error));
  EXPECT_NE(error.find("clock rate 0"), std::string::npos) << error;
}
