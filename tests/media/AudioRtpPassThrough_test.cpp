#include "media/AudioRtpPassThrough.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {

struct Sink : ShapedPacketSink {
  std::vector<ShapedPacket> packets;
  std::vector<std::vector<uint8_t>> payloads;
  void onShapedPacket(const ShapedPacket& p) override {
    packets.push_back(p);
    payloads.emplace_back(p.payload, p.payload + p.size);
  }
};

std::vector<uint8_t> packet(uint16_t seq, uint32_t ts, size_t payload) {
  std::vector<uint8_t> p(12 + payload);
  for (size_t i = 0; i < payload; ++i) p[12 + i] = static_cast<uint8_t>(i);
  RtpHeader h;
  h.payloadType = 0;
  h.sequence = seq;
  h.timestamp = ts;
  writeRtpHeader(p.data(), h);
  return p;
}

}  // namespace

TEST(AudioRtpPassThrough, PayloadsPassUnchangedWithTheirTimestamps) {
  AudioRtpPassThrough a;
  Sink sink;
  auto p = packet(10, 1600, 160);
  EXPECT_EQ(a.push(p.data(), p.size(), sink), IngestError::None);
  ASSERT_EQ(sink.packets.size(), 1u);
  EXPECT_EQ(sink.packets[0].timestamp, 1600u);
  EXPECT_FALSE(sink.packets[0].keyframeStart);
  EXPECT_EQ(sink.payloads[0], std::vector<uint8_t>(p.begin() + 12, p.end()));
}

TEST(AudioRtpPassThrough, GapsAreReportedAndLateOrDuplicatePacketsDropped) {
  AudioRtpPassThrough a;
  Sink sink;
  for (uint16_t seq : {1, 2, 5, 4, 5, 6}) {
    auto p = packet(seq, seq * 160u, 160);
    a.push(p.data(), p.size(), sink);
  }
  ASSERT_EQ(sink.packets.size(), 4u);  // 1, 2, 5, 6
  EXPECT_EQ(sink.packets[2].lostBefore, 2);
  EXPECT_EQ(sink.packets[3].lostBefore, 0);
  EXPECT_EQ(a.latePackets(), 2u);
  EXPECT_EQ(a.lostPackets(), 2u);
}

TEST(AudioRtpPassThrough, MalformedEmptyAndOversizePacketsAreRejected) {
  AudioRtpPassThrough a(1188);
  Sink sink;
  uint8_t shortPacket[5] = {0x80, 0, 0, 1, 0};
  EXPECT_EQ(a.push(shortPacket, sizeof(shortPacket), sink), IngestError::MalformedRtp);
  auto empty = packet(1, 0, 0);
  EXPECT_EQ(a.push(empty.data(), empty.size(), sink), IngestError::EmptyPayload);
  auto big = packet(2, 0, 1189);
  EXPECT_EQ(a.push(big.data(), big.size(), sink), IngestError::Oversize);
  EXPECT_EQ(a.oversize(), 1u);
  EXPECT_TRUE(sink.packets.empty());
  auto ok = packet(3, 0, 1188);
  EXPECT_EQ(a.push(ok.data(), ok.size(), sink), IngestError::None);
  EXPECT_EQ(sink.packets.size(), 1u);
}
