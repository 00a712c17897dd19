// Sluice's per-client limit keys: defaults, values, errors, API view.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ConfigTestSupport.h"
#include "config/ConfigJson.h"

namespace sluice::config {
namespace {

using namespace testing;

TEST(ClientLimits, Defaults) {
  Config c = loadOk("");
  EXPECT_EQ(c.httpMaxConnectionsPerClient, 128);
  EXPECT_EQ(c.webrtcMaxHandshakesPerClient, 128);
  EXPECT_EQ(c.webrtcMaxHandshakes, 1024);
}

TEST(ClientLimits, ValuesAndZeroForNoLimit) {
  Config c =
      loadOk("httpMaxConnectionsPerClient: 16\nwebrtcMaxHandshakesPerClient: 0\nwebrtcMaxHandshakes: 50\n");
  EXPECT_EQ(c.httpMaxConnectionsPerClient, 16);
  EXPECT_EQ(c.webrtcMaxHandshakesPerClient, 0);
  EXPECT_EQ(c.webrtcMaxHandshakes, 50);
  nlohmann::json global = globalToJson(c);
  EXPECT_EQ(global["httpMaxConnectionsPerClient"], 16);
  EXPECT_EQ(global["webrtcMaxHandshakesPerClient"], 0);
  EXPECT_EQ(global["webrtcMaxHandshakes"], 50);
}

TEST(ClientLimits, NegativeOrNonNumbersAreRejected) {
  EXPECT_TRUE(contains(loadError("httpMaxConnectionsPerClient: -1\n"),
                       "httpMaxConnectionsPerClient: must be between 0 and 1000000 (0 = no limit), got -1"));
  EXPECT_TRUE(contains(loadError("webrtcMaxHandshakesPerClient: 2000000\n"), "got 2000000"));
  EXPECT_TRUE(contains(loadError("webrtcMaxHandshakes: lots\n"), "webrtcMaxHandshakes"));
}

}  // namespace
}  // namespace sluice::config
