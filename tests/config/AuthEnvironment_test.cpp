// MTX_AUTHINTERNALUSERS_<i>_<FIELD> and MTX_AUTHHTTPEXCLUDE_<i>_<FIELD>: MediaMTX's indexed
// environment grammar for lists of structures, nested for a user's permissions.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using testing::contains;
using testing::load;
using testing::loadError;
using testing::loadOk;

class AuthEnvironment : public ::testing::Test {
 protected:
  testing::ScopedEnvironment environment_;
};

TEST_F(AuthEnvironment, UpdatesTheDefaultItemsInPlace) {
  environment_.set("MTX_AUTHINTERNALUSERS_0_USER", "admin");
  environment_.set("MTX_AUTHINTERNALUSERS_0_PASS", "secret");
  environment_.set("MTX_AUTHINTERNALUSERS_1_IPS", "10.0.0.0/8,::1");
  Config c = loadOk("");
  ASSERT_EQ(c.authInternalUsers.size(), 2u);
  EXPECT_EQ(c.authInternalUsers[0],
            (AuthInternalUser{"admin", "secret", {}, {{"publish", ""}, {"read", ""}, {"playback", ""}}}));
  EXPECT_EQ(c.authInternalUsers[1].ips, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(c.authInternalUsers[1].permissions.size(), 3u);
}

TEST_F(AuthEnvironment, AppendsUsersAndPermissions) {
  environment_.set("MTX_AUTHINTERNALUSERS_1_PERMISSIONS_0_PATH", "cam1");
  environment_.set("MTX_AUTHINTERNALUSERS_1_PERMISSIONS_1_ACTION", "read");
  environment_.set("MTX_AUTHINTERNALUSERS_1_PERMISSIONS_1_PATH", "~^cam");
  environment_.set("MTX_AUTHINTERNALUSERS_2_USER", "viewer");
  environment_.set("MTX_AUTHINTERNALUSERS_2_PERMISSIONS_0_ACTION", "read");
  Config c = loadOk("authInternalUsers:\n  - user: a\n  - user: b\n    permissions: [{action: publish}]\n");
  ASSERT_EQ(c.authInternalUsers.size(), 3u);
  EXPECT_EQ(c.authInternalUsers[0], (AuthInternalUser{"a", "", {}, {}}));
  EXPECT_EQ(c.authInternalUsers[1].permissions,
            (std::vector<AuthPermission>{{"publish", "cam1"}, {"read", "~^cam"}}));
  EXPECT_EQ(c.authInternalUsers[2], (AuthInternalUser{"viewer", "", {}, {{"read", ""}}}));
}

TEST_F(AuthEnvironment, EmptyVariableClearsTheList) {
  environment_.set("MTX_AUTHINTERNALUSERS", "");
  environment_.set("MTX_AUTHINTERNALUSERS_0_USER", "only");
  environment_.set("MTX_AUTHINTERNALUSERS_0_PERMISSIONS_0_ACTION", "api");
  Config c = loadOk("");
  EXPECT_EQ(c.authInternalUsers, (std::vector<AuthInternalUser>{{"only", "", {}, {{"api", ""}}}}));
}

TEST_F(AuthEnvironment, EmptyNestedVariableClearsThePermissions) {
  environment_.set("MTX_AUTHINTERNALUSERS_0_PERMISSIONS", "");
  Config c = loadOk("");
  EXPECT_TRUE(c.authInternalUsers[0].permissions.empty());
  EXPECT_EQ(c.authInternalUsers[1].permissions.size(), 3u);
}

TEST_F(AuthEnvironment, WholeListTextIsRejected) {
  environment_.set("MTX_AUTHINTERNALUSERS", "admin");
  EXPECT_EQ(loadError(""),
            "environment variable MTX_AUTHINTERNALUSERS: must be empty (to clear the list) or given as "
            "_<index>_<FIELD> variables");
}

TEST_F(AuthEnvironment, WholeNestedListTextIsRejected) {
  environment_.set("MTX_AUTHINTERNALUSERS_0_PERMISSIONS", "read");
  EXPECT_EQ(loadError(""),
            "environment variable MTX_AUTHINTERNALUSERS_0_PERMISSIONS: must be empty (to clear the list) or "
            "given as _<index>_<FIELD> variables");
}

TEST_F(AuthEnvironment, ValuesAreCheckedLikeTheFile) {
  environment_.set("MTX_AUTHINTERNALUSERS_0_PASS", "secret");  // user 'any' cannot have one
  EXPECT_TRUE(contains(loadError(""), "using a password with user 'any' is not supported"));
}

TEST_F(AuthEnvironment, UnknownFieldsAreWarned) {
  environment_.set("MTX_AUTHINTERNALUSERS_0_PASSWORD", "x");
  environment_.set("MTX_AUTHINTERNALUSERS_0_PERMISSIONS_0_ACTON", "read");
  ConfigResult result = load("");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.warnings,
            (std::vector<std::string>{
                "environment variable MTX_AUTHINTERNALUSERS_0_PASSWORD does not name a user field and is "
                "ignored (expected USER, PASS, IPS, PERMISSIONS_<index>_<FIELD>)",
                "environment variable MTX_AUTHINTERNALUSERS_0_PERMISSIONS_0_ACTON does not name a permission "
                "field and is ignored (expected ACTION, PATH)",
            }));
}

TEST_F(AuthEnvironment, IndexesMustBeContiguous) {
  environment_.set("MTX_AUTHINTERNALUSERS_3_USER", "late");
  EXPECT_EQ(loadOk("").authInternalUsers.size(), 2u);
}

TEST_F(AuthEnvironment, LegacyPrefixThenMtx) {
  environment_.set("RTSP_AUTHINTERNALUSERS_0_USER", "legacy");
  environment_.set("RTSP_AUTHINTERNALUSERS_0_PASS", "one");
  environment_.set("MTX_AUTHINTERNALUSERS_0_PASS", "two");
  Config c = loadOk("");
  EXPECT_EQ(c.authInternalUsers[0].user, "legacy");
  EXPECT_EQ(c.authInternalUsers[0].pass, "two");
}

TEST_F(AuthEnvironment, HttpExcludeAndMethod) {
  environment_.set("MTX_AUTHHTTPEXCLUDE_0_PATH", "x");
  environment_.set("MTX_AUTHHTTPEXCLUDE_3_ACTION", "read");  // the next index: appended
  environment_.set("MTX_AUTHHTTPEXCLUDE_5_ACTION", "api");   // not contiguous: ignored
  environment_.set("MTX_AUTHMETHOD", "internal");
  Config c = loadOk("");
  EXPECT_EQ(c.authHTTPExclude,
            (std::vector<AuthPermission>{{"api", "x"}, {"metrics", ""}, {"pprof", ""}, {"read", ""}}));
  environment_.set("MTX_AUTHMETHOD", "jwt");
  EXPECT_EQ(loadError(""),
            "environment variable MTX_AUTHMETHOD: authMethod 'jwt' is not supported by Sluice yet (only "
            "'internal' and 'http' are)");
}

}  // namespace
}  // namespace sluice::config
