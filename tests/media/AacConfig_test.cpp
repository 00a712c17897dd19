#include "media/AacConfig.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "media/BitReader.h"

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;

// Builds bit strings MSB first, padded with zero bits.
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

std::optional<AacConfig> parse(const Bytes& b, std::string& error) {
  return parseAudioSpecificConfig(b.data(), b.size(), error);
}

}  // namespace

TEST(AacConfig, ParsesAacLcFromHex) {
  std::string error;
  auto c = parseAudioSpecificConfigHex("1190", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->objectType, 2);
  EXPECT_EQ(c->sampleRate, 48000u);
  EXPECT_EQ(c->outputSampleRate, 48000u);
  EXPECT_EQ(c->channels, 2);
  EXPECT_EQ(c->frameLength, 1024);
  EXPECT_FALSE(c->sbr);
  EXPECT_EQ(c->bytes, (Bytes{0x11, 0x90}));
  EXPECT_EQ(c->timestampIncrement(48000), 1024u);
  EXPECT_EQ(c->describe(), "AAC LC 48000 Hz 2 ch");
  c = parseAudioSpecificConfigHex("1588", error);  // 8000 Hz mono (cameras)
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->sampleRate, 8000u);
  EXPECT_EQ(c->channels, 1);
  c = parseAudioSpecificConfigHex("1210", error);  // upper/lower case both fine
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->sampleRate, 44100u);
}

TEST(AacConfig, ExplicitSampleRateAnd960Frames) {
  Bits b;
  b.put(2, 5).put(15, 4).put(22000, 24).put(1, 4).put(1, 1).put(0, 1).put(0, 1);
  std::string error;
  auto c = parse(b.bytes, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->sampleRate, 22000u);
  EXPECT_EQ(c->channels, 1);
  EXPECT_EQ(c->frameLength, 960);
  EXPECT_EQ(c->timestampIncrement(22000), 960u);
}

TEST(AacConfig, HeAacAndEscapedObjectTypeAnd71) {
  Bits b;  // SBR: core 24000, output 48000, core object AAC LC, 2 ch
  b.put(5, 5).put(6, 4).put(2, 4).put(3, 4).put(2, 5).put(0, 3);
  std::string error;
  auto c = parse(b.bytes, error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->sbr);
  EXPECT_FALSE(c->ps);
  EXPECT_EQ(c->objectType, 2);
  EXPECT_EQ(c->sampleRate, 24000u);
  EXPECT_EQ(c->outputSampleRate, 48000u);
  EXPECT_EQ(c->timestampIncrement(48000), 2048u);
  EXPECT_EQ(c->describe(), "HE-AAC 24000/48000 Hz 2 ch");
  Bits seven;
  seven.put(2, 5).put(3, 4).put(7, 4).put(0, 3);
  c = parse(seven.bytes, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->channels, 8);
  Bits escaped;  // object type 31 + 6 bits: 32 + 10 = 42 (USAC): not general audio
  escaped.put(31, 5).put(10, 6).put(3, 4).put(2, 4).put(0, 3);
  EXPECT_FALSE(parse(escaped.bytes, error));
  EXPECT_NE(error.find("42"), std::string::npos) << error;
}

TEST(AacConfig, BitsReadFromAnOffsetAreRealignedToBytes) {
  Bits b;
  b.put(5, 3).put(2, 5).put(3, 4).put(2, 4).put(0, 3).put(0x7f, 7);  // 3 bits of something first
  BitReader r(b.bytes.data(), b.bytes.size());
  r.readBits(3);
  AacConfig c;
  std::string error;
  ASSERT_TRUE(parseAudioSpecificConfig(r, c, error)) << error;
  EXPECT_EQ(c.bytes, (Bytes{0x11, 0x90}));
  EXPECT_EQ(r.position(), 19u);
}

TEST(AacConfig, RejectsBadConfigs) {
  std::string error;
  EXPECT_FALSE(parseAudioSpecificConfigHex("", error));
  EXPECT_FALSE(parseAudioSpecificConfigHex("119", error));  // odd length
  EXPECT_FALSE(parseAudioSpecificConfigHex("11g0", error));
  EXPECT_NE(error.find("hex"), std::string::npos);
  EXPECT_FALSE(parseAudioSpecificConfigHex("11", error));  // truncated
  EXPECT_NE(error.find("truncated"), std::string::npos);
  Bits zeroType;
  zeroType.put(0, 5).put(3, 4).put(2, 4).put(0, 3);
  EXPECT_FALSE(parse(zeroType.bytes, error));
  EXPECT_NE(error.find("object type"), std::string::npos);
  Bits reservedRate;
  reservedRate.put(2, 5).put(13, 4).put(2, 4).put(0, 3);
  EXPECT_FALSE(parse(reservedRate.bytes, error));
  EXPECT_NE(error.find("sampling frequency"), std::string::npos);
  Bits zeroExplicit;
  zeroExplicit.put(2, 5).put(15, 4).put(0, 24).put(2, 4).put(0, 3);
  EXPECT_FALSE(parse(zeroExplicit.bytes, error));
  Bits pce;
  pce.put(2, 5).put(3, 4).put(0, 4).put(0, 3);
  EXPECT_FALSE(parse(pce.bytes, error));
  EXPECT_NE(error.find("program_config_element"), std::string::npos);
  Bits reservedChannels;
  reservedChannels.put(2, 5).put(3, 4).put(9, 4).put(0, 3);
  EXPECT_FALSE(parse(reservedChannels.bytes, error));
  Bits truncatedCoreDelay;  // dependsOnCoreCoder set, the 14-bit delay cut
  truncatedCoreDelay.put(2, 5).put(3, 4).put(2, 4).put(0, 1).put(1, 1);
  EXPECT_FALSE(parse(truncatedCoreDelay.bytes, error));
  Bits truncatedSbr;
  truncatedSbr.put(5, 5).put(6, 4).put(2, 4);
  EXPECT_FALSE(parse(truncatedSbr.bytes, error));
}
