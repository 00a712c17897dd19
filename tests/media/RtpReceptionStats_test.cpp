#include "media/RtpReceptionStats.h"

#include <gtest/gtest.h>

using namespace sluice::media;

TEST(RtpReceptionStats, CountsLossAndFractionPerInterval) {
  RtpReceptionStats s;
  for (uint16_t seq = 10; seq < 20; ++seq) {
    if (seq == 12 || seq == 13) continue;
    EXPECT_TRUE(s.onPacket(seq, seq * 3000u, seq * 3000u));
  }
  EXPECT_EQ(s.extendedHighestSequence(), 19u);
  EXPECT_EQ(s.expected(), 10u);
  EXPECT_EQ(s.received(), 8u);
  EXPECT_EQ(s.cumulativeLost(), 2);
  RtcpReportBlock b;
  s.fillReportBlock(77, 0, b);
  EXPECT_EQ(b.ssrc, 77u);
  EXPECT_EQ(b.cumulativeLost, 2);
  EXPECT_EQ(b.fractionLost, (2 << 8) / 10);
  EXPECT_EQ(b.highestSeq, 19u);
  EXPECT_EQ(b.jitter, 0u);  // perfectly paced
  EXPECT_EQ(b.lastSr, 0u);
  EXPECT_EQ(b.delaySinceLastSr, 0u);

  // Next interval: no loss.
  for (uint16_t seq = 20; seq < 30; ++seq) s.onPacket(seq, 0, 0);
  s.fillReportBlock(77, 0, b);
  EXPECT_EQ(b.fractionLost, 0);
  EXPECT_EQ(b.cumulativeLost, 2);
}

TEST(RtpReceptionStats, ExtendsSequenceAcrossWrap) {
  RtpReceptionStats s;
  for (uint32_t i = 0; i < 10; ++i) s.onPacket(static_cast<uint16_t>(65530 + i), 0, 0);
  EXPECT_EQ(s.extendedHighestSequence(), 0x10000u + 3);
  EXPECT_EQ(s.cumulativeLost(), 0);
}

TEST(RtpReceptionStats, ReorderedAndDuplicatePacketsDoNotMoveHighest) {
  RtpReceptionStats s;
  s.onPacket(100, 0, 0);
  s.onPacket(102, 0, 0);
  s.onPacket(101, 0, 0);  // late
  EXPECT_EQ(s.extendedHighestSequence(), 102u);
  EXPECT_EQ(s.cumulativeLost(), 0);
  s.onPacket(101, 0, 0);  // duplicate
  EXPECT_EQ(s.cumulativeLost(), -1);
}

TEST(RtpReceptionStats, RebasesAfterConfirmedJump) {
  RtpReceptionStats s;
  s.onPacket(100, 0, 0);
  s.onPacket(101, 0, 0);
  EXPECT_FALSE(s.onPacket(30000, 0, 0));  // held back
  EXPECT_EQ(s.extendedHighestSequence(), 101u);
  EXPECT_TRUE(s.onPacket(30001, 0, 0));  // confirms: source restarted
  EXPECT_EQ(s.extendedHighestSequence(), 30001u);
  EXPECT_EQ(s.received(), 1u);
  EXPECT_EQ(s.cumulativeLost(), 0);
}

TEST(RtpReceptionStats, JitterFollowsRfc3550Estimator) {
  RtpReceptionStats s;
  // Packets sent every 3000 ticks; every other one arrives 160 ticks late.
  uint32_t jitterQ4 = 0;
  uint32_t lastTransit = 0;
  for (uint16_t i = 0; i < 50; ++i) {
    uint32_t ts = i * 3000u;
    uint32_t arrival = ts + 1000 + (i % 2 ? 160 : 0);
    s.onPacket(i, ts, arrival);
    uint32_t transit = arrival - ts;
    if (i > 0) {
      int32_t d = static_cast<int32_t>(transit - lastTransit);
      jitterQ4 += static_cast<uint32_t>(d < 0 ? -d : d) - ((jitterQ4 + 8) >> 4);
    }
    lastTransit = transit;
  }
  EXPECT_EQ(s.jitter(), jitterQ4 >> 4);
  EXPECT_GT(s.jitter(), 100u);
  EXPECT_LE(s.jitter(), 160u);
}

TEST(RtpReceptionStats, ReportsLastSrAndDelay) {
  RtpReceptionStats s;
  s.onPacket(1, 0, 0);
  s.onSenderReport(0x1122334455667788ULL, 1'000'000);
  RtcpReportBlock b;
  s.fillReportBlock(1, 1'500'000, b);
  EXPECT_EQ(b.lastSr, 0x33445566u);
  EXPECT_EQ(b.delaySinceLastSr, 32768u);  // 0.5 s in 1/65536 s
}
