// A real-looking 64-camera mediamtx.yml loads unchanged, with warnings only.
#include <set>

#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

const std::string kFile = std::string(SLUICE_SOURCE_DIR) + "/tests/config/data/mediamtx-64cams.yml";

class MediamtxFile : public ::testing::Test {
  testing::ScopedEnvironment environment_;
};

TEST_F(MediamtxFile, LoadsWithOnlyWarnings) {
  ConfigResult result = loadConfigFile(kFile);
  ASSERT_TRUE(result.config) << result.error;
  const Config& c = *result.config;
  EXPECT_EQ(c.sourceFile, kFile);
  EXPECT_EQ(c.webrtcAddress, ":8889");
  EXPECT_EQ(c.webrtcAdditionalHosts, std::vector<std::string>{"192.168.10.20"});
  EXPECT_EQ(c.writeQueueSize, 512);
  EXPECT_TRUE(c.api);
  EXPECT_TRUE(c.metrics);
  EXPECT_FALSE(c.pprof);
  EXPECT_EQ(c.apiAddress, ":9997");
  EXPECT_EQ(c.authMethod, "internal");
  EXPECT_EQ(c.authInternalUsers, defaultAuthInternalUsers());
  EXPECT_EQ(c.authHTTPExclude, defaultAuthHttpExclude());

  ASSERT_EQ(c.paths.size(), 65u);
  for (int i = 1; i <= 64; ++i) {
    const PathConfig& cam = c.paths[i - 1];
    EXPECT_EQ(cam.name, fmt::format("cam{:02d}", i));
    EXPECT_EQ(cam.source, "rtsp://admin:pass@127.0.0.1:554/Streaming/Channels/101");
    EXPECT_EQ(cam.rtspTransport, RtspTransport::Tcp);
    EXPECT_TRUE(cam.sourceSupported);
    EXPECT_FALSE(cam.regex);
    EXPECT_EQ(cam.sourceOnDemandStartTimeout, 10s);
  }
  EXPECT_EQ(c.paths.back().name, "all_others");
  EXPECT_TRUE(c.paths.back().regex);
  EXPECT_EQ(findPath(c, "cam17"), &c.paths[16]);
  EXPECT_EQ(findPath(c, "published/by/client"), &c.paths.back());
}

TEST_F(MediamtxFile, WarnsOnceAboutEachIgnoredKey) {
  ConfigResult result = loadConfigFile(kFile);
  ASSERT_TRUE(result.config) << result.error;
  // Much of MediaMTX's sample file is not served yet (RTMP, HLS, SRT, ...).
  EXPECT_GT(result.warnings.size(), 60u);
  std::set<std::string> keys;
  size_t renamed = 0;
  for (const std::string& warning : result.warnings) {
    if (testing::contains(warning, "is deprecated and has been replaced by")) {
      ++renamed;  // runOnReady, runOnReadyRestart, runOnNotReady: read under their new names
      continue;
    }
    EXPECT_TRUE(testing::contains(warning, "is not supported by Sluice yet and is ignored")) << warning;
    size_t open = warning.find("configuration key '");
    ASSERT_NE(open, std::string::npos) << warning;
    open += std::string_view("configuration key '").size();
    std::string key = warning.substr(open, warning.find('\'', open) - open);
    EXPECT_TRUE(keys.insert(key).second) << "warned twice: " << key;
  }
  for (const char* key :
       {"hlsAddress", "rtmp", "srt", "playbackServerKey", "srtpAddress", "srtcpAddress", "authJWTJWKS",
        "record", "runOnRecordSegmentCreate", "rpiCameraCamID", "webrtcTrackGatherTimeout"}) {
    EXPECT_EQ(keys.count(key), 1u) << key;
  }
  EXPECT_EQ(testing::countContaining(result.warnings, "'hlsAddress'"), 1u);
  EXPECT_EQ(renamed, 3u);
}

}  // namespace
}  // namespace sluice::config
