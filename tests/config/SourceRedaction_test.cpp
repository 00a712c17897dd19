// Credentials inside source URLs: redacted in the API's JSON, kept when the redacted form comes
// back in a change, never stored as the placeholder.
#include <gtest/gtest.h>

#include "ConfigTestSupport.h"
#include "config/ConfigJson.h"

namespace sluice::config {
namespace {

using nlohmann::json;
using testing::contains;
using testing::loadOk;
using testing::pathNamed;

class SourceRedactionTest : public ::testing::Test {
 protected:
  testing::ScopedEnvironment environment_;
};

constexpr std::string_view kYaml = R"(
pathDefaults:
  source: rtsp://deflt:defpass@10.0.0.9/default
  sourceOnDemand: yes
authInternalUsers:
  - user: admin
    pass: adminpass
    permissions: [{action: api}]
  - user: viewer
    pass: viewpass
    permissions: [{action: read}]
paths:
  cam1:
    source: rtsp://admin:p@ss@10.0.0.5:554/live
  moved:
    source: redirect
    sourceOnDemand: no
    sourceRedirect: rtsps://op:redirpass@[fe80::1]:322/x
  open:
    source: rtsp://10.0.0.6/live
)";

Config changed(const ConfigChangeResult& result) {
  EXPECT_EQ(result.status, 200) << result.error;
  EXPECT_TRUE(result.config.has_value()) << result.error;
  return result.config.value_or(Config{});
}

TEST_F(SourceRedactionTest, ApiJsonHidesUrlPasswords) {
  Config config = loadOk(kYaml);
  EXPECT_EQ(pathToJson(*pathNamed(config, "cam1"))["source"], "rtsp://admin:***@10.0.0.5:554/live");
  EXPECT_EQ(pathToJson(*pathNamed(config, "moved"))["sourceRedirect"], "rtsps://op:***@[fe80::1]:322/x");
  EXPECT_EQ(pathToJson(*pathNamed(config, "open"))["source"], "rtsp://10.0.0.6/live");
  EXPECT_EQ(pathDefaultsToJson(config)["source"], "rtsp://deflt:***@10.0.0.9/default");
  const std::string everything = globalToJson(config).dump() + pathDefaultsToJson(config).dump() +
                                 pathToJson(*pathNamed(config, "cam1")).dump() +
                                 pathToJson(*pathNamed(config, "moved")).dump();
  for (const char* secret : {"p@ss", "redirpass", "defpass", "adminpass", "viewpass"}) {
    EXPECT_FALSE(contains(everything, secret)) << secret;
  }
  // The internal document keeps them (API changes are applied to it).
  EXPECT_EQ(pathToJson(*pathNamed(config, "cam1"), Secrets::Show)["source"],
            "rtsp://admin:p@ss@10.0.0.5:554/live");
}

TEST_F(SourceRedactionTest, SendingBackWhatWasShownKeepsTheCredentials) {
  Config current = loadOk(kYaml);
  // A client reads the path, changes one key, and sends the whole item back.
  json item = pathToJson(*pathNamed(current, "cam1"));
  item["maxReaders"] = 4;
  Config next = changed(patchPath(current, "cam1", item));
  EXPECT_EQ(pathNamed(next, "cam1")->source, "rtsp://admin:p@ss@10.0.0.5:554/live");
  EXPECT_EQ(pathNamed(next, "cam1")->maxReaders, 4);

  next = changed(replacePath(current, "cam1", pathToJson(*pathNamed(current, "cam1"))));
  EXPECT_EQ(pathNamed(next, "cam1")->source, "rtsp://admin:p@ss@10.0.0.5:554/live");

  json moved = pathToJson(*pathNamed(current, "moved"));
  next = changed(patchPath(current, "moved", moved));
  EXPECT_EQ(pathNamed(next, "moved")->sourceRedirect, "rtsps://op:redirpass@[fe80::1]:322/x");

  next = changed(patchPathDefaults(current, pathDefaultsToJson(current)));
  EXPECT_EQ(next.pathDefaults.source, "rtsp://deflt:defpass@10.0.0.9/default");
}

TEST_F(SourceRedactionTest, ARealNewPasswordReplacesTheStoredOne) {
  Config current = loadOk(kYaml);
  Config next = changed(patchPath(current, "cam1", {{"source", "rtsp://admin:newpass@10.0.0.5:554/live"}}));
  EXPECT_EQ(pathNamed(next, "cam1")->source, "rtsp://admin:newpass@10.0.0.5:554/live");
}

TEST_F(SourceRedactionTest, APlaceholderThatRestoresNothingIsRejected) {
  Config current = loadOk(kYaml);
  // Another host with the placeholder: the stored password belongs to another URL.
  ConfigChangeResult result = patchPath(current, "cam1", {{"source", "rtsp://admin:***@10.0.0.7/live"}});
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(result.error, "'source' has the redacted password '***': send the real password");
  // A new path copied from another one's redacted view.
  json copy = pathToJson(*pathNamed(current, "cam1"));
  result = addPath(current, "cam2", copy);
  EXPECT_EQ(result.status, 400);
  EXPECT_TRUE(contains(result.error, "redacted password")) << result.error;
  result = replacePath(current, "cam3", copy);
  EXPECT_EQ(result.status, 400);
}

TEST_F(SourceRedactionTest, InternalUserPasswordsSurviveAGlobalRoundTrip) {
  Config current = loadOk(kYaml);
  json global = globalToJson(current);
  ASSERT_EQ(global["authInternalUsers"][0]["pass"], "<redacted>");
  // Reordered on the way back: matched by user name.
  std::swap(global["authInternalUsers"][0], global["authInternalUsers"][1]);
  Config next = changed(patchGlobal(current, {{"authInternalUsers", global["authInternalUsers"]}}));
  ASSERT_EQ(next.authInternalUsers.size(), 2u);
  EXPECT_EQ(next.authInternalUsers[0].user, "viewer");
  EXPECT_EQ(next.authInternalUsers[0].pass, "viewpass");
  EXPECT_EQ(next.authInternalUsers[1].pass, "adminpass");

  json unknownUser = global["authInternalUsers"];
  unknownUser[0]["user"] = "newcomer";
  ConfigChangeResult result = patchGlobal(current, {{"authInternalUsers", unknownUser}});
  EXPECT_EQ(result.status, 400);
  EXPECT_TRUE(contains(result.error, "authInternalUsers[0]: 'pass' is the redacted placeholder"))
      << result.error;
}

TEST_F(SourceRedactionTest, ConfigErrorsDoNotShowThePassword) {
  std::string error = testing::loadError("paths:\n  cam:\n    source: rtspx://u:hunter2@host/x\n");
  EXPECT_TRUE(contains(error, "invalid source 'rtspx://u:***@host/x'")) << error;
  EXPECT_FALSE(contains(error, "hunter2"));
}

}  // namespace
}  // namespace sluice::config
