// MTX_* and legacy RTSP_* environment overrides.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::countContaining;
using testing::load;
using testing::loadOk;
using testing::pathNamed;

class EnvironmentOverrides : public ::testing::Test {
 protected:
  testing::ScopedEnvironment environment_;
};

TEST_F(EnvironmentOverrides, ScalarsOverrideTheFile) {
  environment_.set("MTX_READTIMEOUT", "5s");
  environment_.set("MTX_WRITEQUEUESIZE", "2048");
  environment_.set("MTX_LOGLEVEL", "debug");
  environment_.set("MTX_WEBRTC", "YES");
  environment_.set("MTX_WEBRTCADDRESS", ":7000");
  environment_.set("MTX_STREAMHISTORYPACKETS", "1024");
  Config c = loadOk("readTimeout: 30s\nwebrtcAddress: :9000\nwebrtc: no\n");
  EXPECT_EQ(c.readTimeout, 5s);
  EXPECT_EQ(c.writeQueueSize, 2048);
  EXPECT_EQ(c.logLevel, log::Level::Debug);
  EXPECT_TRUE(c.webrtc);
  EXPECT_EQ(c.webrtcAddress, ":7000");
  EXPECT_EQ(c.streamHistoryPackets, 1024);
}

TEST_F(EnvironmentOverrides, ListsAreCommaSeparatedAndEmptyMeansEmpty) {
  environment_.set("MTX_WEBRTCADDITIONALHOSTS", "1.2.3.4,cam.example");
  environment_.set("MTX_WEBRTCALLOWORIGINS", "");
  Config c = loadOk("");
  EXPECT_EQ(c.webrtcAdditionalHosts, (std::vector<std::string>{"1.2.3.4", "cam.example"}));
  EXPECT_TRUE(c.webrtcAllowOrigins.empty());
}

TEST_F(EnvironmentOverrides, PathVariablesCreateAndUpdatePaths) {
  environment_.set("MTX_PATHS_CAM1_SOURCE", "rtsp://admin:pass@10.0.0.1/stream");
  environment_.set("MTX_PATHS_CAM1_RTSPTRANSPORT", "tcp");
  environment_.set("MTX_PATHS_EXISTING_MAXREADERS", "4");
  environment_.set("MTX_PATHS_lower_SOURCE", "demo");  // MediaMTX only takes upper-case names
  Config c = loadOk("paths:\n  existing:\n    maxReaders: 1\n");
  ASSERT_EQ(c.paths.size(), 2u);
  EXPECT_EQ(c.paths[0].name, "existing");
  EXPECT_EQ(c.paths[0].maxReaders, 4);
  EXPECT_EQ(c.paths[0].yamlLine, 2);
  const PathConfig* cam1 = pathNamed(c, "cam1");
  ASSERT_NE(cam1, nullptr);
  EXPECT_EQ(cam1->source, "rtsp://admin:pass@10.0.0.1/stream");
  EXPECT_EQ(cam1->rtspTransport, RtspTransport::Tcp);
  EXPECT_EQ(cam1->yamlLine, 0);
}

TEST_F(EnvironmentOverrides, PathDefaultsVariablesApplyToEveryPath) {
  environment_.set("MTX_PATHDEFAULTS_RTSPTRANSPORT", "tcp");
  environment_.set("MTX_PATHDEFAULTS_SOURCEONDEMANDCLOSEAFTER", "1m");
  Config c =
      loadOk("paths:\n  cam1: {source: 'rtsp://h/s'}\n  cam2: {source: 'rtsp://h/t', rtspTransport: udp}\n");
  EXPECT_EQ(c.pathDefaults.rtspTransport, RtspTransport::Tcp);
  EXPECT_EQ(pathNamed(c, "cam1")->rtspTransport, RtspTransport::Tcp);
  EXPECT_EQ(pathNamed(c, "cam1")->sourceOnDemandCloseAfter, 60s);
  EXPECT_EQ(pathNamed(c, "cam2")->rtspTransport, RtspTransport::Udp);
}

TEST_F(EnvironmentOverrides, LegacyPrefixIsReadFirstSoMtxWins) {
  environment_.set("RTSP_WRITETIMEOUT", "3s");
  environment_.set("RTSP_READTIMEOUT", "3s");
  environment_.set("MTX_READTIMEOUT", "4s");
  Config c = loadOk("");
  EXPECT_EQ(c.writeTimeout, 3s);
  EXPECT_EQ(c.readTimeout, 4s);
}

TEST_F(EnvironmentOverrides, BadValueErrorNamesTheVariable) {
  environment_.set("MTX_READTIMEOUT", "soon");
  EXPECT_EQ(testing::loadError(""),
            "environment variable MTX_READTIMEOUT: invalid duration 'soon' (expected a duration such as 10s, "
            "200ms, 1m30s, 1h, 1d12h)");
}

TEST_F(EnvironmentOverrides, BadPathValueErrorNamesTheVariable) {
  environment_.set("MTX_PATHS_CAM1_RTSPTRANSPORT", "quic");
  EXPECT_EQ(testing::loadError(""),
            "environment variable MTX_PATHS_CAM1_RTSPTRANSPORT: invalid value 'quic' (expected automatic, "
            "udp, multicast, tcp)");
}

TEST_F(EnvironmentOverrides, BadBooleanAndPowerOfTwo) {
  environment_.set("MTX_LOGSTRUCTURED", "maybe");
  EXPECT_EQ(testing::loadError(""),
            "environment variable MTX_LOGSTRUCTURED: invalid boolean 'maybe' (expected yes, no, true, false, "
            "on, off)");
}

TEST_F(EnvironmentOverrides, IceServersByIndex) {
  environment_.set("MTX_WEBRTCICESERVERS2_0_USERNAME", "alice");
  environment_.set("MTX_WEBRTCICESERVERS2_1_URL", "turn:turn.example:3478");
  environment_.set("MTX_WEBRTCICESERVERS2_1_CLIENTONLY", "yes");
  Config c = loadOk("webrtcICEServers2:\n  - url: stun:stun.example:3478\n");
  ASSERT_EQ(c.webrtcICEServers2.size(), 2u);
  EXPECT_EQ(c.webrtcICEServers2[0].url, "stun:stun.example:3478");
  EXPECT_EQ(c.webrtcICEServers2[0].username, "alice");
  EXPECT_EQ(c.webrtcICEServers2[1].url, "turn:turn.example:3478");
  EXPECT_TRUE(c.webrtcICEServers2[1].clientOnly);
}

TEST_F(EnvironmentOverrides, EmptyIceServersVariableClearsTheList) {
  environment_.set("MTX_WEBRTCICESERVERS2", "");
  Config c = loadOk("webrtcICEServers2:\n  - url: stun:stun.example:3478\n");
  EXPECT_TRUE(c.webrtcICEServers2.empty());
}

TEST_F(EnvironmentOverrides, IceServersListTakesOnlyIndexedFields) {
  environment_.set("MTX_WEBRTCICESERVERS2", "stun:stun.example:3478");
  EXPECT_EQ(testing::loadError(""),
            "environment variable MTX_WEBRTCICESERVERS2: must be empty (to clear the list) or given as "
            "_<index>_<FIELD> variables");
}

TEST_F(EnvironmentOverrides, DeprecatedAndUnsupportedKeys) {
  environment_.set("MTX_READBUFFERCOUNT", "128");
  environment_.set("MTX_HLSADDRESS", ":9888");
  environment_.set("MTX_AUTHJWTEXCLUDE_0_ACTION", "api");
  ConfigResult result = load("hlsAddress: :8888\n");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->writeQueueSize, 128);
  EXPECT_EQ(countContaining(result.warnings, "'hlsAddress'"), 1u);
  EXPECT_EQ(countContaining(result.warnings, "'authJWTExclude'"), 1u);
  EXPECT_EQ(
      countContaining(
          result.warnings,
          "environment variable MTX_READBUFFERCOUNT: configuration key 'readBufferCount' is deprecated"),
      1u);
}

TEST_F(EnvironmentOverrides, MisspeltPathVariableIsWarned) {
  environment_.set("MTX_PATHS_CAM1_SORCE", "demo");
  ConfigResult result = load("");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.warnings,
            std::vector<std::string>{"environment variable MTX_PATHS_CAM1_SORCE does not name a path "
                                     "setting and is ignored (did you mean 'source'?)"});
  EXPECT_NE(pathNamed(*result.config, "cam1"), nullptr);  // as in MediaMTX, the path exists anyway
}

TEST_F(EnvironmentOverrides, UnrelatedVariablesAreIgnored) {
  environment_.set("MTX_PATH", "cam1");  // set by MediaMTX for hooks
  environment_.set("MTX_QUERY", "a=b");
  environment_.set("RTSP_PORT", "8554");
  environment_.set("MTX_CONN_TYPE", "rtspConn");
  ConfigResult result = load("");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_TRUE(result.warnings.empty());
}

TEST_F(EnvironmentOverrides, FileErrorsAreReportedBeforeEnvironmentErrors) {
  environment_.set("MTX_READTIMEOUT", "soon");
  EXPECT_EQ(testing::loadError("webrtcAdress: x\n"),
            "sluice.yml:1: unknown key 'webrtcAdress' (did you mean 'webrtcAddress'?)");
}

}  // namespace
}  // namespace sluice::config
