#include "auth/AuthManager.h"

#include <gtest/gtest.h>

namespace sluice::auth {
namespace {

using config::AuthInternalUser;

constexpr const char* kSecretSha256 = "sha256:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=";  // "secret"

AuthManager manager(const std::vector<AuthInternalUser>& users) {
  std::string error;
  std::optional<AuthManager> m = AuthManager::create(users, &error);
  EXPECT_TRUE(m) << error;
  return m ? std::move(*m) : *AuthManager::create({});
}

AuthRequest request(Action action, std::string ip, std::string path = "", std::string user = "",
                    std::string pass = "") {
  AuthRequest r;
  r.action = action;
  r.ip = std::move(ip);
  r.path = std::move(path);
  r.user = std::move(user);
  r.pass = std::move(pass);
  return r;
}

TEST(AuthManager, DefaultUsers) {
  AuthManager m = manager(config::defaultAuthInternalUsers());
  for (Action local : {Action::Api, Action::Metrics, Action::Pprof}) {
    EXPECT_EQ(m.authenticate(request(local, "127.0.0.1")), AuthResult::Ok);
    EXPECT_EQ(m.authenticate(request(local, "::1")), AuthResult::Ok);
    EXPECT_EQ(m.authenticate(request(local, "::ffff:127.0.0.1")), AuthResult::Ok);
    EXPECT_EQ(m.authenticate(request(local, "10.0.0.5")), AuthResult::NoCredentials);
    EXPECT_EQ(m.authenticate(request(local, "127.0.0.2")), AuthResult::NoCredentials);
    EXPECT_EQ(m.authenticate(request(local, "10.0.0.5", "", "admin", "x")), AuthResult::Denied);
  }
  for (Action open : {Action::Publish, Action::Read, Action::Playback}) {
    EXPECT_EQ(m.authenticate(request(open, "10.0.0.5", "cam1")), AuthResult::Ok);
    EXPECT_EQ(m.authenticate(request(open, "2001:db8::1", "any/path", "who", "ever")), AuthResult::Ok);
  }
}

TEST(AuthManager, UserWithSha256Password) {
  AuthManager m = manager({{"admin", kSecretSha256, {}, {{"api", ""}}}});
  EXPECT_EQ(m.authenticate(request(Action::Api, "10.0.0.5", "", "admin", "secret")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Api, "10.0.0.5", "", "admin", "Secret")), AuthResult::Denied);
  EXPECT_EQ(m.authenticate(request(Action::Api, "10.0.0.5", "", "root", "secret")), AuthResult::Denied);
  EXPECT_EQ(m.authenticate(request(Action::Api, "10.0.0.5", "", "admin", "")), AuthResult::Denied);
  EXPECT_EQ(m.authenticate(request(Action::Api, "10.0.0.5")), AuthResult::NoCredentials);
  EXPECT_EQ(m.authenticate(request(Action::Metrics, "10.0.0.5", "", "admin", "secret")), AuthResult::Denied);
}

TEST(AuthManager, HashedUserName) {
  AuthManager m = manager({{kSecretSha256, "pw", {}, {{"read", ""}}}});
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.2.3.4", "cam", "secret", "pw")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.2.3.4", "cam", kSecretSha256, "pw")), AuthResult::Denied);
}

TEST(AuthManager, UserWithoutPasswordNeedsOnlyTheName) {
  AuthManager m = manager({{"viewer", "", {}, {{"read", ""}}}});
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.2.3.4", "cam", "viewer", "")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.2.3.4", "cam", "viewer", "anything")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.2.3.4", "cam")), AuthResult::NoCredentials);
}

TEST(AuthManager, IpRanges) {
  AuthManager m = manager({
      {"any", "", {"10.0.0.0/8", "2001:db8::/32"}, {{"read", ""}}},
      {"admin", "pw", {"192.168.1.10"}, {{"api", ""}}},
  });
  EXPECT_EQ(m.authenticate(request(Action::Read, "10.20.30.40", "cam")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Read, "2001:db8:ffff::1", "cam")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Read, "::ffff:10.1.1.1", "cam")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Read, "11.0.0.1", "cam")), AuthResult::NoCredentials);
  EXPECT_EQ(m.authenticate(request(Action::Read, "2001:db9::1", "cam")), AuthResult::NoCredentials);
  EXPECT_EQ(m.authenticate(request(Action::Read, "not-an-ip", "cam")), AuthResult::NoCredentials);
  EXPECT_EQ(m.authenticate(request(Action::Read, "", "cam")), AuthResult::NoCredentials);
  EXPECT_EQ(m.authenticate(request(Action::Api, "192.168.1.10", "", "admin", "pw")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Api, "192.168.1.11", "", "admin", "pw")), AuthResult::Denied);
}

TEST(AuthManager, PerActionAndPerPathPermissions) {
  AuthManager m = manager({
      {"cam", "pub", {}, {{"publish", "cam1"}}},
      {"viewer", "v", {}, {{"read", "~^cam(\\d+)$"}, {"playback", ""}}},
      {"ops", "o", {}, {{"metrics", "ignored"}}},
  });
  EXPECT_EQ(m.authenticate(request(Action::Publish, "1.1.1.1", "cam1", "cam", "pub")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Publish, "1.1.1.1", "cam2", "cam", "pub")), AuthResult::Denied);
  EXPECT_EQ(m.authenticate(request(Action::Publish, "1.1.1.1", "cam10", "cam", "pub")), AuthResult::Denied);
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.1.1.1", "cam1", "cam", "pub")), AuthResult::Denied);
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.1.1.1", "cam42", "viewer", "v")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.1.1.1", "cam42x", "viewer", "v")), AuthResult::Denied);
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.1.1.1", "lobby", "viewer", "v")), AuthResult::Denied);
  EXPECT_EQ(m.authenticate(request(Action::Playback, "1.1.1.1", "lobby", "viewer", "v")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Publish, "1.1.1.1", "cam1", "viewer", "v")), AuthResult::Denied);
  // The path of a permission only matters for publish, read and playback.
  EXPECT_EQ(m.authenticate(request(Action::Metrics, "1.1.1.1", "", "ops", "o")), AuthResult::Ok);
}

TEST(AuthManager, RegexIsUnanchoredLikeMediamtx) {
  AuthManager m = manager({{"any", "", {}, {{"read", "~cam"}}}});
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.1.1.1", "my/cam/1")), AuthResult::Ok);
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.1.1.1", "lobby")), AuthResult::NoCredentials);
}

TEST(AuthManager, AnyUserIgnoresSuppliedCredentials) {
  AuthManager m = manager({{"any", "", {}, {{"read", ""}}}});
  EXPECT_EQ(m.authenticate(request(Action::Read, "1.1.1.1", "cam", "wrong", "creds")), AuthResult::Ok);
}

TEST(AuthManager, NoUsersAllowsNothing) {
  AuthManager m = manager({});
  EXPECT_EQ(m.authenticate(request(Action::Api, "127.0.0.1")), AuthResult::NoCredentials);
  EXPECT_EQ(m.authenticate(request(Action::Read, "127.0.0.1", "cam", "u", "p")), AuthResult::Denied);
}

TEST(AuthManager, TokenCountsAsSuppliedButIsNeverAccepted) {
  AuthManager m = manager({{"admin", "pw", {}, {{"api", ""}}}});
  AuthRequest r = request(Action::Api, "1.1.1.1");
  r.token = "eyJhbGciOi.eyJzdWIi.c2ln";
  EXPECT_EQ(m.authenticate(r), AuthResult::Denied);
}

TEST(AuthManager, RejectsEntriesTheConfigurationRejects) {
  const std::vector<std::pair<AuthInternalUser, std::string>> cases = {
      {{"", "", {}, {}}, "authInternalUsers[0]: empty usernames are not supported"},
      {{"any", "pw", {}, {}}, "authInternalUsers[0]: using a password with user 'any' is not supported"},
      {{"u", "argon2:$argon2id$x", {}, {}}, "argon2"},
      {{"u", "", {"nope"}, {}}, "authInternalUsers[0]: invalid IP address or CIDR range 'nope'"},
      {{"u", "", {}, {{"watch", ""}}}, "authInternalUsers[0]: invalid action 'watch'"},
      {{"u", "", {}, {{"read", "~("}}}, "authInternalUsers[0]: invalid regular expression"},
  };
  for (const auto& [user, message] : cases) {
    std::string error;
    EXPECT_FALSE(AuthManager::create({user}, &error)) << message;
    EXPECT_NE(error.find(message), std::string::npos) << error;
  }
}

TEST(AuthManager, FromConfigFailsClosed) {
  config::Config c;
  c.authInternalUsers = {{"any", "", {}, {{"read", ""}}}, {"", "", {}, {}}};
  AuthManager m = AuthManager::fromConfig(c);
  EXPECT_EQ(m.authenticate(request(Action::Read, "127.0.0.1", "cam")), AuthResult::NoCredentials);
  c.authInternalUsers = config::defaultAuthInternalUsers();
  EXPECT_EQ(AuthManager::fromConfig(c).authenticate(request(Action::Read, "1.2.3.4", "cam")), AuthResult::Ok);
}

TEST(AuthManager, ActionNames) {
  for (std::string_view name : {"publish", "read", "playback", "api", "metrics", "pprof"}) {
    std::optional<Action> action = parseAction(name);
    ASSERT_TRUE(action) << name;
    EXPECT_EQ(actionName(*action), name);
  }
  EXPECT_FALSE(parseAction("API"));
  EXPECT_FALSE(parseAction(""));
  EXPECT_EQ(authResultName(AuthResult::NoCredentials), "no credentials");
}

}  // namespace
}  // namespace sluice::auth
