// The deprecated per-path credentials (publishUser ... readIPs) become authInternalUsers entries.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using testing::countContaining;
using testing::load;
using testing::loadError;
using testing::loadOk;

class LegacyCredentialsTest : public ::testing::Test {
 protected:
  testing::ScopedEnvironment environment_;
};

const std::vector<AuthInternalUser> kLegacyBase = {
    {"any", "", {}, {{"playback", ""}}},
    {"any", "", {"127.0.0.1", "::1"}, {{"api", ""}, {"metrics", ""}, {"pprof", ""}}},
};

std::vector<AuthInternalUser> withBase(std::vector<AuthInternalUser> entries) {
  std::vector<AuthInternalUser> users = kLegacyBase;
  users.insert(users.end(), entries.begin(), entries.end());
  return users;
}

TEST_F(LegacyCredentialsTest, BecomePublishAndReadEntriesPerPath) {
  ConfigResult result = load(R"(
paths:
  cam1:
    publishUser: pub
    publishPass: pubpass
    publishIPs: [10.0.0.0/8]
    readUser: viewer
    readPass: sha256:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=
  cam2:
  all_others:
)");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->authInternalUsers,
            withBase({
                {"pub", "pubpass", {"10.0.0.0/8"}, {{"publish", "cam1"}}},
                {"viewer", "sha256:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", {}, {{"read", "cam1"}}},
                {"any", "", {}, {{"publish", "cam2"}}},
                {"any", "", {}, {{"read", "cam2"}}},
                {"any", "", {}, {{"publish", "~^.*$"}}},
                {"any", "", {}, {{"read", "~^.*$"}}},
            }));
  for (const PathConfig& path : result.config->paths) EXPECT_FALSE(path.legacyCredentials.any()) << path.name;
  EXPECT_EQ(countContaining(result.warnings,
                            "'publishUser' is deprecated and has been replaced by "
                            "'authInternalUsers'"),
            1u);
  EXPECT_EQ(countContaining(result.warnings, "deprecated"), 5u);
}

TEST_F(LegacyCredentialsTest, PathDefaultsApplyToEveryPath) {
  Config c = loadOk("pathDefaults:\n  readUser: viewer\n  readPass: pw\npaths:\n  a:\n  '~^cam':\n");
  EXPECT_EQ(c.authInternalUsers, withBase({
                                     {"any", "", {}, {{"publish", "a"}}},
                                     {"viewer", "pw", {}, {{"read", "a"}}},
                                     {"any", "", {}, {{"publish", "~^cam"}}},
                                     {"viewer", "pw", {}, {{"read", "~^cam"}}},
                                 }));
  EXPECT_FALSE(c.pathDefaults.legacyCredentials.any());
}

TEST_F(LegacyCredentialsTest, AnyUserDropsItsPassword) {
  Config c = loadOk("paths:\n  a:\n    publishPass: pw\n");
  EXPECT_EQ(c.authInternalUsers[2], (AuthInternalUser{"any", "", {}, {{"publish", "a"}}}));
}

TEST_F(LegacyCredentialsTest, NullValuesAreNotLegacyCredentials) {
  Config c = loadOk("paths:\n  a:\n    publishUser:\n    readIPs:\n");
  EXPECT_EQ(c.authInternalUsers, defaultAuthInternalUsers());
}

TEST_F(LegacyCredentialsTest, CannotBeMixedWithCustomUsers) {
  EXPECT_EQ(
      loadError("authInternalUsers: [{user: admin, permissions: [{action: api}]}]\n"
                "paths:\n  a:\n    readUser: v\n"),
      "sluice.yml: authInternalUsers and legacy credentials (publishUser, publishPass, publishIPs, readUser, "
      "readPass, readIPs) cannot be used together");
}

TEST_F(LegacyCredentialsTest, MixWithTheDefaultUsersWrittenOutIsAccepted) {
  // MediaMTX's sample file spells the defaults out; they compare equal to the built-in ones.
  Config c = loadOk(R"(
authInternalUsers:
- user: any
  pass:
  ips: []
  permissions:
  - action: publish
    path:
  - action: read
  - action: playback
- user: any
  ips: ['127.0.0.1/32', '::1/128']
  permissions: [{action: api}, {action: metrics}, {action: pprof}]
paths:
  a: {readUser: v, readPass: p}
)");
  EXPECT_EQ(c.authInternalUsers.size(), 4u);
}

TEST_F(LegacyCredentialsTest, ValuesAreChecked) {
  EXPECT_EQ(loadError("paths:\n  a:\n    readIPs: [300.1.1.1]\n"),
            "sluice.yml:3: paths.a.readIPs: invalid IP address or CIDR range '300.1.1.1'");
  EXPECT_EQ(
      loadError("paths:\n  a:\n    publishPass: 'a b'\n"),
      "sluice.yml:3: paths.a.publishPass: credential contains unsupported characters (supported are A-Z, "
      "a-z, 0-9 and !$()*+.;<=>[]^_-{}@#&)");
}

TEST_F(LegacyCredentialsTest, FromTheEnvironment) {
  environment_.set("MTX_PATHS_CAM_READUSER", "viewer");
  environment_.set("MTX_PATHS_CAM_READPASS", "pw");
  environment_.set("MTX_PATHS_CAM_READIPS", "10.0.0.1,10.0.0.2");
  Config c = loadOk("");
  EXPECT_EQ(c.authInternalUsers, withBase({
                                     {"any", "", {}, {{"publish", "cam"}}},
                                     {"viewer", "pw", {"10.0.0.1", "10.0.0.2"}, {{"read", "cam"}}},
                                 }));
}

}  // namespace
}  // namespace sluice::config
