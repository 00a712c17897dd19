// pathDefaults inheritance, null paths, sources.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::load;
using testing::loadOk;
using testing::pathNamed;

class PathConfigTest : public ::testing::Test {
  testing::ScopedEnvironment environment_;
};

TEST_F(PathConfigTest, PathsInheritPathDefaultsAndOverrideThem) {
  Config c = loadOk(R"(
pathDefaults:
  rtspTransport: tcp
  sourceOnDemandStartTimeout: 20s
  maxReaders: 50
paths:
  cam1:
    source: rtsp://10.0.0.1/stream
  cam2:
    source: rtsp://10.0.0.2/stream
    rtspTransport: udp
    maxReaders: 0
    sourceOnDemand: yes
    sourceOnDemandCloseAfter: 1m
)");
  EXPECT_EQ(c.pathDefaults.rtspTransport, RtspTransport::Tcp);
  EXPECT_EQ(c.pathDefaults.yamlLine, 2);
  ASSERT_EQ(c.paths.size(), 2u);
  const PathConfig& cam1 = c.paths[0];
  EXPECT_EQ(cam1.name, "cam1");
  EXPECT_EQ(cam1.yamlLine, 7);
  EXPECT_EQ(cam1.source, "rtsp://10.0.0.1/stream");
  EXPECT_EQ(cam1.rtspTransport, RtspTransport::Tcp);
  EXPECT_EQ(cam1.sourceOnDemandStartTimeout, 20s);
  EXPECT_EQ(cam1.maxReaders, 50);
  EXPECT_FALSE(cam1.regex);
  EXPECT_TRUE(cam1.sourceSupported);
  const PathConfig& cam2 = c.paths[1];
  EXPECT_EQ(cam2.rtspTransport, RtspTransport::Udp);
  EXPECT_EQ(cam2.maxReaders, 0);
  EXPECT_TRUE(cam2.sourceOnDemand);
  EXPECT_EQ(cam2.sourceOnDemandStartTimeout, 20s);
  EXPECT_EQ(cam2.sourceOnDemandCloseAfter, 60s);
}

TEST_F(PathConfigTest, PathDefaultsAreAppliedWhereverTheyAppearInTheFile) {
  Config c = loadOk("paths:\n  cam:\npathDefaults:\n  maxReaders: 3\n");
  EXPECT_EQ(pathNamed(c, "cam")->maxReaders, 3);
}

TEST_F(PathConfigTest, NullPathMeansAllDefaults) {
  Config c = loadOk("pathDefaults:\n  maxReaders: 7\npaths:\n  cam:\n  other: {}\n  third: ~\n");
  ASSERT_EQ(c.paths.size(), 3u);
  for (const PathConfig& path : c.paths) {
    EXPECT_EQ(path.source, "publisher");
    EXPECT_EQ(path.maxReaders, 7);
  }
  EXPECT_EQ(c.paths[0].name, "cam");
  EXPECT_EQ(c.paths[1].name, "other");
  EXPECT_EQ(c.paths[2].name, "third");

  Config flow = loadOk("paths: {cam:}\n");
  ASSERT_EQ(flow.paths.size(), 1u);
  EXPECT_EQ(flow.paths[0].name, "cam");
  EXPECT_EQ(flow.paths[0].source, "publisher");
}

TEST_F(PathConfigTest, PathsKeepFileOrder) {
  Config c = loadOk("paths:\n  zeta:\n  alpha:\n  mid/sub:\n  ~^cam:\n  all_others:\n");
  std::vector<std::string> names;
  for (const PathConfig& path : c.paths) names.push_back(path.name);
  EXPECT_EQ(names, (std::vector<std::string>{"zeta", "alpha", "mid/sub", "~^cam", "all_others"}));
  EXPECT_TRUE(c.paths[3].regex);
  EXPECT_TRUE(c.paths[4].regex);
  EXPECT_FALSE(c.paths[2].regex);
}

TEST_F(PathConfigTest, AcceptedSources) {
  Config c = loadOk(R"(
paths:
  pub: {source: publisher}
  cam: {source: 'rtsp://admin:p%40ss@10.0.0.1:554/Streaming/Channels/101'}
  secure: {source: 'rtsps://10.0.0.2:322/live'}
  pinned: {source: 'rtsps://10.0.0.3:322/live', sourceFingerprint: 'FD:59:dc:C5:86:8D:C5:F7:9C:EB:35:3D:D6:E9:67:C7:6F:A2:4F:44:08:9F:E0:23:64:4D:FF:40:5D:37:0A:CA'}
  demo: {source: demo, fallback: /cam}
  moved: {source: redirect, sourceRedirect: /cam}
  away: {source: redirect, sourceRedirect: 'rtsp://other.example:8554/cam'}
  ~^cam(\d+)$: {source: 'rtsp://10.0.1.$G1/stream', sourceOnDemand: yes}
  all_others: {source: publisher}
)");
  EXPECT_EQ(c.paths.size(), 9u);
  for (const PathConfig& path : c.paths) EXPECT_TRUE(path.sourceSupported) << path.name;
  EXPECT_EQ(pathNamed(c, "pinned")->sourceFingerprint.size(), 95u) << "kept as written";
  EXPECT_EQ(pathNamed(c, "moved")->sourceRedirect, "/cam");
  EXPECT_EQ(pathNamed(c, "demo")->fallback, "/cam");
}

TEST_F(PathConfigTest, UnsupportedSourceSchemeKeepsThePathWithAWarning) {
  ConfigResult result = load(R"(
paths:
  fromRtmp: {source: 'rtmp://user:secret@10.0.0.5/live/cam'}
  fromSrt: {source: 'srt://10.0.0.6:9000?streamid=read:cam'}
  fromHls: {source: 'https://example.com/live/index.m3u8'}
  fromWhep: {source: 'whep://example.com/cam/whep'}
  fromUdp: {source: 'udp+mpegts://238.0.0.1:1234'}
  fromTunnel: {source: 'rtsp+http://10.0.0.7/cam'}
  pi: {source: rpiCamera}
)");
  ASSERT_TRUE(result.config) << result.error;
  ASSERT_EQ(result.config->paths.size(), 7u);
  for (const PathConfig& path : result.config->paths) EXPECT_FALSE(path.sourceSupported) << path.name;
  ASSERT_EQ(result.warnings.size(), 7u);
  EXPECT_EQ(result.warnings[0],
            "sluice.yml:3: paths.fromRtmp: source scheme 'rtmp://' is not supported by Sluice yet; the path "
            "is kept but will not receive a stream");
  EXPECT_EQ(result.warnings[0].find("secret"), std::string::npos) << "credentials must not be logged";
}

TEST_F(PathConfigTest, RegexAndAllPathsGetACompiledPattern) {
  Config c = loadOk("paths:\n  ~^cam(\\d+)$:\n  all:\n");
  for (const PathConfig& path : c.paths) {
    EXPECT_TRUE(path.regex);
    EXPECT_NE(path.pattern, nullptr);
  }
}

}  // namespace
}  // namespace sluice::config
