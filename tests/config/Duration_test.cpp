#include "config/Duration.h"

#include <gtest/gtest.h>

namespace sluice::config {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(Duration, ParsesGoDurations) {
  EXPECT_EQ(parseDuration("10s"), nanoseconds(seconds(10)));
  EXPECT_EQ(parseDuration("200ms"), nanoseconds(milliseconds(200)));
  EXPECT_EQ(parseDuration("1m30s"), nanoseconds(seconds(90)));
  EXPECT_EQ(parseDuration("1h"), nanoseconds(hours(1)));
  EXPECT_EQ(parseDuration("1.5h"), nanoseconds(minutes(90)));
  EXPECT_EQ(parseDuration("2h45m"), nanoseconds(minutes(165)));
  EXPECT_EQ(parseDuration("300us"), nanoseconds(microseconds(300)));
  EXPECT_EQ(parseDuration("300\xC2\xB5s"), nanoseconds(microseconds(300)));
  EXPECT_EQ(parseDuration("7ns"), nanoseconds(7));
  EXPECT_EQ(parseDuration(".5s"), nanoseconds(milliseconds(500)));
  EXPECT_EQ(parseDuration("0"), nanoseconds(0));
  EXPECT_EQ(parseDuration("+5s"), nanoseconds(seconds(5)));
  EXPECT_EQ(parseDuration("-5s"), nanoseconds(seconds(-5)));
}

TEST(Duration, ParsesMediamtxDays) {
  EXPECT_EQ(parseDuration("1d"), nanoseconds(hours(24)));
  EXPECT_EQ(parseDuration("1d12h"), nanoseconds(hours(36)));
  EXPECT_EQ(parseDuration("2d30m"), nanoseconds(hours(48) + minutes(30)));
  EXPECT_EQ(parseDuration("-1d"), nanoseconds(hours(-24)));
}

TEST(Duration, RejectsMalformedText) {
  for (const char* text :
       {"", "10", "s", "10 s", "10sec", "1..5s", "abc", "1d2", "d", "-", "1h-", "5s5", "0x10s"}) {
    EXPECT_FALSE(parseDuration(text).has_value()) << text;
  }
}

TEST(Duration, RejectsOverflow) {
  EXPECT_FALSE(parseDuration("9999999999999999999h").has_value());
  EXPECT_FALSE(parseDuration("3000000h").has_value());
  EXPECT_FALSE(parseDuration("999999d").has_value());
  EXPECT_TRUE(parseDuration("2000000h").has_value());
}

}  // namespace
}  // namespace sluice::config
