#include "stream/OutputTimeline.h"

#include <gtest/gtest.h>

using sluice::stream::OutputTimeline;

TEST(OutputTimeline, FirstSegmentKeepsTheSourceTimestamps) {
  OutputTimeline t;
  EXPECT_EQ(t.map(1000, 5'000'000), 1000u);
  EXPECT_EQ(t.map(4000, 5'033'000), 4000u);
}

TEST(OutputTimeline, NextSegmentContinuesByTheElapsedWallClockTime) {
  OutputTimeline t;
  t.map(0xfffff000u, 1'000'000);  // near the wrap: continuity is modulo 2^32
  // A restarted camera with an unrelated random base, 5 s later.
  t.beginSegment();
  uint32_t first = t.map(123456, 6'000'000);
  EXPECT_EQ(first, 0xfffff000u + 5u * 90000u);
  EXPECT_EQ(t.map(123456 + 3000, 6'033'333), first + 3000u);
}

TEST(OutputTimeline, ASegmentRightAfterAnotherStillMovesForward) {
  OutputTimeline t;
  t.map(500, 1'000'000);
  t.beginSegment();
  uint32_t next = t.map(10, 1'000'000);  // no time elapsed (slate hands over at once)
  EXPECT_GT(static_cast<int32_t>(next - 500u), 0);
}

TEST(OutputTimeline, NewestTimestampIgnoresReorderedFrames) {
  OutputTimeline t;
  t.map(9000, 1'000'000);
  t.map(6000, 1'010'000);  // a B-frame: earlier presentation time
  EXPECT_EQ(t.newestTimestamp(), 9000u);
  EXPECT_EQ(t.newestTimeUs(), 1'000'000);
}
