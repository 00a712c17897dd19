// Defaults (MediaMTX's) and reading of every kind of value.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::load;
using testing::loadOk;

TEST(ConfigDefaults, EmptyFileGivesMediamtxDefaults) {
  testing::ScopedEnvironment environment;
  for (std::string_view text : {"", "# only a comment\n", "---\n"}) {
    ConfigResult result = load(text);
    ASSERT_TRUE(result.config) << result.error;
    EXPECT_TRUE(result.warnings.empty());
    const Config& c = *result.config;
    EXPECT_EQ(c.logLevel, log::Level::Info);
    EXPECT_EQ(c.logDestinations, std::vector<std::string>{"stdout"});
    EXPECT_FALSE(c.logStructured);
    EXPECT_EQ(c.logFile, "mediamtx.log");
    EXPECT_EQ(c.readTimeout, 10s);
    EXPECT_EQ(c.writeTimeout, 10s);
    EXPECT_EQ(c.writeQueueSize, 512);
    EXPECT_EQ(c.udpMaxPayloadSize, 1452);
    EXPECT_EQ(c.udpReadBufferSize, 0);
    EXPECT_TRUE(c.webrtc);
    EXPECT_EQ(c.webrtcAddress, ":8889");
    EXPECT_EQ(c.webrtcAllowOrigins, std::vector<std::string>{"*"});
    EXPECT_EQ(c.webrtcLocalUDPAddress, ":8189");
    EXPECT_EQ(c.webrtcLocalTCPAddress, "");
    EXPECT_TRUE(c.webrtcIPsFromInterfaces);
    EXPECT_TRUE(c.webrtcIPsFromInterfacesList.empty());
    EXPECT_TRUE(c.webrtcAdditionalHosts.empty());
    EXPECT_TRUE(c.webrtcICEServers2.empty());
    EXPECT_EQ(c.webrtcHandshakeTimeout, 10s);
    EXPECT_EQ(c.webrtcSTUNGatherTimeout, 5s);
    EXPECT_EQ(c.workerThreads, 0);
    EXPECT_EQ(c.workerBatchInterval, 2ms);
    EXPECT_EQ(c.webrtcSenderReportPeriod, 1s);
    EXPECT_EQ(c.streamHistoryPackets, 4096);
    EXPECT_EQ(c.pathDefaults.source, "publisher");
    EXPECT_EQ(c.pathDefaults.rtspTransport, RtspTransport::Automatic);
    EXPECT_FALSE(c.pathDefaults.sourceOnDemand);
    EXPECT_EQ(c.pathDefaults.sourceOnDemandStartTimeout, 10s);
    EXPECT_EQ(c.pathDefaults.sourceOnDemandCloseAfter, 10s);
    EXPECT_EQ(c.pathDefaults.maxReaders, 0);
    EXPECT_FALSE(c.pathDefaults.rtspAnyPort);
    EXPECT_TRUE(c.paths.empty());
    EXPECT_EQ(c.sourceFile, "");
  }
}

TEST(ConfigDefaults, ReadsEveryGlobalKey) {
  testing::ScopedEnvironment environment;
  Config c = loadOk(R"(
logLevel: debug
logDestinations: [stdout, file]
logStructured: yes
logFile: /var/log/sluice.log
readTimeout: 1m30s
writeTimeout: 200ms
writeQueueSize: 1024
udpMaxPayloadSize: 1200
udpReadBufferSize: 4194304
webrtc: On
webrtcAddress: 127.0.0.1:9889
webrtcAllowOrigins: ['https://a.example', 'http://*.example.com']
webrtcLocalUDPAddress: :9189
webrtcLocalTCPAddress: :9190
webrtcIPsFromInterfaces: FALSE
webrtcIPsFromInterfacesList: [eth0, eth1]
webrtcAdditionalHosts: [203.0.113.7, cam.example]
webrtcICEServers2:
  - url: stun:stun.example:3478
  - url: turn:turn.example:3478
    username: AUTH_SECRET
    password: secret
    clientOnly: true
webrtcHandshakeTimeout: 15s
webrtcSTUNGatherTimeout: 1d
workerThreads: 6
workerBatchInterval: 0s
webrtcSenderReportPeriod: 500ms
streamHistoryPackets: 8192
)");
  EXPECT_EQ(c.logLevel, log::Level::Debug);
  EXPECT_EQ(c.logDestinations, (std::vector<std::string>{"stdout", "file"}));
  EXPECT_TRUE(c.logStructured);
  EXPECT_EQ(c.logFile, "/var/log/sluice.log");
  EXPECT_EQ(c.readTimeout, 90s);
  EXPECT_EQ(c.writeTimeout, 200ms);
  EXPECT_EQ(c.writeQueueSize, 1024);
  EXPECT_EQ(c.udpMaxPayloadSize, 1200);
  EXPECT_EQ(c.udpReadBufferSize, 4194304);
  EXPECT_TRUE(c.webrtc);
  EXPECT_EQ(c.webrtcAddress, "127.0.0.1:9889");
  EXPECT_EQ(c.webrtcAllowOrigins, (std::vector<std::string>{"https://a.example", "http://*.example.com"}));
  EXPECT_EQ(c.webrtcLocalUDPAddress, ":9189");
  EXPECT_EQ(c.webrtcLocalTCPAddress, ":9190");
  EXPECT_FALSE(c.webrtcIPsFromInterfaces);
  EXPECT_EQ(c.webrtcIPsFromInterfacesList, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(c.webrtcAdditionalHosts, (std::vector<std::string>{"203.0.113.7", "cam.example"}));
  ASSERT_EQ(c.webrtcICEServers2.size(), 2u);
  EXPECT_EQ(c.webrtcICEServers2[0].url, "stun:stun.example:3478");
  EXPECT_EQ(c.webrtcICEServers2[0].username, "");
  EXPECT_FALSE(c.webrtcICEServers2[0].clientOnly);
  EXPECT_EQ(c.webrtcICEServers2[1].url, "turn:turn.example:3478");
  EXPECT_EQ(c.webrtcICEServers2[1].username, "AUTH_SECRET");
  EXPECT_EQ(c.webrtcICEServers2[1].password, "secret");
  EXPECT_TRUE(c.webrtcICEServers2[1].clientOnly);
  EXPECT_EQ(c.webrtcHandshakeTimeout, 15s);
  EXPECT_EQ(c.webrtcSTUNGatherTimeout, 24h);
  EXPECT_EQ(c.workerThreads, 6);
  EXPECT_EQ(c.workerBatchInterval, 0ms);
  EXPECT_EQ(c.webrtcSenderReportPeriod, 500ms);
  EXPECT_EQ(c.streamHistoryPackets, 8192);
}

TEST(ConfigDefaults, AcceptsYaml11BooleansInAnyCase) {
  testing::ScopedEnvironment environment;
  for (const char* yes : {"yes", "Yes", "YES", "on", "ON", "true", "True", "TRUE"}) {
    EXPECT_TRUE(loadOk(std::string("logStructured: ") + yes).logStructured) << yes;
  }
  for (const char* no : {"no", "No", "NO", "off", "Off", "false", "FALSE"}) {
    EXPECT_FALSE(loadOk(std::string("webrtcIPsFromInterfaces: ") + no + "\nwebrtcAdditionalHosts: [h]")
                     .webrtcIPsFromInterfaces)
        << no;
  }
}

TEST(ConfigDefaults, NullValueKeepsTheDefaultAndNullListIsEmpty) {
  testing::ScopedEnvironment environment;
  Config c = loadOk("logFile:\nreadTimeout: ~\nwebrtcAllowOrigins:\nwebrtcLocalTCPAddress: ''\n");
  EXPECT_EQ(c.logFile, "mediamtx.log");
  EXPECT_EQ(c.readTimeout, 10s);
  EXPECT_TRUE(c.webrtcAllowOrigins.empty());
  EXPECT_EQ(c.webrtcLocalTCPAddress, "");
}

TEST(ConfigDefaults, SubMillisecondDurationsRoundUp) {
  testing::ScopedEnvironment environment;
  EXPECT_EQ(loadOk("readTimeout: 1500us").readTimeout, 2ms);
  EXPECT_EQ(loadOk("readTimeout: 1ns").readTimeout, 1ms);
}

TEST(ConfigDefaults, ExpandsYamlMergeKeys) {
  testing::ScopedEnvironment environment;
  Config c = loadOk(R"(
paths:
  cam1: &camera
    source: rtsp://10.0.0.1/stream
    rtspTransport: tcp
  cam2:
    <<: *camera
    source: rtsp://10.0.0.2/stream
)");
  const PathConfig* cam2 = testing::pathNamed(c, "cam2");
  ASSERT_NE(cam2, nullptr);
  EXPECT_EQ(cam2->source, "rtsp://10.0.0.2/stream");
  EXPECT_EQ(cam2->rtspTransport, RtspTransport::Tcp);
}

}  // namespace
}  // namespace sluice::config
