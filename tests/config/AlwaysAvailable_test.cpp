// alwaysAvailable, alwaysAvailableTracks, alwaysAvailableFile (MediaMTX) and sourceOfflineGrace.
#include "ConfigTestSupport.h"
#include "config/ConfigJson.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using testing::contains;
using testing::load;
using testing::loadError;
using testing::loadOk;
using testing::pathNamed;

class AlwaysAvailableTest : public ::testing::Test {
  testing::ScopedEnvironment environment_;
};

std::string mp4(const char* name) { return std::string(SLUICE_SOURCE_DIR) + "/tests/media/data/" + name; }

TEST_F(AlwaysAvailableTest, KeysAreReadAndDefaulted) {
  Config c = loadOk(R"(
paths:
  cam:
    source: rtsp://10.0.0.1/s
    alwaysAvailable: yes
    alwaysAvailableTracks:
      - codec: H264
  other:
    source: rtsp://10.0.0.2/s
    sourceOfflineGrace: 3s
)");
  const PathConfig* cam = pathNamed(c, "cam");
  ASSERT_TRUE(cam);
  EXPECT_TRUE(cam->alwaysAvailable);
  ASSERT_EQ(cam->alwaysAvailableTracks.size(), 1u);
  EXPECT_EQ(cam->alwaysAvailableTracks[0].codec, "H264");
  EXPECT_EQ(cam->sourceOfflineGrace, 10s);
  EXPECT_EQ(pathNamed(c, "other")->sourceOfflineGrace, 3s);
  EXPECT_FALSE(pathNamed(c, "other")->alwaysAvailable);
}

TEST_F(AlwaysAvailableTest, TracksAreCheckedAsMediamtxDoes) {
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    alwaysAvailableTracks:
      - codec: H263
)"),
                       "unsupported codec 'H263'"));
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    alwaysAvailableTracks:
      - codec: MPEG4Audio
        sampleRate: 8000
        channelCount: 1
)"),
                       "sampleRate must be greater than or equal to 22050 for codec 'MPEG4Audio'"));
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    alwaysAvailableTracks:
      - codec: H264
        sampleRate: 48000
)"),
                       "sampleRate must not be specified for codec 'H264'"));
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    alwaysAvailableTracks:
      - codec: H264
        bitrate: 5
)"),
                       "unknown key"));
}

TEST_F(AlwaysAvailableTest, PathRulesOfMediamtx) {
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    alwaysAvailable: yes
)"),
                       "'alwaysAvailableTracks' must contain at least one track"));
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    source: rtsp://10.0.0.1/s
    sourceOnDemand: yes
    alwaysAvailable: yes
    alwaysAvailableTracks: [{codec: H264}]
)"),
                       "'sourceOnDemand' is not compatible with 'alwaysAvailable'"));
  EXPECT_TRUE(contains(loadError(R"(
paths:
  ~^cam:
    alwaysAvailable: yes
    alwaysAvailableTracks: [{codec: H264}]
)"),
                       "'alwaysAvailable' cannot be used in a path with a regular expression"));
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    alwaysAvailable: yes
    alwaysAvailableFile: /x.mp4
    alwaysAvailableTracks: [{codec: H264}]
)"),
                       "'alwaysAvailableFile' and 'alwaysAvailableTracks' cannot be used together"));
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    alwaysAvailable: yes
    alwaysAvailableFile: /nonexistent/offline.mp4
)"),
                       "invalid 'alwaysAvailableFile': cannot open"));
}

TEST_F(AlwaysAvailableTest, WhatSluiceCannotPlayIsRefusedOrWarned) {
  EXPECT_TRUE(contains(loadError(R"(
paths:
  cam:
    alwaysAvailable: yes
    alwaysAvailableTracks: [{codec: H265}]
)"),
                       "codec 'H265' is not supported by Sluice yet"));
  ConfigResult r = load(R"(
paths:
  cam:
    alwaysAvailable: yes
    alwaysAvailableTracks:
      - codec: H264
      - codec: Opus
)");
  ASSERT_TRUE(r.config) << r.error;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_TRUE(contains(r.warnings[0], "audio (Opus) is not served by Sluice yet"));
}

TEST_F(AlwaysAvailableTest, AnMp4FileWithAnH264TrackIsAccepted) {
  Config c = loadOk(
      "paths:\n  cam:\n    alwaysAvailable: yes\n    alwaysAvailableFile: " + mp4("small-h264.mp4") + "\n");
  EXPECT_EQ(pathNamed(c, "cam")->alwaysAvailableFile, mp4("small-h264.mp4"));
  ConfigResult r =
      load("paths:\n  cam:\n    alwaysAvailable: yes\n    alwaysAvailableFile: " + mp4("bframes-audio.mp4") +
           "\n");
  ASSERT_TRUE(r.config) << r.error;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_TRUE(contains(r.warnings[0], "plays the H264 track only"));
}

TEST_F(AlwaysAvailableTest, TheApiAddsAndShowsThem) {
  Config current = loadOk("paths:\n  other:\n    source: demo\n");
  ConfigChangeResult r = addPath(current, "cam", nlohmann::json::parse(R"({
      "source": "rtsp://10.0.0.1/s", "alwaysAvailable": true,
      "alwaysAvailableTracks": [{"codec": "H264"}], "sourceOfflineGrace": "4s"})"));
  ASSERT_TRUE(r.config) << r.error;
  const PathConfig* cam = pathNamed(*r.config, "cam");
  ASSERT_TRUE(cam);
  EXPECT_TRUE(cam->alwaysAvailable);
  EXPECT_EQ(cam->sourceOfflineGrace, 4s);
  nlohmann::json shown = pathToJson(*cam);
  EXPECT_EQ(shown["alwaysAvailableTracks"][0]["codec"], "H264");
  EXPECT_EQ(shown["sourceOfflineGrace"], "4s");
  // What the API shows is accepted back (round trip through a patch of another key).
  ConfigChangeResult again = patchPath(*r.config, "cam", nlohmann::json::parse(R"({"maxReaders": 3})"));
  ASSERT_TRUE(again.config) << again.error;
  EXPECT_EQ(pathNamed(*again.config, "cam")->alwaysAvailableTracks.size(), 1u);
  EXPECT_FALSE(addPath(current, "bad", nlohmann::json::parse(R"({"alwaysAvailable": true})")).config);
}

}  // namespace
}  // namespace sluice::config
