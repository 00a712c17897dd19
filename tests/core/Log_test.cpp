#include "core/Log.h"

#include <gtest/gtest.h>

using namespace sluice::log;

TEST(Log, ParsesMediaMtxLevels) {
  Level l;
  EXPECT_TRUE(parseLevel("debug", l));
  EXPECT_EQ(l, Level::Debug);
  EXPECT_TRUE(parseLevel("error", l));
  EXPECT_EQ(l, Level::Error);
  EXPECT_FALSE(parseLevel("verbose", l));
}

TEST(Log, RateLimitAllowsOncePerIntervalAndCounts) {
  RateLimit rl(std::chrono::milliseconds(50));
  uint64_t suppressed = 99;
  EXPECT_TRUE(rl.allow(suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(rl.allow(suppressed));
  EXPECT_FALSE(rl.allow(suppressed));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_TRUE(rl.allow(suppressed));
  EXPECT_EQ(suppressed, 2u);
}
