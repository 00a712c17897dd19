// MediaMTX keys Sluice does not implement (warned once, ignored) and deprecated MediaMTX names
// (mapped onto their replacement, with a warning).
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::countContaining;
using testing::load;
using testing::loadOk;

class ConfigWarnings : public ::testing::Test {
  testing::ScopedEnvironment environment_;
};

TEST_F(ConfigWarnings, UnsupportedGlobalKeyIsWarnedOnceAndIgnored) {
  ConfigResult result = load("logLevel: info\nhlsAddress: :8888\nrtmp: no\n");
  ASSERT_TRUE(result.config) << result.error;
  ASSERT_EQ(result.warnings.size(), 2u);
  EXPECT_EQ(result.warnings[0],
            "sluice.yml:2: configuration key 'hlsAddress' is not supported by Sluice yet and is ignored");
  EXPECT_EQ(result.warnings[1],
            "sluice.yml:3: configuration key 'rtmp' is not supported by Sluice yet and is ignored");
}

TEST_F(ConfigWarnings, UnsupportedValuesAreNotChecked) {
  // MediaMTX would type-check these; Sluice ignores them whole, so odd values pass.
  ConfigResult result = load("hlsSegmentCount: [not, a, number]\nauthJWTExclude: {a: b}\n");
  EXPECT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.warnings.size(), 2u);
}

TEST_F(ConfigWarnings, UnsupportedPathKeyIsWarnedOnceForAllPaths) {
  ConfigResult result = load(R"(
pathDefaults:
  record: no
  rpiCameraProfile: ''
paths:
  cam1: {record: yes, srtPublishPassphrase: secret}
  cam2: {record: yes}
  cam3: {record: yes, rpiCameraProfile: 'high'}
)");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(countContaining(result.warnings, "'record'"), 1u);
  EXPECT_EQ(countContaining(result.warnings, "'srtPublishPassphrase'"), 1u);
  EXPECT_EQ(countContaining(result.warnings, "'rpiCameraProfile'"), 1u);
  EXPECT_EQ(result.warnings.size(), 3u);
  EXPECT_EQ(result.warnings[0],
            "sluice.yml:3: configuration key 'record' is not supported by Sluice yet and is ignored");
  EXPECT_EQ(result.warnings[1],
            "sluice.yml:4: configuration key 'rpiCameraProfile' (deprecated, replaced by "
            "'rpiCameraH264Profile') is not "
            "supported by Sluice yet and is ignored");
  EXPECT_EQ(result.config->paths.size(), 3u);
}

TEST_F(ConfigWarnings, HookKeysAreReadAndTheirOldNamesWarned) {
  ConfigResult result = load(R"(
runOnConnect: curl http://hooks/connect?id=$MTX_CONN_ID
runOnConnectRestart: yes
pathDefaults:
  runOnReady: echo ready
paths:
  cam1:
    runOnInit: ffmpeg -i in.mp4 -f rtsp rtsp://localhost:$RTSP_PORT/$MTX_PATH
    runOnInitRestart: yes
    runOnDemand: ffmpeg -i x
    runOnDemandStartTimeout: 3s
    runOnDemandCloseAfter: 20s
    runOnUnDemand: echo gone
    runOnRead: echo read
    runOnReadRestart: yes
    runOnUnread: echo unread
    runOnAvailable: echo available
    runOnUnavailable: echo unavailable
    runOnNotReady: echo offline
)");
  ASSERT_TRUE(result.config) << result.error;
  const Config& c = *result.config;
  EXPECT_EQ(c.runOnConnect, "curl http://hooks/connect?id=$MTX_CONN_ID");
  EXPECT_TRUE(c.runOnConnectRestart);
  ASSERT_EQ(c.paths.size(), 1u);
  const PathConfig& p = c.paths[0];
  EXPECT_EQ(p.runOnInit, "ffmpeg -i in.mp4 -f rtsp rtsp://localhost:$RTSP_PORT/$MTX_PATH");
  EXPECT_TRUE(p.runOnInitRestart);
  EXPECT_EQ(p.runOnDemand, "ffmpeg -i x");
  EXPECT_EQ(p.runOnDemandStartTimeout, std::chrono::seconds(3));
  EXPECT_EQ(p.runOnDemandCloseAfter, std::chrono::seconds(20));
  EXPECT_EQ(p.runOnUnDemand, "echo gone");
  EXPECT_EQ(p.runOnRead, "echo read");
  EXPECT_TRUE(p.runOnReadRestart);
  EXPECT_EQ(p.runOnUnread, "echo unread");
  EXPECT_EQ(p.runOnAvailable, "echo available");
  EXPECT_EQ(p.runOnUnavailable, "echo unavailable");
  EXPECT_EQ(p.runOnOnline, "echo ready");  // from pathDefaults' old name
  EXPECT_EQ(p.runOnOffline, "echo offline");
  EXPECT_EQ(
      countContaining(result.warnings, "'runOnReady' is deprecated and has been replaced by 'runOnOnline'"),
      1u);
  EXPECT_EQ(countContaining(result.warnings, "'runOnNotReady' is deprecated"), 1u);
  // Recording hooks stay unsupported (Sluice does not record).
  result = load("pathDefaults:\n  runOnRecordSegmentCreate: echo x\n");
  ASSERT_TRUE(result.config);
  EXPECT_EQ(countContaining(result.warnings, "'runOnRecordSegmentCreate' is not supported"), 1u);
  // A timeout must be positive.
  result = load("paths:\n  cam:\n    runOnDemandStartTimeout: 0s\n");
  EXPECT_FALSE(result.config);
  EXPECT_TRUE(testing::contains(result.error, "runOnDemandStartTimeout")) << result.error;
}

TEST_F(ConfigWarnings, GlobalAndPathKeysOfTheSameNameAreWarnedSeparately) {
  // 'record' is a deprecated global key and a path key.
  ConfigResult result = load("record: yes\npathDefaults:\n  record: yes\n");
  ASSERT_TRUE(result.config) << result.error;
  ASSERT_EQ(result.warnings.size(), 2u);
  EXPECT_EQ(result.warnings[0],
            "sluice.yml:1: configuration key 'record' (deprecated, replaced by 'pathDefaults.record') is not "
            "supported by Sluice yet and is ignored");
}

TEST_F(ConfigWarnings, DeprecatedAliasesMapToTheirReplacement) {
  ConfigResult result = load(R"(
readBufferCount: 2048
webrtcDisable: no
webrtcICEUDPMuxAddress: :9000
webrtcICETCPMuxAddress: :9001
webrtcICEHostNAT1To1IPs: [198.51.100.4]
webrtcAllowOrigin: https://viewer.example
webrtcICEServers: ['stun:stun.example:3478', 'turn:user:pass:turn.example:3478']
protocols: [tcp]
rtspUDPReadBufferSize: 1000000
pathDefaults:
  sourceProtocol: tcp
  sourceAnyPortEnable: yes
)");
  ASSERT_TRUE(result.config) << result.error;
  const Config& c = *result.config;
  EXPECT_EQ(c.writeQueueSize, 2048);
  EXPECT_TRUE(c.webrtc);
  EXPECT_EQ(c.webrtcLocalUDPAddress, ":9000");
  EXPECT_EQ(c.webrtcLocalTCPAddress, ":9001");
  EXPECT_EQ(c.webrtcAdditionalHosts, std::vector<std::string>{"198.51.100.4"});
  EXPECT_EQ(c.webrtcAllowOrigins, std::vector<std::string>{"https://viewer.example"});
  ASSERT_EQ(c.webrtcICEServers2.size(), 2u);
  EXPECT_EQ(c.webrtcICEServers2[0].url, "stun:stun.example:3478");
  EXPECT_EQ(c.webrtcICEServers2[1].url, "turn:turn.example:3478");
  EXPECT_EQ(c.webrtcICEServers2[1].username, "user");
  EXPECT_EQ(c.webrtcICEServers2[1].password, "pass");
  EXPECT_EQ(c.udpReadBufferSize, 1000000);
  EXPECT_EQ(c.pathDefaults.rtspTransport, RtspTransport::Tcp);
  EXPECT_TRUE(c.pathDefaults.rtspAnyPort);

  EXPECT_EQ(result.warnings.size(), 11u);
  EXPECT_EQ(result.warnings[0],
            "sluice.yml:2: configuration key 'readBufferCount' is deprecated and has been replaced by "
            "'writeQueueSize'; its value is used for 'writeQueueSize'");
  EXPECT_EQ(countContaining(
                result.warnings,
                "'webrtcICEUDPMuxAddress' is deprecated and has been replaced by 'webrtcLocalUDPAddress'"),
            1u);
  EXPECT_EQ(countContaining(
                result.warnings,
                "'webrtcICEHostNAT1To1IPs' is deprecated and has been replaced by 'webrtcAdditionalHosts'"),
            1u);
  EXPECT_EQ(countContaining(result.warnings,
                            "sluice.yml:9: configuration key 'protocols' is deprecated and has been "
                            "replaced by 'rtspTransports'"),
            1u);
  EXPECT_EQ(countContaining(result.warnings,
                            "sluice.yml:12: configuration key 'sourceProtocol' is deprecated and has been "
                            "replaced by 'rtspTransport'"),
            1u);
}

TEST_F(ConfigWarnings, RtspServerKeys) {
  const Config defaults = loadOk("logLevel: info\n");
  EXPECT_TRUE(defaults.rtsp);
  EXPECT_EQ(defaults.rtspAddress, ":8554");
  EXPECT_EQ(defaults.rtspTransports, (std::vector<std::string>{"udp", "multicast", "tcp"}));
  EXPECT_TRUE(defaults.pathDefaults.overridePublisher);
  const Config c = loadOk(
      "rtspDisable: yes\nrtspAddress: 127.0.0.1:9554\nrtspTransports: [tcp]\n"
      "paths:\n  pub:\n    disablePublisherOverride: yes\n");
  EXPECT_FALSE(c.rtsp);
  EXPECT_EQ(c.rtspAddress, "127.0.0.1:9554");
  EXPECT_EQ(c.rtspTransports, std::vector<std::string>{"tcp"});
  EXPECT_FALSE(c.paths.at(0).overridePublisher);
  ConfigResult bad = load("rtspTransports: [tcp, sctp]\n");
  ASSERT_FALSE(bad.config);
  EXPECT_EQ(bad.error, "sluice.yml:1: rtspTransports: invalid value 'sctp' (expected udp, multicast, tcp)");
  EXPECT_FALSE(load("rtspAddress: nope\n").config);
}

TEST_F(ConfigWarnings, RtspMulticastKeys) {
  const Config defaults = loadOk("logLevel: info\n");
  EXPECT_EQ(defaults.multicastIPRange, "224.1.0.0/16");
  EXPECT_EQ(defaults.multicastRTPPort, 8002);
  EXPECT_EQ(defaults.multicastRTCPPort, 8003);
  const Config c =
      loadOk("multicastIPRange: 239.5.0.0/24\nmulticastRTPPort: 9002\nmulticastRTCPPort: 9003\n");
  EXPECT_EQ(c.multicastIPRange, "239.5.0.0/24");
  EXPECT_EQ(c.multicastRTPPort, 9002);
  EXPECT_EQ(countContaining(load("multicastIPRange: 239.5.0.0/24\n").warnings, "multicastIPRange"), 0u);

  ConfigResult unicast = load("multicastIPRange: 10.0.0.0/8\n");
  ASSERT_FALSE(unicast.config);
  EXPECT_NE(
      unicast.error.find("multicastIPRange: '10.0.0.0/8' is not a multicast range (expected a range inside "
                         "224.0.0.0/4, /4 to /30)"),
      std::string::npos)
      << unicast.error;
  ConfigResult garbage = load("multicastIPRange: 224.1.0.0\n");
  ASSERT_FALSE(garbage.config);
  EXPECT_NE(garbage.error.find("invalid value '224.1.0.0' (expected an IPv4 range such as 224.1.0.0/16)"),
            std::string::npos)
      << garbage.error;
  ConfigResult port = load("multicastRTPPort: 70000\n");
  ASSERT_FALSE(port.config);
  EXPECT_NE(port.error.find("multicastRTPPort: must be between 1 and 65535, got 70000"), std::string::npos)
      << port.error;
  ConfigResult odd = load("multicastRTPPort: 9001\nmulticastRTCPPort: 9002\n");
  ASSERT_FALSE(odd.config);
  EXPECT_NE(odd.error.find("'multicastRTPPort' must be even, got 9001"), std::string::npos) << odd.error;
  ConfigResult apart = load("multicastRTPPort: 9000\nmulticastRTCPPort: 9005\n");
  ASSERT_FALSE(apart.config);
  EXPECT_NE(apart.error.find("'multicastRTCPPort' must be the one after 'multicastRTPPort' (9001), got 9005"),
            std::string::npos)
      << apart.error;
  // Without 'multicast' the ports are not used, so not checked against each other.
  EXPECT_TRUE(load("rtspTransports: [tcp]\nmulticastRTPPort: 9001\n").config);
}

TEST_F(ConfigWarnings, RtspUdpAddresses) {
  const Config defaults = loadOk("logLevel: info\n");
  EXPECT_EQ(defaults.rtpAddress, ":8000");
  EXPECT_EQ(defaults.rtcpAddress, ":8001");
  const Config c = loadOk("rtpAddress: 127.0.0.1:9000\nrtcpAddress: 127.0.0.1:9001\n");
  EXPECT_EQ(c.rtpAddress, "127.0.0.1:9000");
  EXPECT_EQ(c.rtcpAddress, "127.0.0.1:9001");
  // Set, they are used: no "ignored key" warning any more.
  EXPECT_EQ(countContaining(load("rtpAddress: :9000\nrtcpAddress: :9001\n").warnings, "rtpAddress"), 0u);

  ConfigResult odd = load("rtpAddress: :9001\nrtcpAddress: :9002\n");
  ASSERT_FALSE(odd.config);
  EXPECT_NE(odd.error.find("the port of 'rtpAddress' must be even, got 9001"), std::string::npos)
      << odd.error;
  ConfigResult apart = load("rtpAddress: :9000\nrtcpAddress: :9003\n");
  ASSERT_FALSE(apart.config);
  EXPECT_NE(apart.error.find("the port of 'rtcpAddress' must be the one after the port of 'rtpAddress' "
                             "(9001), got 9003"),
            std::string::npos)
      << apart.error;
  ConfigResult unset = load("rtcpAddress: ''\n");
  ASSERT_FALSE(unset.config);
  EXPECT_NE(unset.error.find("'rtpAddress' and 'rtcpAddress' must be set when 'udp' is in 'rtspTransports'"),
            std::string::npos)
      << unset.error;
  ConfigResult malformed = load("rtpAddress: 9000\n");
  ASSERT_FALSE(malformed.config);
  EXPECT_NE(malformed.error.find("rtpAddress: invalid address '9000': missing port"), std::string::npos)
      << malformed.error;
  // Without 'udp' the pair is not used, so not checked (as MediaMTX).
  EXPECT_TRUE(load("rtspTransports: [tcp]\nrtpAddress: :9001\nrtcpAddress: ''\n").config);
  EXPECT_TRUE(load("rtsp: no\nrtpAddress: :9001\n").config);
}

TEST_F(ConfigWarnings, WebrtcDisableIsTheInverseOfWebrtc) {
  EXPECT_FALSE(loadOk("webrtcDisable: yes\n").webrtc);
  EXPECT_TRUE(loadOk("webrtc: no\nwebrtcDisable: no\n").webrtc);
}

TEST_F(ConfigWarnings, DeprecatedKeyWinsOverItsReplacementAsInMediamtx) {
  EXPECT_EQ(loadOk("readBufferCount: 256\nwriteQueueSize: 1024\n").writeQueueSize, 256);
  Config c =
      loadOk("paths:\n  cam:\n    sourceProtocol: udp\n    source: rtsp://h/s\n    rtspTransport: tcp\n");
  EXPECT_EQ(testing::pathNamed(c, "cam")->rtspTransport, RtspTransport::Udp);
}

TEST_F(ConfigWarnings, DeprecatedAliasValuesAreValidated) {
  EXPECT_EQ(testing::loadError("readBufferCount: 1000\n"),
            "sluice.yml:1: readBufferCount: must be a power of two between 1 and 1048576, got 1000");
  EXPECT_EQ(testing::loadError("pathDefaults:\n  sourceProtocol: quic\n"),
            "sluice.yml:2: pathDefaults.sourceProtocol: invalid value 'quic' (expected automatic, udp, "
            "multicast, tcp)");
}

TEST_F(ConfigWarnings, SyslogDestinationIsAccepted) {
  ConfigResult result = load("logDestinations: [stdout, syslog]\n");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_TRUE(result.warnings.empty());
  EXPECT_EQ(result.config->logDestinations, (std::vector<std::string>{"stdout", "syslog"}));
}

}  // namespace
}  // namespace sluice::config
