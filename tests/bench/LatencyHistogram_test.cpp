// The load client's latency histogram: percentiles within its bucket precision, and the live
// gate that leaves a cached GOP's old packets out of a viewer's latency.
#include "load/LatencyHistogram.h"

#include <gtest/gtest.h>

using sluice::load::LatencyHistogram;

TEST(LatencyHistogram, PercentilesAreWithinTheBucketPrecision) {
  LatencyHistogram h;
  for (int64_t us = 1; us <= 10'000; ++us) h.record(us);
  EXPECT_EQ(h.count(), 10'000u);
  EXPECT_NEAR(h.percentileUs(50), 5'000, 5'000 / 64.0 + 1);
  EXPECT_NEAR(h.percentileUs(99), 9'900, 9'900 / 64.0 + 1);
}

TEST(LatencyHistogram, LiveSamplesStartAtTheFirstOneWithinTheLiveEdge) {
  LatencyHistogram h;
  // A cached GOP handed over faster than real time: old, then younger packets.
  for (int64_t us = 1'900'000; us > LatencyHistogram::kLiveEdgeUs; us -= 100'000) h.recordLive(us);
  EXPECT_EQ(h.count(), 0u);
  h.recordLive(3'000);   // live
  h.recordLive(80'000);  // a late packet once live counts
  h.recordLive(2'000);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_NEAR(h.percentileUs(100), 80'000, 80'000 / 64.0 + 1);
}
