#include "config/Scalars.h"

#include <gtest/gtest.h>

#include "config/KeySuggestion.h"
#include "config/PathName.h"

namespace sluice::config {
namespace {

TEST(Scalars, Booleans) {
  EXPECT_EQ(parseBool("yEs"), true);
  EXPECT_EQ(parseBool("OFF"), false);
  EXPECT_EQ(parseBool("y"), std::nullopt);
  EXPECT_EQ(parseBool("1"), std::nullopt);
  EXPECT_EQ(parseBool(""), std::nullopt);
}

TEST(Scalars, Integers) {
  EXPECT_EQ(parseInteger("512"), 512);
  EXPECT_EQ(parseInteger("+7"), 7);
  EXPECT_EQ(parseInteger("-7"), -7);
  EXPECT_EQ(parseInteger("1.0"), std::nullopt);
  EXPECT_EQ(parseInteger("0x10"), std::nullopt);
  EXPECT_EQ(parseInteger(""), std::nullopt);
  EXPECT_EQ(parseInteger("-"), std::nullopt);
  EXPECT_EQ(parseInteger("1234567890123456789"), std::nullopt);
}

TEST(Scalars, RtspTransportNamesRoundTrip) {
  for (RtspTransport t :
       {RtspTransport::Automatic, RtspTransport::Udp, RtspTransport::Multicast, RtspTransport::Tcp}) {
    EXPECT_EQ(parseRtspTransport(rtspTransportName(t)), t);
  }
  EXPECT_EQ(parseRtspTransport("TCP"), std::nullopt);
}

TEST(KeySuggestion, SuggestsOnlyCloseKeys) {
  std::vector<std::string_view> keys = {"webrtcAddress", "webrtcAdditionalHosts", "readTimeout", "logLevel"};
  EXPECT_EQ(closestKey("webrtcAdress", keys), "webrtcAddress");
  EXPECT_EQ(closestKey("readtimeout", keys), "readTimeout");
  EXPECT_EQ(closestKey("loglevl", keys), "logLevel");
  EXPECT_EQ(closestKey("banana", keys), std::nullopt);
  EXPECT_EQ(didYouMean("banana", keys), "");
  EXPECT_EQ(didYouMean("logLvel", keys), " (did you mean 'logLevel'?)");
}

TEST(PathName, MediamtxRules) {
  for (const char* good : {"cam1", "site-a/cam_01", "a.b", "x/y/z", "..a", "a..b/c"}) {
    EXPECT_EQ(pathNameProblem(good), std::nullopt) << good;
  }
  for (const char* bad : {"", "/cam", "cam/", "a b", "a/../b", "./a", "a/.", "..", "cam:1", "~cam"}) {
    EXPECT_NE(pathNameProblem(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace sluice::config
