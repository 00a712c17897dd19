#include "media/LatmDepacketizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;

struct Bits {
  Bytes bytes;
  size_t count = 0;
  Bits& put(uint32_t value, int n) {
    for (int i = n - 1; i >= 0; --i) {
      if (count % 8 == 0) bytes.push_back(0);
      if ((value >> i) & 1) bytes.back() |= static_cast<uint8_t>(0x80 >> (count % 8));
      ++count;
    }
    return *this;
  }
};

std::string hex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

// StreamMuxConfig, audioMuxVersion 0, AAC LC 48000 Hz stereo, `subFrames` AUs per element.
Bytes streamMuxConfig(int subFrames = 1, int otherDataBits = -1) {
  Bits b;
  b.put(0, 1).put(1, 1).put(subFrames - 1, 6).put(0, 4).put(0, 3);
  b.put(2, 5).put(3, 4).put(2, 4).put(0, 3);  // AudioSpecificConfig 0x1190
  b.put(0, 3).put(0xff, 8);                   // frameLengthType 0, latmBufferFullness
  if (otherDataBits >= 0) {
    b.put(1, 1).put(0, 1).put(static_cast<uint32_t>(otherDataBits), 8);
  } else {
    b.put(0, 1);
  }
  b.put(0, 1);  // no CRC
  return b.bytes;
}

Bytes au(size_t size, uint8_t seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(seed + i * 5);
  return b;
}

// PayloadLengthInfo + PayloadMux for each AU.
Bytes element(const std::vector<Bytes>& aus) {
  Bytes out;
  for (const auto& a : aus) {
    size_t n = a.size();
    while (n >= 255) {
      out.push_back(255);
      n -= 255;
    }
    out.push_back(static_cast<uint8_t>(n));
    out.insert(out.end(), a.begin(), a.end());
  }
  return out;
}

struct Unit {
  Bytes bytes;
  uint32_t timestamp;
};

class LatmTest : public ::testing::Test, public AacAccessUnitSink {
 protected:
  void onAccessUnit(const AacAccessUnit& u) override {
    units.push_back({{u.data, u.data + u.size}, u.timestamp});
  }

  LatmConfig config(int subFrames = 1, int otherDataBits = -1) {
    LatmConfig c;
    std::string error;
    EXPECT_TRUE(parseLatmFmtp(
        "profile-level-id=30;object=2;cpresent=0;config=" + hex(streamMuxConfig(subFrames, otherDataBits)), c,
        error))
        << error;
    return c;
  }

  AacRtpError push(LatmDepacketizer& d, const Bytes& payload, uint32_t ts, bool marker, int step = 1) {
    seq = static_cast<uint16_t>(seq + step);
    return d.push(payload.data(), payload.size(), ts, seq, marker, *this);
  }

  std::vector<Unit> units;
  uint16_t seq = 7;
};

}  // namespace

TEST_F(LatmTest, ParsesStreamMuxConfig) {
  LatmConfig c = config();
  EXPECT_EQ(c.subFrames, 1);
  EXPECT_EQ(c.audio.sampleRate, 48000u);
  EXPECT_EQ(c.audio.channels, 2);
  EXPECT_EQ(c.audio.bytes, (Bytes{0x11, 0x90}));
  EXPECT_EQ(hex(streamMuxConfig()), "400023203fc0");  // what encoders write for 48 kHz stereo
}

TEST_F(LatmTest, ParsesAudioMuxVersion1WithAscLen) {
  Bits b;
  b.put(1, 1).put(0, 1).put(0, 2).put(0, 8);  // version 1, A 0, taraBufferFullness (1 byte)
  b.put(1, 1).put(0, 6).put(0, 4).put(0, 3);
  b.put(0, 2).put(20, 8);  // ascLen 20 bits: 16 of config + 4 fill
  b.put(2, 5).put(3, 4).put(1, 4).put(0, 3).put(0, 4);
  b.put(0, 3).put(0xff, 8).put(1, 1).put(0, 2).put(16, 8).put(0, 1);  // otherData 16 bits (LatmGetValue)
  LatmConfig c;
  std::string error;
  ASSERT_TRUE(parseStreamMuxConfig(b.bytes.data(), b.bytes.size(), c, error)) << error;
  EXPECT_EQ(c.audio.channels, 1);
  EXPECT_EQ(c.otherDataBits, 16u);
}

TEST_F(LatmTest, GStreamersConfigWithItsSbrSignalAndShortTailIsAccepted) {
  // rtpmp4apay (GStreamer 1.22), AAC LC 48 kHz mono: the AudioSpecificConfig carries a
  // backward-compatible "no SBR" signal (syncExtensionType 0x2b7), and the config ends inside
  // latmBufferFullness. MediaMTX and ffmpeg take it; it used to be refused (frameLengthType 2).
  LatmConfig c;
  std::string error;
  ASSERT_TRUE(parseLatmFmtp("cpresent=0;config=40002310adca00", c, error)) << error;
  EXPECT_EQ(c.audio.objectType, 2);
  EXPECT_EQ(c.audio.sampleRate, 48000u);
  EXPECT_EQ(c.audio.outputSampleRate, 48000u);
  EXPECT_EQ(c.audio.channels, 1);
  EXPECT_FALSE(c.audio.sbr);
  EXPECT_EQ(c.audio.bytes, (Bytes{0x11, 0x88, 0x56, 0xe5, 0x00}));  // the signal kept for the decoder
  EXPECT_EQ(c.streamMuxConfig, (Bytes{0x40, 0x00, 0x23, 0x10, 0xad, 0xca, 0x00}));  // for readers' SDP
  EXPECT_TRUE(c.profileLevelId.empty());
}

TEST_F(LatmTest, ABackwardCompatibleSbrSignalGivesTheOutputRate) {
  Bits b;
  b.put(0, 1).put(1, 1).put(0, 6).put(0, 4).put(0, 3);  // version 0, one program, layer, subframe
  b.put(2, 5).put(6, 4).put(2, 4).put(0, 3);            // AAC LC, 24 kHz core, stereo
  b.put(0x2b7, 11).put(5, 5).put(1, 1).put(3, 4);       // SBR present, 48 kHz out
  b.put(0, 3).put(0xff, 8).put(0, 1).put(0, 1);         // frameLengthType 0, fullness, no other data, no CRC
  LatmConfig c;
  std::string error;
  ASSERT_TRUE(parseStreamMuxConfig(b.bytes.data(), b.bytes.size(), c, error)) << error;
  EXPECT_TRUE(c.audio.sbr);
  EXPECT_EQ(c.audio.sampleRate, 24000u);
  EXPECT_EQ(c.audio.outputSampleRate, 48000u);
  EXPECT_EQ(c.audio.timestampIncrement(48000), 2048u);
  // Without the signal's bits the next field is read as they are: frameLengthType 0 still.
  Bits plain;
  plain.put(0, 1).put(1, 1).put(0, 6).put(0, 4).put(0, 3).put(2, 5).put(3, 4).put(1, 4).put(0, 3);
  plain.put(0, 3).put(0xff, 8).put(0, 2);
  ASSERT_TRUE(parseStreamMuxConfig(plain.bytes.data(), plain.bytes.size(), c, error)) << error;
  EXPECT_FALSE(c.audio.sbr);
}

TEST_F(LatmTest, RejectsUnsupportedOrBadConfigs) {
  LatmConfig c;
  std::string error;
  EXPECT_FALSE(parseLatmFmtp("config=400023203fc0", c, error));  // cpresent defaults to 1
  EXPECT_NE(error.find("cpresent"), std::string::npos);
  EXPECT_FALSE(parseLatmFmtp("cpresent=0", c, error));
  EXPECT_FALSE(parseLatmFmtp("cpresent=0;config=4000232", c, error));
  EXPECT_FALSE(parseLatmFmtp("cpresent=0;config=40", c, error));
  EXPECT_NE(error.find("truncated"), std::string::npos);
  Bytes twoPrograms = streamMuxConfig();
  twoPrograms[1] |= 0x10;  // numProgram 1
  EXPECT_FALSE(parseStreamMuxConfig(twoPrograms.data(), twoPrograms.size(), c, error));
  Bits celp;  // frameLengthType 4
  celp.put(0, 1).put(1, 1).put(0, 6).put(0, 4).put(0, 3).put(2, 5).put(3, 4).put(2, 4).put(0, 3).put(4, 3);
  celp.put(0, 16);
  EXPECT_FALSE(parseStreamMuxConfig(celp.bytes.data(), celp.bytes.size(), c, error));
  EXPECT_NE(error.find("frameLengthType"), std::string::npos);
  Bytes badAsc = streamMuxConfig();
  badAsc[3] &= 0x0f;  // channelConfiguration 0 inside the ASC (bits 24..27)
  EXPECT_FALSE(parseStreamMuxConfig(badAsc.data(), badAsc.size(), c, error));
}

TEST_F(LatmTest, OneAuPerPacket) {
  LatmDepacketizer d(config(), 1024);
  Bytes a = au(300, 1), b = au(12, 2);
  ASSERT_EQ(push(d, element({a}), 1000, true), AacRtpError::None);
  ASSERT_EQ(push(d, element({b}), 2024, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0].bytes, a);
  EXPECT_EQ(units[0].timestamp, 1000u);
  EXPECT_EQ(units[1].bytes, b);
}

TEST_F(LatmTest, SubFramesAndSeveralElementsPerPacket) {
  LatmDepacketizer d(config(2), 1024);
  Bytes a = au(10, 1), b = au(20, 2), c = au(30, 3), e = au(40, 4);
  Bytes p = element({a, b});
  Bytes second = element({c, e});
  p.insert(p.end(), second.begin(), second.end());
  ASSERT_EQ(push(d, p, 0, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[3].bytes, e);
  EXPECT_EQ(units[3].timestamp, 3072u);
}

TEST_F(LatmTest, OtherDataIsSkipped) {
  LatmDepacketizer d(config(1, 12), 1024);  // 12 bits -> 2 bytes after each element
  Bytes a = au(10, 1);
  Bytes p = element({a});
  p.insert(p.end(), {0xde, 0xa0});
  ASSERT_EQ(push(d, p, 0, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].bytes, a);
}

TEST_F(LatmTest, ReassemblesAFragmentedElement) {
  LatmDepacketizer d(config(), 1024);
  Bytes a = au(1000, 5);
  Bytes e = element({a});
  ASSERT_EQ(e.size(), 1004u);                                                        // 255 255 255 235 + AU
  EXPECT_EQ(push(d, Bytes(e.begin(), e.begin() + 2), 9, false), AacRtpError::None);  // inside the lengths
  EXPECT_EQ(push(d, Bytes(e.begin() + 2, e.begin() + 600), 9, false), AacRtpError::None);
  EXPECT_TRUE(units.empty());
  EXPECT_EQ(push(d, Bytes(e.begin() + 600, e.end()), 9, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].bytes, a);
  EXPECT_EQ(units[0].timestamp, 9u);
}

TEST_F(LatmTest, LengthsThatLieAreRejected) {
  LatmDepacketizer d(config(), 1024);
  EXPECT_EQ(push(d, {}, 0, true), AacRtpError::EmptyPayload);
  EXPECT_EQ(push(d, {50, 1, 2, 3}, 1, true), AacRtpError::MalformedLatm);  // says 50, has 3
  EXPECT_EQ(push(d, {0}, 2, true), AacRtpError::MalformedLatm);            // empty AU
  EXPECT_EQ(push(d, {255, 255}, 3, true), AacRtpError::MalformedLatm);     // lengths never end
  Bytes fragment = {100, 1, 2};
  EXPECT_EQ(push(d, fragment, 4, false), AacRtpError::None);
  EXPECT_EQ(push(d, {3, 4}, 4, true), AacRtpError::MalformedLatm);  // marker, still short
  EXPECT_TRUE(units.empty());
  EXPECT_EQ(d.errors(), 5u);
  EXPECT_EQ(d.droppedFragments(), 1u);
}

TEST_F(LatmTest, OverflowIsRejected) {
  LatmDepacketizer d(config(), 1024);
  Bytes lengths(LatmDepacketizer::kMaxElementSize / 2, 255);
  EXPECT_EQ(push(d, lengths, 1, false), AacRtpError::None);
  EXPECT_EQ(push(d, lengths, 1, false), AacRtpError::None);
  EXPECT_EQ(push(d, lengths, 1, false), AacRtpError::TooLarge);
  Bytes big = element({au(9000, 1)});
  EXPECT_EQ(push(d, big, 2, true), AacRtpError::MalformedLatm);
}

TEST_F(LatmTest, LostStartNeverYieldsASplicedAu) {
  LatmDepacketizer d(config(), 1024);
  push(d, element({au(10, 1)}), 0, true);
  Bytes e = element({au(700, 2)});
  // The first fragment is lost; the rest must not be read as an element.
  EXPECT_EQ(push(d, Bytes(e.begin() + 300, e.begin() + 600), 1024, false, 2),
            AacRtpError::FragmentWithoutStart);
  EXPECT_NE(push(d, Bytes(e.begin() + 600, e.end()), 1024, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 1u);
  Bytes next = au(20, 3);
  EXPECT_EQ(push(d, element({next}), 2048, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[1].bytes, next);
}

TEST_F(LatmTest, GapDropsAnIncompleteElement) {
  LatmDepacketizer d(config(), 1024);
  Bytes e = element({au(700, 2)});
  push(d, Bytes(e.begin(), e.begin() + 300), 0, false);
  Bytes next = au(20, 3);
  EXPECT_EQ(push(d, element({next}), 2048, true, 2), AacRtpError::None);  // complete + marker: accepted
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].bytes, next);
  EXPECT_EQ(d.droppedFragments(), 1u);
}
