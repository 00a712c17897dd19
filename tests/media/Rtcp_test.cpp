#include "media/Rtcp.h"

#include <gtest/gtest.h>

#include <vector>

using namespace sluice::media;

namespace {

struct Recorder : RtcpVisitor {
  struct Sr {
    uint32_t ssrc;
    uint64_t ntp;
    uint32_t rtpTs, packets, octets;
  };
  struct Nack {
    uint32_t sender, media;
    uint16_t pid, blp;
  };
  std::vector<Sr> srs;
  std::vector<std::pair<uint32_t, RtcpReportBlock>> blocks;
  std::vector<Nack> nacks;
  std::vector<std::pair<uint32_t, uint32_t>> plis;
  std::vector<std::tuple<uint32_t, uint32_t, uint8_t>> firs;
  std::vector<uint32_t> byes;

  void onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtpTs, uint32_t packets,
                      uint32_t octets) override {
    srs.push_back({ssrc, ntp, rtpTs, packets, octets});
  }
  void onReportBlock(uint32_t reporter, const RtcpReportBlock& b) override {
    blocks.emplace_back(reporter, b);
  }
  void onNack(uint32_t s, uint32_t m, uint16_t pid, uint16_t blp) override {
    nacks.push_back({s, m, pid, blp});
  }
  void onPli(uint32_t s, uint32_t m) override { plis.emplace_back(s, m); }
  void onFir(uint32_t s, uint32_t m, uint8_t n) override { firs.emplace_back(s, m, n); }
  void onBye(uint32_t ssrc) override { byes.push_back(ssrc); }
};

RtcpReportBlock sampleBlock(uint32_t ssrc, int32_t lost) {
  RtcpReportBlock b;
  b.ssrc = ssrc;
  b.fractionLost = 25;
  b.cumulativeLost = lost;
  b.highestSeq = 0x0001ffff;
  b.jitter = 123;
  b.lastSr = 0xaabbccdd;
  b.delaySinceLastSr = 65536;
  return b;
}

}  // namespace

TEST(Rtcp, SenderReportRoundTripsWithBlocks) {
  uint8_t buf[128];
  RtcpReportBlock b = sampleBlock(7, -3);
  size_t n = buildSenderReport(buf, sizeof buf, 0x11111111, 0x0102030405060708ULL, 9000, 10, 12000, &b, 1);
  ASSERT_EQ(n, 52u);
  Recorder r;
  ASSERT_EQ(parseRtcpCompound(buf, n, r), RtcpError::None);
  ASSERT_EQ(r.srs.size(), 1u);
  EXPECT_EQ(r.srs[0].ssrc, 0x11111111u);
  EXPECT_EQ(r.srs[0].ntp, 0x0102030405060708ULL);
  EXPECT_EQ(r.srs[0].rtpTs, 9000u);
  EXPECT_EQ(r.srs[0].packets, 10u);
  EXPECT_EQ(r.srs[0].octets, 12000u);
  ASSERT_EQ(r.blocks.size(), 1u);
  EXPECT_EQ(r.blocks[0].first, 0x11111111u);
  EXPECT_EQ(r.blocks[0].second.cumulativeLost, -3);
  EXPECT_EQ(r.blocks[0].second.fractionLost, 25);
  EXPECT_EQ(r.blocks[0].second.highestSeq, 0x0001ffffu);
  EXPECT_EQ(r.blocks[0].second.jitter, 123u);
  EXPECT_EQ(r.blocks[0].second.lastSr, 0xaabbccddu);
  EXPECT_EQ(r.blocks[0].second.delaySinceLastSr, 65536u);
}

TEST(Rtcp, CompoundReceiverReportSdesByeRoundTrip) {
  uint8_t buf[256];
  RtcpReportBlock blocks[2] = {sampleBlock(1, 100), sampleBlock(2, 0x7fffff + 5)};  // second clamps
  size_t n = buildReceiverReport(buf, sizeof buf, 42, blocks, 2);
  ASSERT_EQ(n, 56u);
  size_t sdes = buildSdesCname(buf + n, sizeof buf - n, 42, "sluice");
  ASSERT_EQ(sdes, 20u);  // header 4 + chunk (ssrc 4, item 2+6, terminator 1 -> 13, padded to 16)
  EXPECT_EQ(sdes % 4, 0u);
  n += sdes;
  n += buildBye(buf + n, sizeof buf - n, 42);
  Recorder r;
  ASSERT_EQ(parseRtcpCompound(buf, n, r), RtcpError::None);
  ASSERT_EQ(r.blocks.size(), 2u);
  EXPECT_EQ(r.blocks[0].first, 42u);
  EXPECT_EQ(r.blocks[0].second.cumulativeLost, 100);
  EXPECT_EQ(r.blocks[1].second.cumulativeLost, 0x7fffff);
  ASSERT_EQ(r.byes.size(), 1u);
  EXPECT_EQ(r.byes[0], 42u);
}

TEST(Rtcp, SdesCnameIsNullTerminatedAndPadded) {
  uint8_t buf[64];
  for (size_t len : {0u, 1u, 2u, 3u, 4u, 5u}) {
    std::string cname(len, 'c');
    size_t n = buildSdesCname(buf, sizeof buf, 1, cname);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(n % 4, 0u);
    EXPECT_GE(n, 4 + 4 + 2 + len + 1);
    EXPECT_EQ((size_t{buf[2]} << 8 | buf[3]) + 1, n / 4);
    EXPECT_EQ(buf[10 + len], 0);
  }
  EXPECT_EQ(buildSdesCname(buf, sizeof buf, 1, std::string(256, 'x')), 0u);
  EXPECT_EQ(buildSdesCname(buf, 15, 1, "sluice"), 0u);
}

TEST(Rtcp, NackPacksLostSequencesIntoPidBlp) {
  // 100, 101, 105, 116 fit in one pair (116 = pid+16); 117 starts a new one. Wraps at 65535.
  const uint16_t lost[] = {100, 101, 105, 116, 117, 65535, 0, 3};
  uint8_t buf[64];
  size_t n = buildNack(buf, sizeof buf, 5, 6, lost, std::size(lost));
  ASSERT_EQ(n, 12u + 3 * 4);
  Recorder r;
  ASSERT_EQ(parseRtcpCompound(buf, n, r), RtcpError::None);
  ASSERT_EQ(r.nacks.size(), 3u);
  EXPECT_EQ(r.nacks[0].sender, 5u);
  EXPECT_EQ(r.nacks[0].media, 6u);
  EXPECT_EQ(r.nacks[0].pid, 100);
  EXPECT_EQ(r.nacks[0].blp, (1 << 0) | (1 << 4) | (1 << 15));
  EXPECT_EQ(r.nacks[1].pid, 117);
  EXPECT_EQ(r.nacks[1].blp, 0);
  EXPECT_EQ(r.nacks[2].pid, 65535);
  EXPECT_EQ(r.nacks[2].blp, (1 << 0) | (1 << 3));
}

TEST(Rtcp, NackRejectsEmptyAndSmallBuffer) {
  const uint16_t lost[] = {1, 100, 200};
  uint8_t buf[64];
  EXPECT_EQ(buildNack(buf, sizeof buf, 1, 2, lost, 0), 0u);
  EXPECT_EQ(buildNack(buf, 20, 1, 2, lost, 3), 0u);  // needs 24
  EXPECT_EQ(buildNack(buf, 24, 1, 2, lost, 3), 24u);
}

TEST(Rtcp, PliAndFirRoundTrip) {
  uint8_t buf[64];
  size_t n = buildPli(buf, sizeof buf, 1, 2);
  ASSERT_EQ(n, 12u);
  n += buildFir(buf + n, sizeof buf - n, 3, 4, 9);
  Recorder r;
  ASSERT_EQ(parseRtcpCompound(buf, n, r), RtcpError::None);
  ASSERT_EQ(r.plis.size(), 1u);
  EXPECT_EQ(r.plis[0], std::make_pair(1u, 2u));
  ASSERT_EQ(r.firs.size(), 1u);
  EXPECT_EQ(r.firs[0], std::make_tuple(3u, 4u, uint8_t{9}));
}

TEST(Rtcp, BuildersRefuseSmallBuffers) {
  uint8_t buf[64];
  EXPECT_EQ(buildSenderReport(buf, 27, 1, 0, 0, 0, 0), 0u);
  EXPECT_EQ(buildReceiverReport(buf, 7, 1, nullptr, 0), 0u);
  EXPECT_EQ(buildReceiverReport(buf, 8, 1, nullptr, 0), 8u);
  RtcpReportBlock b;
  EXPECT_EQ(buildReceiverReport(buf, 31, 1, &b, 1), 0u);
  EXPECT_EQ(buildPli(buf, 11, 1, 2), 0u);
  EXPECT_EQ(buildFir(buf, 19, 1, 2, 0), 0u);
  EXPECT_EQ(buildBye(buf, 7, 1), 0u);
  std::vector<RtcpReportBlock> many(32);
  std::vector<uint8_t> big(2000);
  EXPECT_EQ(buildReceiverReport(big.data(), big.size(), 1, many.data(), many.size()), 0u);
}

TEST(Rtcp, SkipsUnknownTypesAndFormats) {
  uint8_t buf[64] = {0x80, 204, 0, 2, 0, 0, 0, 1, 'n', 'a', 'm', 'e',  // APP
                     0x8f, 205, 0, 2, 0, 0, 0, 1, 0,   0,   0,   2};   // RTPFB FMT 15 (TWCC)
  size_t n = 24;
  n += buildPli(buf + n, sizeof buf - n, 1, 2);
  Recorder r;
  ASSERT_EQ(parseRtcpCompound(buf, n, r), RtcpError::None);
  EXPECT_EQ(r.plis.size(), 1u);
  EXPECT_TRUE(r.nacks.empty());
}

TEST(Rtcp, HonoursPaddingOnLastPacket) {
  // RR with no blocks, P bit, length 3 words -> 16 bytes: header, ssrc, 8 padding bytes.
  uint8_t buf[16] = {0xa0, 201, 0, 3, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 8};
  Recorder r;
  EXPECT_EQ(parseRtcpCompound(buf, sizeof buf, r), RtcpError::None);
  buf[15] = 13;  // larger than the 12-byte body
  EXPECT_EQ(parseRtcpCompound(buf, sizeof buf, r), RtcpError::BadPadding);
  buf[15] = 0;
  EXPECT_EQ(parseRtcpCompound(buf, sizeof buf, r), RtcpError::BadPadding);
  buf[15] = 12;  // leaves an empty body: RR needs its SSRC
  EXPECT_EQ(parseRtcpCompound(buf, sizeof buf, r), RtcpError::BodyTooShort);
}

TEST(Rtcp, RejectsMalformed) {
  Recorder r;
  uint8_t buf[64] = {};
  EXPECT_EQ(parseRtcpCompound(buf, 0, r), RtcpError::TooShort);

  size_t n = buildPli(buf, sizeof buf, 1, 2);
  EXPECT_EQ(parseRtcpCompound(buf, n + 2, r), RtcpError::TooShort);  // trailing junk
  EXPECT_EQ(parseRtcpCompound(buf, n - 4, r), RtcpError::LengthOverrun);

  buf[0] = 0x41;
  EXPECT_EQ(parseRtcpCompound(buf, n, r), RtcpError::BadVersion);

  // RR claims two report blocks but carries none.
  uint8_t rr[8] = {0x82, 201, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(parseRtcpCompound(rr, sizeof rr, r), RtcpError::BodyTooShort);
  // SR shorter than its sender info.
  uint8_t sr[8] = {0x80, 200, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(parseRtcpCompound(sr, sizeof sr, r), RtcpError::BodyTooShort);
  // BYE with SC=2 but one SSRC.
  uint8_t bye[8] = {0x82, 203, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(parseRtcpCompound(bye, sizeof bye, r), RtcpError::BodyTooShort);
  // NACK and PLI without the media SSRC.
  uint8_t nack[8] = {0x81, 205, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(parseRtcpCompound(nack, sizeof nack, r), RtcpError::BodyTooShort);
  uint8_t pli[8] = {0x81, 206, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(parseRtcpCompound(pli, sizeof pli, r), RtcpError::BodyTooShort);
  EXPECT_STREQ(describe(RtcpError::None), "ok");
}

TEST(Rtcp, StopsAtFirstBadPacketAfterVisitingEarlierOnes) {
  uint8_t buf[64];
  size_t n = buildPli(buf, sizeof buf, 1, 2);
  buf[n] = 0x00;  // version 0
  buf[n + 1] = 201;
  buf[n + 2] = 0;
  buf[n + 3] = 0;
  Recorder r;
  EXPECT_EQ(parseRtcpCompound(buf, n + 4, r), RtcpError::BadVersion);
  EXPECT_EQ(r.plis.size(), 1u);
}
