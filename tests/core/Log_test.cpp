#include "core/Log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <thread>

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

TEST(Log, WritesMediaMtxJsonLinesToAFile) {
  std::string path = ::testing::TempDir() + "/sluice-log-test.log";
  std::remove(path.c_str());
  Options o;
  o.toStdout = false;
  o.file = path;
  o.structured = true;
  init(o);
  info("[path {}] hello \"quoted\"", "cam");
  debug("not shown at info level");
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(line.find("\"level\":\"INF\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"message\":\"[path cam] hello \\\"quoted\\\"\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"timestamp\":\""), std::string::npos) << line;
  EXPECT_FALSE(std::getline(in, line)) << line;
  Options plain;
  init(plain);
}
