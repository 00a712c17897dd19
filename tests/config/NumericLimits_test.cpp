// Every numeric key has a range, checked when the value is read (so `--check-config` and start-up
// reject the same values), and the error names the file, line, key, allowed range and value.
#include <gtest/gtest.h>

#include <string>

#include "ConfigTestSupport.h"
#include "config/FieldChecks.h"

namespace sluice::config {
namespace {

using namespace testing;

class NumericLimitsTest : public ::testing::Test {
 protected:
  ScopedEnvironment environment_;
};

struct Case {
  std::string yaml;      // one key, on line 1 unless it is a path key
  std::string expected;  // the whole error
};

void expectErrors(const std::vector<Case>& cases) {
  for (const Case& c : cases) EXPECT_EQ(loadError(c.yaml), c.expected) << c.yaml;
}

TEST_F(NumericLimitsTest, WorkerThreadsIsBounded) {
  expectErrors({
      {"workerThreads: 100000\n",
       "sluice.yml:1: workerThreads: must be between 0 and 256 (0 = one per core), got 100000"},
      {"workerThreads: 257\n",
       "sluice.yml:1: workerThreads: must be between 0 and 256 (0 = one per core), got 257"},
  });
  EXPECT_EQ(loadOk("workerThreads: 256\n").workerThreads, kMaxWorkerThreads);
  EXPECT_EQ(loadOk("workerThreads: 0\n").workerThreads, 0);
}

TEST_F(NumericLimitsTest, WorkerThreadsFromTheEnvironmentIsBoundedToo) {
  environment_.set("MTX_WORKERTHREADS", "100000");
  EXPECT_EQ(loadError(""),
            "environment variable MTX_WORKERTHREADS: must be between 0 and 256 (0 = one per core), "
            "got 100000");
}

TEST_F(NumericLimitsTest, QueueAndBufferSizes) {
  expectErrors({
      {"writeQueueSize: 2097152\n",
       "sluice.yml:1: writeQueueSize: must be a power of two between 1 and 1048576, got 2097152"},
      {"writeQueueSize: -512\n",
       "sluice.yml:1: writeQueueSize: must be a power of two between 1 and 1048576, got -512"},
      {"readBufferCount: 1000\n",
       "sluice.yml:1: readBufferCount: must be a power of two between 1 and 1048576, got 1000"},
      {"udpReadBufferSize: -1\n",
       "sluice.yml:1: udpReadBufferSize: must be between 0 and 1073741824 (0 = the system's default), "
       "got -1"},
      {"udpReadBufferSize: 2000000000\n",
       "sluice.yml:1: udpReadBufferSize: must be between 0 and 1073741824 (0 = the system's default), got "
       "2000000000"},
      {"rtspUDPReadBufferSize: -5\n",
       "sluice.yml:1: rtspUDPReadBufferSize: must be between 0 and 1073741824 (0 = the system's "
       "default), got -5"},
      {"udpMaxPayloadSize: 1473\n", "sluice.yml:1: udpMaxPayloadSize: must be between 13 and 1472, got 1473"},
      {"udpMaxPayloadSize: 12\n", "sluice.yml:1: udpMaxPayloadSize: must be between 13 and 1472, got 12"},
      {"streamHistoryPackets: 131072\n",
       "sluice.yml:1: streamHistoryPackets: must be a power of two between 256 and 65536, got 131072"},
  });
  Config c = loadOk("writeQueueSize: 1048576\nudpReadBufferSize: 1073741824\nudpMaxPayloadSize: 1472\n");
  EXPECT_EQ(c.writeQueueSize, kMaxWriteQueueSize);
  EXPECT_EQ(c.udpReadBufferSize, kMaxUdpReadBufferSize);
  EXPECT_EQ(c.udpMaxPayloadSize, 1472);
}

TEST_F(NumericLimitsTest, DurationsThatMustBePositive) {
  expectErrors({
      {"webrtcHandshakeTimeout: 0s\n",
       "sluice.yml:1: webrtcHandshakeTimeout: must be greater than zero, got 0s"},
      {"webrtcSTUNGatherTimeout: 0\n",
       "sluice.yml:1: webrtcSTUNGatherTimeout: must be greater than zero, got 0s"},
      {"workerBatchInterval: 30ms\n",
       "sluice.yml:1: workerBatchInterval: must be between 0s and 20ms (0s = no batching), got 30ms"},
      {"webrtcSenderReportPeriod: 2m\n",
       "sluice.yml:1: webrtcSenderReportPeriod: must be greater than zero and at most 1m0s, got 2m0s"},
      {"pathDefaults:\n  sourceOnDemandStartTimeout: 0s\n",
       "sluice.yml:2: pathDefaults.sourceOnDemandStartTimeout: must be greater than zero, got 0s"},
      {"paths:\n  cam:\n    sourceOnDemandStartTimeout: 0s\n",
       "sluice.yml:3: paths.cam.sourceOnDemandStartTimeout: must be greater than zero, got 0s"},
  });
  // Closing an on-demand source as soon as its last viewer leaves is allowed.
  Config c = loadOk("pathDefaults:\n  sourceOnDemandCloseAfter: 0s\n");
  EXPECT_EQ(c.pathDefaults.sourceOnDemandCloseAfter.count(), 0);
}

TEST_F(NumericLimitsTest, MaxReaders) {
  EXPECT_EQ(loadError("paths:\n  cam:\n    maxReaders: -1\n"),
            "sluice.yml:3: paths.cam.maxReaders: must be 0 or more, got -1");
}

TEST_F(NumericLimitsTest, PortsOfEveryAddressKey) {
  for (const char* key :
       {"webrtcAddress", "webrtcLocalUDPAddress", "webrtcLocalTCPAddress", "apiAddress", "metricsAddress",
        "pprofAddress", "webrtcICEUDPMuxAddress", "webrtcICETCPMuxAddress"}) {
    EXPECT_EQ(loadError(std::string(key) + ": ':65536'\n"),
              std::string("sluice.yml:1: ") + key +
                  ": invalid address ':65536': the port must be a number between 0 and 65535, got "
                  "'65536' (expected [host]:port, e.g. ':8889' or '127.0.0.1:8889')");
    EXPECT_TRUE(contains(loadError(std::string(key) + ": 'localhost:http'\n"), "got 'http'")) << key;
    EXPECT_TRUE(contains(loadError(std::string(key) + ": '127.0.0.1'\n"),
                         "invalid address '127.0.0.1': missing port"))
        << key;
    EXPECT_TRUE(contains(loadError(std::string(key) + ": '::1:80'\n"), "must be written in brackets")) << key;
    EXPECT_TRUE(contains(loadError(std::string(key) + ": '[::1:80'\n"), "missing ']'")) << key;
  }
  Config c = loadOk(
      "webrtcAddress: '[::1]:65535'\napiAddress: 127.0.0.1:9997\nmetricsAddress: ':0'\npprofAddress: "
      "localhost:9999\nwebrtcLocalTCPAddress: ''\n");
  EXPECT_EQ(c.webrtcAddress, "[::1]:65535");
  EXPECT_EQ(c.metricsAddress, ":0");
}

TEST_F(NumericLimitsTest, AddressFromTheEnvironmentIsCheckedToo) {
  environment_.set("MTX_APIADDRESS", ":99999");
  EXPECT_TRUE(contains(loadError(""), "environment variable MTX_APIADDRESS: invalid address ':99999'"));
}

}  // namespace
}  // namespace sluice::config
