#include "media/Mpeg4GenericSplitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "AacTestPayloads.h"
#include "media/BitReader.h"
#include "media/Mpeg4GenericDepacketizer.h"

using namespace sluice::media;

namespace {

using test::au;
using test::Bytes;
using test::hbr;

Mpeg4GenericParams params(const char* fmtp) {
  Mpeg4GenericParams p;
  std::string error;
  EXPECT_TRUE(parseMpeg4GenericFmtp(fmtp, p, error)) << error;
  return p;
}

constexpr const char* kHbr = "mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190";

struct Unit {
  Bytes bytes;
  uint32_t timestamp;
  bool operator==(const Unit&) const = default;
};

struct Units : AacAccessUnitSink {
  std::vector<Unit> got;
  void onAccessUnit(const AacAccessUnit& u) override {
    got.push_back({{u.data, u.data + u.size}, u.timestamp});
  }
};

// Collects the packets cut, and depacketizes them as a receiver would (consecutive sequence numbers).
struct Receiver : ShapedPacketSink {
  explicit Receiver(const Mpeg4GenericParams& p) : depacketizer(p, 1024) {}
  std::vector<ShapedPacket> packets;
  std::vector<Bytes> payloads;
  Mpeg4GenericDepacketizer depacketizer;
  Units units;
  uint16_t sequence = 0;
  void onShapedPacket(const ShapedPacket& p) override {
    packets.push_back(p);
    payloads.emplace_back(p.payload, p.payload + p.size);
    EXPECT_EQ(depacketizer.push(p.payload, p.size, p.timestamp, sequence++, p.marker, units),
              AacRtpError::None);
  }
};

std::vector<Unit> depacketizeWhole(const Mpeg4GenericParams& p, const Bytes& payload, uint32_t ts) {
  Mpeg4GenericDepacketizer d(p, 1024);
  Units u;
  EXPECT_EQ(d.push(payload.data(), payload.size(), ts, 0, true, u), AacRtpError::None);
  return u.got;
}

}  // namespace

TEST(Mpeg4GenericSplitter, APacketOfManyFramesIsCutIntoPacketsThatFitAndCarryTheSameFrames) {
  // ffmpeg's RTSP muxer: seven AAC frames of ~200 bytes in a 1,400-byte packet.
  const auto p = params(kHbr);
  std::vector<size_t> sizes = {205, 190, 211, 180, 199, 230, 170};
  Bytes data;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Bytes a = au(sizes[i], static_cast<uint8_t>(i));
    data.insert(data.end(), a.begin(), a.end());
  }
  const Bytes payload = hbr(sizes, data);
  ASSERT_GT(payload.size(), 1188u);

  Mpeg4GenericSplitter splitter(p, 1024, 1188);
  Receiver rx(p);
  ASSERT_TRUE(splitter.split(payload.data(), payload.size(), 90000, true, 3, rx));
  ASSERT_EQ(rx.packets.size(), 2u);
  for (const auto& pk : rx.packets) {
    EXPECT_LE(pk.size, 1188u);
    EXPECT_TRUE(pk.marker);  // each ends on a frame boundary
    EXPECT_FALSE(pk.keyframeStart);
  }
  EXPECT_EQ(rx.packets[0].lostBefore, 3);
  EXPECT_EQ(rx.packets[1].lostBefore, 0);
  EXPECT_EQ(rx.packets[0].timestamp, 90000u);
  // The second packet starts at the first frame the first could not take.
  const size_t first = (rx.payloads[0][0] << 8 | rx.payloads[0][1]) / 16;
  EXPECT_EQ(rx.packets[1].timestamp, 90000u + first * 1024);
  EXPECT_EQ(rx.units.got, depacketizeWhole(p, payload, 90000));
  EXPECT_EQ(rx.units.got.size(), sizes.size());
}

TEST(Mpeg4GenericSplitter, AFrameLargerThanAPacketIsFragmentedAndReassembles) {
  const auto p = params(kHbr);
  const Bytes big = au(3000, 9), small = au(100, 1);
  Bytes data = small;
  data.insert(data.end(), big.begin(), big.end());
  data.insert(data.end(), small.begin(), small.end());
  const Bytes payload = hbr({100, 3000, 100}, data);

  Mpeg4GenericSplitter splitter(p, 1024, 1188);
  Receiver rx(p);
  ASSERT_TRUE(splitter.split(payload.data(), payload.size(), 0, true, 0, rx));
  // [small] [big 1/3] [big 2/3] [big 3/3] [small]: the big frame's fragments share its timestamp.
  ASSERT_EQ(rx.packets.size(), 5u);
  EXPECT_FALSE(rx.packets[1].marker);
  EXPECT_FALSE(rx.packets[2].marker);
  EXPECT_TRUE(rx.packets[3].marker);
  for (size_t i = 1; i <= 3; ++i) EXPECT_EQ(rx.packets[i].timestamp, 1024u);
  EXPECT_EQ(rx.packets[4].timestamp, 2048u);
  for (const auto& pk : rx.packets) EXPECT_LE(pk.size, 1188u);
  ASSERT_EQ(rx.units.got.size(), 3u);
  EXPECT_EQ(rx.units.got[1].bytes, big);
  EXPECT_EQ(rx.units.got, depacketizeWhole(p, payload, 0));
}

TEST(Mpeg4GenericSplitter, AFragmentLargerThanAPacketIsCutIntoFinerFragments) {
  const auto p = params(kHbr);
  const Bytes whole = au(4000, 5);
  // The sender's own fragments: 2,000 bytes each, the AU-header giving the whole size.
  const Bytes first = hbr({4000}, Bytes(whole.begin(), whole.begin() + 2000));
  const Bytes second = hbr({4000}, Bytes(whole.begin() + 2000, whole.end()));

  Mpeg4GenericSplitter splitter(p, 1024, 1188);
  Receiver rx(p);
  ASSERT_TRUE(splitter.split(first.data(), first.size(), 500, false, 0, rx));
  ASSERT_TRUE(splitter.split(second.data(), second.size(), 500, true, 0, rx));
  ASSERT_EQ(rx.packets.size(), 4u);
  for (size_t i = 0; i < 3; ++i) EXPECT_FALSE(rx.packets[i].marker);
  EXPECT_TRUE(rx.packets[3].marker);
  ASSERT_EQ(rx.units.got.size(), 1u);
  EXPECT_EQ(rx.units.got[0].bytes, whole);
  EXPECT_EQ(rx.units.got[0].timestamp, 500u);
}

TEST(Mpeg4GenericSplitter, HeadersNotOnByteBoundariesAreCopiedBitForBit) {
  // 13-bit AU-headers without an index, and a random-access flag: 14 bits each.
  const auto p =
      params("sizelength=13;indexlength=0;indexdeltalength=0;randomaccessindication=1;config=1190");
  std::vector<size_t> sizes = {400, 401, 402, 403};
  Bytes payload = {0, static_cast<uint8_t>(sizes.size() * 14)};
  size_t bits = sizes.size() * 14;
  Bytes headers((bits + 7) / 8);
  size_t pos = 0;
  auto put = [&](uint32_t v, int n) {
    for (int b = n - 1; b >= 0; --b, ++pos)
      if ((v >> b) & 1) headers[pos >> 3] |= static_cast<uint8_t>(0x80 >> (pos & 7));
  };
  for (size_t i = 0; i < sizes.size(); ++i) {
    put(static_cast<uint32_t>(sizes[i]), 13);
    put(i == 0 ? 1 : 0, 1);  // only the first is a random access point
  }
  payload.insert(payload.end(), headers.begin(), headers.end());
  for (size_t i = 0; i < sizes.size(); ++i) {
    Bytes a = au(sizes[i], static_cast<uint8_t>(40 + i));
    payload.insert(payload.end(), a.begin(), a.end());
  }
  Mpeg4GenericSplitter splitter(p, 1024, 1188);
  Receiver rx(p);
  ASSERT_TRUE(splitter.split(payload.data(), payload.size(), 0, true, 0, rx));
  ASSERT_EQ(rx.packets.size(), 2u);  // 2 x 400 bytes fit, 3 do not
  EXPECT_EQ(rx.units.got, depacketizeWhole(p, payload, 0));
  // The first packet's first header keeps its flag; the second packet's first header has none.
  BitReader r0(rx.payloads[0].data() + 2, 4), r1(rx.payloads[1].data() + 2, 4);
  EXPECT_EQ(r0.readBits(13), 400u);
  EXPECT_EQ(r0.readBit(), 1u);
  EXPECT_EQ(r1.readBits(13), 402u);
  EXPECT_EQ(r1.readBit(), 0u);
}

TEST(Mpeg4GenericSplitter, HeadersThatDoNotDescribeThePayloadAreRefusedWithNothingEmitted) {
  const auto p = params(kHbr);
  Mpeg4GenericSplitter splitter(p, 1024, 1188);
  Receiver rx(p);
  const Bytes data = au(1400, 0);
  const Bytes lies = hbr({700, 800}, data);  // 1,500 said, 1,400 there
  EXPECT_FALSE(splitter.split(lies.data(), lies.size(), 0, true, 0, rx));
  const Bytes interleaved = hbr({700, 700}, data, {0, 1});
  EXPECT_FALSE(splitter.split(interleaved.data(), interleaved.size(), 0, true, 0, rx));
  Bytes odd = hbr({700, 700}, data);
  odd[1] = 31;  // AU-headers-length not a whole number of 16-bit headers
  EXPECT_FALSE(splitter.split(odd.data(), odd.size(), 0, true, 0, rx));
  Bytes beyond = {0xff, 0xf0, 0, 0};  // 4,095 bytes of headers in a 4-byte payload
  EXPECT_FALSE(splitter.split(beyond.data(), beyond.size(), 0, true, 0, rx));
  const Bytes none = {0, 0, 1, 2, 3};
  EXPECT_FALSE(splitter.split(none.data(), none.size(), 0, true, 0, rx));
  const Bytes fragmentWithoutData = hbr({3000}, {});
  EXPECT_FALSE(splitter.split(fragmentWithoutData.data(), fragmentWithoutData.size(), 0, true, 0, rx));
  EXPECT_TRUE(rx.packets.empty());
}

TEST(Mpeg4GenericSplitter, OnlyHeadersOfOneWidthAreSupported) {
  EXPECT_TRUE(Mpeg4GenericSplitter::supports(params(kHbr)));
  EXPECT_TRUE(Mpeg4GenericSplitter::supports(
      params("mode=AAC-lbr;sizelength=6;indexlength=2;indexdeltalength=2;config=1190")));
  EXPECT_FALSE(Mpeg4GenericSplitter::supports(params("sizelength=13;ctsdeltalength=4;config=1190")));
  EXPECT_FALSE(Mpeg4GenericSplitter::supports(params("sizelength=13;auxiliarydatasizelength=8;config=1190")));
  EXPECT_FALSE(
      Mpeg4GenericSplitter::supports(params("sizelength=13;indexlength=3;indexdeltalength=2;config=1190")));
  // Unsupported parameters: everything is refused.
  const auto cts = params("sizelength=13;ctsdeltalength=4;config=1190");
  Mpeg4GenericSplitter splitter(cts, 1024, 1188);
  Receiver rx(cts);
  const Bytes payload = hbr({1400}, au(1400, 0));
  EXPECT_FALSE(splitter.split(payload.data(), payload.size(), 0, true, 0, rx));
}
