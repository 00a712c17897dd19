#include "media/AudioRtpPassThrough.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/RtpPacket.h"

using namespace sluice::media;
using Bytes = std::vector<uint8_t>;

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

TEST(AudioRtpPassThrough, OversizeG711IsCutBySamplesWithTheirTimestamps) {
  AudioRtpPassThrough a(describeTrack("audio", 0, "PCMU", 8000, 1, ""), 1188);
  Sink sink;
  auto first = packet(1, 0, 160);
  a.push(first.data(), first.size(), sink);
  auto big = packet(3, 8000, 3000);  // after a loss of one packet; ffmpeg sends G.711 this large
  big[1] |= 0x80;                    // marker: a talkspurt's start
  EXPECT_EQ(a.push(big.data(), big.size(), sink), IngestError::None);
  ASSERT_EQ(sink.packets.size(), 4u);
  const size_t sizes[] = {1188, 1188, 624};
  Bytes joined;
  for (size_t i = 0; i < 3; ++i) {
    const auto& p = sink.packets[1 + i];
    EXPECT_EQ(p.size, sizes[i]);
    EXPECT_EQ(p.timestamp, 8000u + 1188 * i);
    EXPECT_EQ(p.marker, i == 0);
    EXPECT_EQ(p.lostBefore, i == 0 ? 1 : 0);
    joined.insert(joined.end(), sink.payloads[1 + i].begin(), sink.payloads[1 + i].end());
  }
  EXPECT_EQ(joined, Bytes(big.begin() + 12, big.end()));
  EXPECT_EQ(a.packetsCut(), 1u);
  EXPECT_EQ(a.oversize(), 0u);
}

TEST(AudioRtpPassThrough, OversizeAacFromFfmpegIsCutByFrames) {
  auto track = describeTrack("audio", 97, "MPEG4-GENERIC", 48000, 1,
                             "profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;"
                             "config=1188");
  ASSERT_TRUE(track.supported());
  AudioRtpPassThrough a(track, 1188);
  Sink sink;
  // Seven 200-byte frames behind their 16-bit headers.
  Bytes payload = {0, 7 * 16};
  for (int i = 0; i < 7; ++i)
    payload.insert(payload.end(), {static_cast<uint8_t>(200 >> 5), static_cast<uint8_t>((200 << 3) & 0xff)});
  payload.resize(payload.size() + 7 * 200, 0x55);
  auto p = packet(1, 48000, 0);
  p.insert(p.end(), payload.begin(), payload.end());
  EXPECT_EQ(a.push(p.data(), p.size(), sink), IngestError::None);
  ASSERT_EQ(sink.packets.size(), 2u);
  EXPECT_EQ(sink.packets[0].timestamp, 48000u);
  EXPECT_EQ(sink.packets[1].timestamp, 48000u + 5 * 1024);  // 5 frames fit in the first
  EXPECT_EQ(a.packetsCut(), 1u);
}

TEST(AudioRtpPassThrough, OversizeOpusCannotBeCutAndShowsAsALoss) {
  AudioRtpPassThrough a(describeTrack("audio", 111, "opus", 48000, 2, ""), 1188);
  Sink sink;
  for (uint16_t seq : {1, 2, 3}) {
    auto p = packet(seq, seq * 960u, seq == 2 ? 1300 : 100);
    EXPECT_EQ(a.push(p.data(), p.size(), sink), seq == 2 ? IngestError::Oversize : IngestError::None);
  }
  ASSERT_EQ(sink.packets.size(), 2u);
  EXPECT_EQ(sink.packets[1].lostBefore, 1);
  EXPECT_EQ(a.oversize(), 1u);
}

TEST(AudioRtpPassThrough, AnOversizeAacPacketWhoseHeadersLieIsDroppedAndShowsAsALoss) {
  auto track = describeTrack("audio", 97, "MPEG4-GENERIC", 48000, 1,
                             "mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1188");
  AudioRtpPassThrough a(track, 1188);
  Sink sink;
  auto lying = packet(1, 0, 1300);
  lying[12] = 0;
  lying[13] = 16;  // one header...
  lying[14] = static_cast<uint8_t>(100 >> 5);
  lying[15] = static_cast<uint8_t>((100 << 3) & 0xff);  // ...of 100 bytes, 1,296 there
  EXPECT_EQ(a.push(lying.data(), lying.size(), sink), IngestError::Oversize);
  auto next = packet(2, 1024, 50);
  EXPECT_EQ(a.push(next.data(), next.size(), sink), IngestError::None);
  ASSERT_EQ(sink.packets.size(), 1u);
  EXPECT_EQ(sink.packets[0].lostBefore, 1);
}
