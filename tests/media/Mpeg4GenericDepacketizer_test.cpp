#include "media/Mpeg4GenericDepacketizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "AacTestPayloads.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {

using test::au;
using test::Bytes;
using test::hbr;

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Unit {
  Bytes bytes;
  uint32_t timestamp;
};

class Mpeg4GenericTest : public ::testing::Test, public AacAccessUnitSink {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(parseMpeg4GenericFmtp(
        "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;"
        "config=1190",
        params, error))
        << error;
  }
  void onAccessUnit(const AacAccessUnit& u) override {
    units.push_back({{u.data, u.data + u.size}, u.timestamp});
  }

  AacRtpError push(Mpeg4GenericDepacketizer& d, const Bytes& payload, uint32_t ts, bool marker,
                   int step = 1) {
    seq = static_cast<uint16_t>(seq + step);
    return d.push(payload.data(), payload.size(), ts, seq, marker, *this);
  }

  Mpeg4GenericParams params;
  std::vector<Unit> units;
  uint16_t seq = 100;
};

}  // namespace

TEST_F(Mpeg4GenericTest, ParsesFmtp) {
  EXPECT_EQ(params.sizeLength, 13);
  EXPECT_EQ(params.indexLength, 3);
  EXPECT_EQ(params.indexDeltaLength, 3);
  EXPECT_EQ(params.config.sampleRate, 48000u);
  EXPECT_EQ(params.config.channels, 2);
  Mpeg4GenericParams lbr;
  std::string error;
  ASSERT_TRUE(parseMpeg4GenericFmtp("mode=AAC-lbr; config=1588", lbr, error)) << error;
  EXPECT_EQ(lbr.sizeLength, 6);
  EXPECT_EQ(lbr.indexLength, 2);
}

TEST_F(Mpeg4GenericTest, RejectsBadFmtp) {
  Mpeg4GenericParams p;
  std::string error;
  EXPECT_FALSE(parseMpeg4GenericFmtp("mode=AAC-hbr;sizelength=13", p, error));
  EXPECT_NE(error.find("config missing"), std::string::npos);
  EXPECT_FALSE(parseMpeg4GenericFmtp("mode=AAC-hbr;config=zz", p, error));
  EXPECT_FALSE(parseMpeg4GenericFmtp("streamtype=4;mode=generic;sizelength=13;config=1190", p, error));
  EXPECT_NE(error.find("not audio"), std::string::npos);
  EXPECT_FALSE(parseMpeg4GenericFmtp("mode=generic;config=1190", p, error));
  EXPECT_NE(error.find("sizelength"), std::string::npos);
  EXPECT_FALSE(parseMpeg4GenericFmtp("mode=AAC-hbr;sizelength=17;config=1190", p, error));
  EXPECT_FALSE(parseMpeg4GenericFmtp("mode=AAC-hbr;indexlength=x;config=1190", p, error));
  EXPECT_FALSE(parseMpeg4GenericFmtp("mode=AAC-hbr;sizelength=99999999999;config=1190", p, error));
}

TEST_F(Mpeg4GenericTest, SplitsSeveralAusWithTimestamps) {
  Mpeg4GenericDepacketizer d(params, 1024);
  Bytes a = au(200, 1), b = au(150, 2), c = au(1, 3);
  ASSERT_EQ(push(d, hbr({200, 150, 1}, concat({a, b, c})), 5000, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 3u);
  EXPECT_EQ(units[0].bytes, a);
  EXPECT_EQ(units[1].bytes, b);
  EXPECT_EQ(units[2].bytes, c);
  EXPECT_EQ(units[0].timestamp, 5000u);
  EXPECT_EQ(units[1].timestamp, 6024u);
  EXPECT_EQ(units[2].timestamp, 7048u);
  EXPECT_EQ(d.accessUnits(), 3u);
}

TEST_F(Mpeg4GenericTest, ReassemblesAFragmentedAu) {
  Mpeg4GenericDepacketizer d(params, 1024);
  Bytes whole = au(3000, 9);
  Bytes p1(whole.begin(), whole.begin() + 1200), p2(whole.begin() + 1200, whole.begin() + 2400),
      p3(whole.begin() + 2400, whole.end());
  EXPECT_EQ(push(d, hbr({3000}, p1), 7, false), AacRtpError::None);
  EXPECT_EQ(push(d, hbr({3000}, p2), 7, false), AacRtpError::None);
  EXPECT_TRUE(units.empty());
  EXPECT_EQ(push(d, hbr({3000}, p3), 7, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].bytes, whole);
  EXPECT_EQ(units[0].timestamp, 7u);
}

TEST_F(Mpeg4GenericTest, HeadersThatLieAreRejected) {
  Mpeg4GenericDepacketizer d(params, 1024);
  Bytes a = au(100, 1);
  EXPECT_EQ(push(d, hbr({100, 100}, a), 1, true), AacRtpError::AuSizeMismatch);  // sizes exceed data
  EXPECT_EQ(push(d, hbr({50, 20}, a), 2, true), AacRtpError::AuSizeMismatch);    // sizes short of data
  EXPECT_EQ(push(d, hbr({60}, a), 3, true), AacRtpError::AuSizeMismatch);        // one AU, extra bytes
  Bytes beyond = hbr({100}, a);
  beyond[1] = 0xff;  // AU-headers-length 255 bits: past the packet's 102 bytes? no: 32 bytes < 102
  beyond[0] = 0x04;  // 1279 bits = 160 bytes > packet
  EXPECT_EQ(push(d, beyond, 4, true), AacRtpError::BadAuHeadersLength);
  Bytes partial = hbr({100}, a);
  partial[1] = 12;  // 12 bits: not a whole 16-bit header
  EXPECT_EQ(push(d, partial, 5, true), AacRtpError::BadAuHeadersLength);
  Bytes zero = hbr({100}, a);
  zero[1] = 0;
  EXPECT_EQ(push(d, zero, 6, true), AacRtpError::BadAuHeadersLength);
  EXPECT_EQ(push(d, {0x00}, 7, true), AacRtpError::BadAuHeadersLength);
  EXPECT_EQ(push(d, {}, 8, true), AacRtpError::EmptyPayload);
  EXPECT_EQ(push(d, hbr({100}, a, {1}), 9, true), AacRtpError::Interleaved);
  EXPECT_EQ(push(d, hbr({50, 50}, a, {0, 2}), 10, true), AacRtpError::Interleaved);
  EXPECT_EQ(push(d, hbr({8000}, a), 11, false), AacRtpError::None);  // a fragment start...
  EXPECT_EQ(push(d, hbr({8000}, au(8000, 1)), 11, true), AacRtpError::FragmentMismatch);  // ...overrun
  EXPECT_EQ(push(d, hbr({8191}, a), 12, false), AacRtpError::None);
  EXPECT_EQ(push(d, hbr({8190}, a), 12, false), AacRtpError::FragmentMismatch);  // size changed
  EXPECT_TRUE(units.empty());
  EXPECT_EQ(d.errors(), 12u);
}

TEST_F(Mpeg4GenericTest, OversizeAuIsRejected) {
  params.sizeLength = 16;
  params.indexLength = params.indexDeltaLength = 0;
  Mpeg4GenericDepacketizer d(params, 1024);
  Bytes p = {0, 16, 0x30, 0x00};  // one header: size 12288
  p.resize(p.size() + 100, 1);
  EXPECT_EQ(push(d, p, 1, false), AacRtpError::TooLarge);
}

TEST_F(Mpeg4GenericTest, NewTimestampAbandonsAnUnfinishedFragment) {
  Mpeg4GenericDepacketizer d(params, 1024);
  push(d, hbr({3000}, au(1000, 1)), 1, false);
  Bytes a = au(100, 2);
  EXPECT_EQ(push(d, hbr({100}, a), 2, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].bytes, a);
  EXPECT_EQ(d.droppedFragments(), 1u);
}

TEST_F(Mpeg4GenericTest, LostStartNeverYieldsASplicedAu) {
  Mpeg4GenericDepacketizer d(params, 1024);
  push(d, hbr({100}, au(100, 1)), 1, true);
  // The first fragment of the next AU is lost: its continuation looks like a start.
  EXPECT_EQ(push(d, hbr({3000}, au(1500, 2)), 2, false, 2), AacRtpError::FragmentWithoutStart);
  EXPECT_EQ(push(d, hbr({3000}, au(500, 3)), 2, true), AacRtpError::FragmentWithoutStart);
  Bytes whole = au(2000, 4);
  EXPECT_EQ(push(d, hbr({2000}, Bytes(whole.begin(), whole.begin() + 1000)), 3, false), AacRtpError::None);
  EXPECT_EQ(push(d, hbr({2000}, Bytes(whole.begin() + 1000, whole.end())), 3, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[1].bytes, whole);
}

TEST_F(Mpeg4GenericTest, CompletePacketAfterAGapIsAccepted) {
  Mpeg4GenericDepacketizer d(params, 1024);
  push(d, hbr({3000}, au(1000, 1)), 1, false);
  Bytes a = au(100, 2);
  EXPECT_EQ(push(d, hbr({100}, a), 2, true, 3), AacRtpError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(d.droppedFragments(), 1u);
}

TEST_F(Mpeg4GenericTest, OptionalHeaderFieldsAreSkipped) {
  // sizelength 13, no index, ctsdelta 4 (flag + delta), rai, streamstate 2, aux section 8 bits.
  params.indexLength = params.indexDeltaLength = 0;
  params.ctsDeltaLength = 4;
  params.randomAccessIndication = true;
  params.streamStateIndication = 2;
  params.auxiliaryDataSizeLength = 8;
  Mpeg4GenericDepacketizer d(params, 1024);
  // Header 1: size 3, CTS-flag 0, RAP 1, state 00 -> 13+1+1+2 = 17 bits
  // Header 2: size 2, CTS-flag 1, delta 0101, RAP 0, state 11 -> 13+1+4+1+2 = 21 bits. Total 38.
  uint64_t bits = (uint64_t{3} << 25) | (uint64_t{0} << 24) | (uint64_t{1} << 23) | (uint64_t{0} << 21) |
                  (uint64_t{2} << 8) | (uint64_t{1} << 7) | (uint64_t{5} << 3) | (uint64_t{0} << 2) | 3;
  Bytes p = {0, 38};
  uint64_t aligned = bits << 2;  // 38 bits -> 40 bits (5 bytes), MSB first
  for (int i = 4; i >= 0; --i) p.push_back(static_cast<uint8_t>(aligned >> (i * 8)));
  p.insert(p.end(), {8, 0xaa});  // aux: 8 bits of data
  p.insert(p.end(), {1, 2, 3, 4, 5});
  ASSERT_EQ(push(d, p, 0, true), AacRtpError::None);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0].bytes, (Bytes{1, 2, 3}));
  EXPECT_EQ(units[1].bytes, (Bytes{4, 5}));
}

TEST_F(Mpeg4GenericTest, PushRtpParsesTheHeader) {
  Mpeg4GenericDepacketizer d(params, 1024);
  Bytes a = au(10, 1);
  Bytes packet(12);
  RtpHeader h;
  h.timestamp = 77;
  h.sequence = 5;
  h.marker = true;
  writeRtpHeader(packet.data(), h);
  Bytes payload = hbr({10}, a);
  packet.insert(packet.end(), payload.begin(), payload.end());
  ASSERT_EQ(d.pushRtp(packet.data(), packet.size(), *this), AacRtpError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].timestamp, 77u);
  EXPECT_EQ(d.pushRtp(packet.data(), 5, *this), AacRtpError::MalformedRtp);
}
