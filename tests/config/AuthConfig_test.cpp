// authMethod, authInternalUsers, authHTTPExclude: defaults, reading, MediaMTX's checks, and the
// deprecated per-path credentials turned into authInternalUsers.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using testing::contains;
using testing::countContaining;
using testing::load;
using testing::loadError;
using testing::loadOk;

class AuthConfig : public ::testing::Test {
  testing::ScopedEnvironment environment_;
};

// base64(sha256("secret"))
constexpr const char* kSecretSha256 = "sha256:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=";

TEST_F(AuthConfig, DefaultsAreMediamtxs) {
  ConfigResult result = load("");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_TRUE(result.warnings.empty());
  const Config& c = *result.config;
  EXPECT_EQ(c.authMethod, "internal");
  ASSERT_EQ(c.authInternalUsers.size(), 2u);
  const AuthInternalUser& everyone = c.authInternalUsers[0];
  EXPECT_EQ(everyone.user, "any");
  EXPECT_EQ(everyone.pass, "");
  EXPECT_TRUE(everyone.ips.empty());
  EXPECT_EQ(everyone.permissions,
            (std::vector<AuthPermission>{{"publish", ""}, {"read", ""}, {"playback", ""}}));
  const AuthInternalUser& local = c.authInternalUsers[1];
  EXPECT_EQ(local.user, "any");
  EXPECT_EQ(local.ips, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(local.permissions, (std::vector<AuthPermission>{{"api", ""}, {"metrics", ""}, {"pprof", ""}}));
  EXPECT_EQ(c.authHTTPExclude, (std::vector<AuthPermission>{{"api", ""}, {"metrics", ""}, {"pprof", ""}}));
}

TEST_F(AuthConfig, ReadsUsers) {
  Config c = loadOk(std::string(R"(
authInternalUsers:
  - user: admin
    pass: )") + kSecretSha256 +
                    R"(
    ips: [10.0.0.0/8, '2001:db8::/32', 192.168.1.7]
    permissions:
      - action: api
      - action: read
        path: ~^cam(\d+)$
      - {action: publish, path: cam1}
  - user: viewer
    pass: 'p@ss.word!'
    permissions: [{action: read}]
  - user: any
    pass:
    ips:
    permissions:
)");
  ASSERT_EQ(c.authInternalUsers.size(), 3u);
  const AuthInternalUser& admin = c.authInternalUsers[0];
  EXPECT_EQ(admin.user, "admin");
  EXPECT_EQ(admin.pass, kSecretSha256);
  EXPECT_EQ(admin.ips, (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32", "192.168.1.7"}));
  EXPECT_EQ(admin.permissions,
            (std::vector<AuthPermission>{{"api", ""}, {"read", "~^cam(\\d+)$"}, {"publish", "cam1"}}));
  EXPECT_EQ(c.authInternalUsers[1].pass, "p@ss.word!");
  EXPECT_EQ(c.authInternalUsers[1].permissions, (std::vector<AuthPermission>{{"read", ""}}));
  EXPECT_EQ(c.authInternalUsers[2], (AuthInternalUser{"any", "", {}, {}}));
}

TEST_F(AuthConfig, EmptyOrNullListLeavesNoUser) {
  EXPECT_TRUE(loadOk("authInternalUsers: []\n").authInternalUsers.empty());
  // MediaMTX decodes null into a nil slice, then makes it empty: it does not keep the default.
  EXPECT_TRUE(loadOk("authInternalUsers:\n").authInternalUsers.empty());
}

TEST_F(AuthConfig, UserChecks) {
  EXPECT_EQ(loadError("authInternalUsers:\n  - pass: x\n    permissions: [{action: read}]\n"),
            "sluice.yml:2: authInternalUsers[0]: empty usernames are not supported");
  EXPECT_EQ(loadError("authInternalUsers:\n  - user: ''\n"),
            "sluice.yml:2: authInternalUsers[0].user: empty usernames are not supported");
  EXPECT_EQ(loadError("authInternalUsers: [~]\n"),
            "sluice.yml:1: authInternalUsers[0]: empty usernames are not supported");
  EXPECT_EQ(loadError("authInternalUsers:\n  - user: any\n    pass: x\n"),
            "sluice.yml:3: authInternalUsers[0].pass: using a password with user 'any' is not supported "
            "('any' means anyone, without credentials)");
  EXPECT_EQ(loadError("authInternalUsers: [{user: admin, pass: 'has space'}]\n"),
            "sluice.yml:1: authInternalUsers[0].pass: credential contains unsupported characters (supported "
            "are A-Z, a-z, 0-9 and !$()*+.;<=>[]^_-{}@#&)");
  EXPECT_EQ(loadError("authInternalUsers: [{user: 'a:b'}]\n"),
            "sluice.yml:1: authInternalUsers[0].user: credential contains unsupported characters (supported "
            "are A-Z, a-z, 0-9 and !$()*+.;<=>[]^_-{}@#&)");
  EXPECT_EQ(loadError("authInternalUsers: [{user: admin, pass: 'sha256:c2hvcnQ='}]\n"),
            "sluice.yml:1: authInternalUsers[0].pass: a sha256 credential must be 'sha256:' followed by the "
            "base64 of a 32-byte SHA-256 digest");
  EXPECT_TRUE(contains(loadError("authInternalUsers: [{user: admin, pass: 'sha256:%%%'}]\n"), "sha256"));
  EXPECT_EQ(
      loadError("authInternalUsers: [{user: admin, pass: 'argon2:$argon2id$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg$"
                "ZGVhZGJlZWY'}]\n"),
      "sluice.yml:1: authInternalUsers[0].pass: argon2 hashes are not supported by Sluice yet; use "
      "'sha256:<base64 of the SHA-256 digest>' or a plain credential");
  EXPECT_EQ(loadError("authInternalUsers: [{user: u, ips: [10.0.0.0/33]}]\n"),
            "sluice.yml:1: authInternalUsers[0].ips: invalid IP address or CIDR range '10.0.0.0/33'");
  EXPECT_EQ(loadError("authInternalUsers: [{user: u, ips: [cam.example]}]\n"),
            "sluice.yml:1: authInternalUsers[0].ips: invalid IP address or CIDR range 'cam.example'");
  EXPECT_EQ(loadError("authInternalUsers: [{user: u, password: x}]\n"),
            "sluice.yml:1: unknown key 'authInternalUsers[0].password'");
  EXPECT_EQ(loadError("authInternalUsers: [{user: u, permision: []}]\n"),
            "sluice.yml:1: unknown key 'authInternalUsers[0].permision' (did you mean 'permissions'?)");
  EXPECT_EQ(loadError("authInternalUsers: {user: u}\n"),
            "sluice.yml:1: authInternalUsers: expected a list of {user, pass, ips, permissions}");
  EXPECT_EQ(loadError("authInternalUsers: [admin]\n"),
            "sluice.yml:1: authInternalUsers[0]: expected a mapping with user, pass, ips, permissions");
}

TEST_F(AuthConfig, PasswordsNeverAppearInMessages) {
  std::string error = loadError("authInternalUsers: [{user: admin, pass: 'Hunter2 secret'}]\n");
  EXPECT_FALSE(contains(error, "Hunter2")) << error;
}

TEST_F(AuthConfig, PermissionChecks) {
  EXPECT_EQ(loadError("authInternalUsers:\n  - user: u\n    permissions:\n      - action: watch\n"),
            "sluice.yml:4: authInternalUsers[0].permissions[0].action: invalid action 'watch' (expected "
            "publish, read, playback, api, metrics, pprof)");
  EXPECT_EQ(loadError("authInternalUsers:\n  - user: u\n    permissions:\n      - path: cam1\n"),
            "sluice.yml:4: authInternalUsers[0].permissions[0]: invalid action '' (expected publish, read, "
            "playback, api, metrics, pprof)");
  EXPECT_TRUE(
      contains(loadError("authInternalUsers: [{user: u, permissions: [{action: read, path: '~cam('}]}]\n"),
               "sluice.yml:1: authInternalUsers[0].permissions[0].path: invalid regular expression 'cam('"));
  EXPECT_EQ(loadError("authInternalUsers: [{user: u, permissions: [{action: read, pth: x}]}]\n"),
            "sluice.yml:1: unknown key 'authInternalUsers[0].permissions[0].pth' (did you mean 'path'?)");
  EXPECT_EQ(loadError("authInternalUsers: [{user: u, permissions: [read]}]\n"),
            "sluice.yml:1: authInternalUsers[0].permissions[0]: expected a mapping with action and path");
}

TEST_F(AuthConfig, HttpExclude) {
  Config c = loadOk("authHTTPExclude:\n  - action: read\n    path: public\n  - action: metrics\n");
  EXPECT_EQ(c.authHTTPExclude, (std::vector<AuthPermission>{{"read", "public"}, {"metrics", ""}}));
  EXPECT_TRUE(loadOk("authHTTPExclude: []\n").authHTTPExclude.empty());
  EXPECT_TRUE(contains(loadError("authHTTPExclude: [{action: all}]\n"), "invalid action 'all'"));
}

TEST_F(AuthConfig, TheInternalAndHttpMethodsAreAccepted) {
  EXPECT_EQ(loadOk("authMethod: internal\n").authMethod, "internal");
  EXPECT_EQ(loadError("authMethod: jwt\n"),
            "sluice.yml:1: authMethod: authMethod 'jwt' is not supported by Sluice yet (only 'internal' and "
            "'http' are)");
  Config c = loadOk(
      "authMethod: http\nauthHTTPAddress: https://auth.example:9443/check\n"
      "authHTTPFingerprint: 33:94:9e:2a:61:5a:2f:4f:b6:52:55:2d:ee:11:4a:a2:8f:74:2b:cd:7a:1f:"
      "6e:1c:0c:aa:58:19:a4:20:c7:2d\n");
  EXPECT_EQ(c.authMethod, "http");
  EXPECT_EQ(c.authHTTPAddress, "https://auth.example:9443/check");
  EXPECT_EQ(c.authHTTPFingerprint.size(), 95u);
  EXPECT_EQ(loadError("authMethod: ldap\n"),
            "sluice.yml:1: authMethod: invalid authMethod 'ldap' (expected internal, http, jwt)");
  // MediaMTX's old spelling of the http method.
  c = loadOk("externalAuthenticationURL: http://auth.example/\n");
  EXPECT_EQ(c.authMethod, "http");
  EXPECT_EQ(c.authHTTPAddress, "http://auth.example/");
  EXPECT_TRUE(load("externalAuthenticationURL:\n").config);  // null: unset, as in MediaMTX
}

TEST_F(AuthConfig, TheHttpMethodNeedsAServerItCanCall) {
  EXPECT_TRUE(
      contains(loadError("authMethod: http\n"), "'authHTTPAddress' is needed when authMethod is 'http'"));
  // The message leaves the URL out: it may hold a password.
  const std::string bad = loadError("authMethod: http\nauthHTTPAddress: ftp://u:secret@auth.example/\n");
  EXPECT_TRUE(
      contains(bad, "invalid authentication server address: the URL must start with http:// or https://"))
      << bad;
  EXPECT_FALSE(contains(bad, "secret"));
  EXPECT_TRUE(
      contains(loadError("externalAuthenticationURL: auth.example\n"), "invalid authentication server"));
  EXPECT_TRUE(contains(loadError("authMethod: http\nauthHTTPAddress: http://a/\nauthHTTPFingerprint: xyz\n"),
                       "invalid fingerprint"));
  EXPECT_TRUE(contains(loadError("authMethod: http\nauthHTTPAddress: http://a/\nauthHTTPFingerprint: " +
                                 std::string(64, 'a') + "\n"),
                       "'authHTTPFingerprint' is set but 'authHTTPAddress' is not an https:// URL"));
  // Digest proves a password to whom knows it; only the authentication server does.
  EXPECT_TRUE(contains(loadError("authMethod: http\nauthHTTPAddress: http://a/\nrtspAuthMethods: [digest]\n"),
                       "when authMethod is 'http', rtspAuthMethods can't contain 'digest'"));
}

TEST_F(AuthConfig, JwtKeysAreStillOnlyWarned) {
  ConfigResult result = load("authHTTPAddress: http://auth.example/\nauthJWTJWKS: ''\n");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(countContaining(result.warnings, "'authHTTPAddress'"), 0u);
  EXPECT_EQ(countContaining(result.warnings, "'authJWTJWKS' is not supported by Sluice yet"), 1u);
}

}  // namespace
}  // namespace sluice::config
