// The HTTP entry point app builds its access callback from: Authorization header + client IP.
#include "auth/HttpAuth.h"

#include <gtest/gtest.h>

#include "config/Config.h"
#include "core/Base64.h"

namespace sluice::auth {
namespace {

constexpr const char* kSecretSha256 = "sha256:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=";  // "secret"

std::string basic(std::string_view userColonPass) { return "Basic " + core::base64Encode(userColonPass); }

AuthManager configured() {
  std::vector<config::AuthInternalUser> users = config::defaultAuthInternalUsers();
  users.push_back({"admin", kSecretSha256, {}, {{"api", ""}, {"metrics", ""}, {"pprof", ""}}});
  users.push_back({"viewer", "v1ew", {"10.0.0.0/8"}, {{"read", "~^cam"}}});
  return *AuthManager::create(users);
}

TEST(HttpAuth, DefaultUsersOpenTheApiToLocalhostOnly) {
  AuthManager m = *AuthManager::create(config::defaultAuthInternalUsers());
  EXPECT_EQ(authenticateHttp(m, "", "127.0.0.1", "api"), AuthResult::Ok);
  EXPECT_EQ(authenticateHttp(m, "", "::1", "pprof"), AuthResult::Ok);
  EXPECT_EQ(authenticateHttp(m, "", "10.0.0.5", "api"), AuthResult::NoCredentials);
  EXPECT_EQ(authenticateHttp(m, "", "10.0.0.5", "metrics"), AuthResult::NoCredentials);
  EXPECT_EQ(authenticateHttp(m, basic("admin:secret"), "10.0.0.5", "api"), AuthResult::Denied);
  EXPECT_EQ(authenticateHttp(m, "", "10.0.0.5", "read", "cam1"), AuthResult::Ok);
}

TEST(HttpAuth, BasicAndBearer) {
  AuthManager m = configured();
  EXPECT_EQ(authenticateHttp(m, basic("admin:secret"), "203.0.113.9", "api"), AuthResult::Ok);
  EXPECT_EQ(authenticateHttp(m, "Bearer admin:secret", "203.0.113.9", "metrics"), AuthResult::Ok);
  EXPECT_EQ(authenticateHttp(m, basic("admin:wrong"), "203.0.113.9", "api"), AuthResult::Denied);
  EXPECT_EQ(authenticateHttp(m, "Bearer admin:wrong", "203.0.113.9", "api"), AuthResult::Denied);
  EXPECT_EQ(authenticateHttp(m, "Bearer some.jwt.token", "203.0.113.9", "api"), AuthResult::Denied);
  EXPECT_EQ(authenticateHttp(m, "", "203.0.113.9", "api"), AuthResult::NoCredentials);
}

TEST(HttpAuth, PathAndIpOfAReader) {
  AuthManager m = configured();
  EXPECT_EQ(authenticateHttp(m, basic("viewer:v1ew"), "10.1.2.3", "read", "cam7"), AuthResult::Ok);
  // The default 'any' entry lets anyone read, so a viewer outside its range still reads.
  EXPECT_EQ(authenticateHttp(m, basic("viewer:v1ew"), "192.0.2.1", "read", "cam7"), AuthResult::Ok);
  EXPECT_EQ(authenticateHttp(m, basic("viewer:v1ew"), "10.1.2.3", "api"), AuthResult::Denied);
}

TEST(HttpAuth, MalformedHeadersCountAsNoCredentials) {
  AuthManager m = configured();
  for (std::string_view header : {"Basic", "Basic !!!", "Basic dXNlcg==", "Digest username=\"admin\"",
                                  "bearer admin:secret", "Bearer", "\x01\x02"}) {
    EXPECT_EQ(authenticateHttp(m, header, "203.0.113.9", "api"), AuthResult::NoCredentials) << header;
  }
}

TEST(HttpAuth, UnknownActionIsDenied) {
  AuthManager m = configured();
  EXPECT_EQ(authenticateHttp(m, "", "127.0.0.1", "API"), AuthResult::Denied);
  EXPECT_EQ(authenticateHttp(m, "", "127.0.0.1", ""), AuthResult::Denied);
}

TEST(HttpAuth, DeniedDelayIsWithinMediamtxsRange) {
  for (int i = 0; i < 100; ++i) {
    std::chrono::milliseconds delay = deniedResponseDelay();
    EXPECT_GE(delay.count(), 0);
    EXPECT_LE(delay.count(), 4000);
  }
}

}  // namespace
}  // namespace sluice::auth
