// The one access decision every protocol calls (AccessControl) and its per-client failure
// guard (FailureGuard).
#include "auth/AccessControl.h"

#include <gtest/gtest.h>

#include <memory>

#include "auth/HttpAuth.h"
#include "config/Config.h"

namespace sluice::auth {
namespace {

using namespace std::chrono_literals;
using Clock = FailureGuard::Clock;

std::shared_ptr<const AuthManager> viewerOnlyOnCam1() {
  std::vector<config::AuthInternalUser> users = {
      {"viewer", "s3cret", {}, {{"read", "cam1"}}},
      {"any", "", {"127.0.0.1", "::1"}, {{"api", ""}}},
      {"lan", "lanpass", {"10.0.0.0/8"}, {{"read", "~^cam[0-9]+$"}}},
  };
  return std::make_shared<const AuthManager>(*AuthManager::create(users));
}

AuthRequest readRequest(std::string ip, std::string path, std::string user = {}, std::string pass = {}) {
  AuthRequest r;
  r.ip = std::move(ip);
  r.action = Action::Read;
  r.path = std::move(path);
  r.user = std::move(user);
  r.pass = std::move(pass);
  return r;
}

TEST(FailureGuard, BlocksAClientPastItsFailuresForTheBlockTime) {
  FailureGuard guard({3, 60s, 30s, 100});
  const Clock::time_point t0 = Clock::now();
  EXPECT_FALSE(guard.recordFailure("10.0.0.1", t0));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1", t0 + 1s));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1", t0 + 2s));
  EXPECT_FALSE(guard.blocked("10.0.0.1", t0 + 2s));
  EXPECT_TRUE(guard.recordFailure("10.0.0.1", t0 + 3s));  // the 4th starts the block
  EXPECT_TRUE(guard.blocked("10.0.0.1", t0 + 3s));
  EXPECT_TRUE(guard.blocked("10.0.0.1", t0 + 32s));
  EXPECT_FALSE(guard.blocked("10.0.0.2", t0 + 4s));  // others are not affected
  EXPECT_FALSE(guard.blocked("10.0.0.1", t0 + 33s));  // the block ends
  // ... and the client gets its full allowance again.
  EXPECT_FALSE(guard.recordFailure("10.0.0.1", t0 + 34s));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1", t0 + 35s));
  EXPECT_FALSE(guard.recordFailure("10.0.0.1", t0 + 36s));
  EXPECT_TRUE(guard.recordFailure("10.0.0.1", t0 + 37s));
}

TEST(FailureGuard, FailuresOutsideTheWindowAreForgotten) {
  FailureGuard guard({2, 10s, 30s, 100});
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < 20; ++i) {
    // Two per 11 s: never more than two in one window.
    EXPECT_FALSE(guard.recordFailure("c", t0 + i * 11s));
    EXPECT_FALSE(guard.recordFailure("c", t0 + i * 11s + 1s));
  }
  EXPECT_FALSE(guard.blocked("c", t0 + 300s));
}

TEST(FailureGuard, MemoryIsBoundedAndIdleClientsAreForgotten) {
  FailureGuard guard({1, 10s, 10s, 4});
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < 4; ++i) guard.recordFailure("c" + std::to_string(i), t0);
  EXPECT_EQ(guard.trackedClients(), 4u);
  // The table is full: a fifth client is not counted while the others are in their window.
  guard.recordFailure("new", t0 + 1s);
  guard.recordFailure("new", t0 + 1s);
  EXPECT_FALSE(guard.blocked("new", t0 + 1s));
  EXPECT_EQ(guard.trackedClients(), 4u);
  // Once their window is over they make room.
  guard.recordFailure("new", t0 + 11s);
  EXPECT_TRUE(guard.recordFailure("new", t0 + 11s));
  EXPECT_TRUE(guard.blocked("new", t0 + 12s));
  EXPECT_EQ(guard.trackedClients(), 1u);
}

TEST(FailureGuard, ZeroMaxFailuresDisablesCounting) {
  FailureGuard guard({0, 10s, 10s, 4});
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(guard.recordFailure("c"));
  EXPECT_FALSE(guard.blocked("c"));
}

TEST(AccessControl, VerdictsFollowUsersPathsAndIps) {
  AccessControl access(viewerOnlyOnCam1());
  EXPECT_EQ(access.check(readRequest("192.0.2.1", "cam1", "viewer", "s3cret"), "test").verdict,
            AccessVerdict::Allowed);
  EXPECT_EQ(access.check(readRequest("192.0.2.1", "cam1"), "test").verdict, AccessVerdict::AskCredentials);
  // The viewer may read cam1 only.
  AccessDecision other = access.check(readRequest("192.0.2.1", "cam2", "viewer", "s3cret"), "test");
  EXPECT_EQ(other.verdict, AccessVerdict::Denied);
  EXPECT_LE(other.delay, 4000ms);
  // Regex paths and IP ranges.
  EXPECT_EQ(access.check(readRequest("10.9.8.7", "cam42", "lan", "lanpass"), "test").verdict,
            AccessVerdict::Allowed);
  EXPECT_EQ(access.check(readRequest("10.9.8.7", "cam42x", "lan", "lanpass"), "test").verdict,
            AccessVerdict::Denied);
  EXPECT_EQ(access.check(readRequest("192.0.2.7", "cam42", "lan", "lanpass"), "test").verdict,
            AccessVerdict::Denied);
  AuthRequest api;
  api.action = Action::Api;
  api.ip = "127.0.0.1";
  EXPECT_EQ(access.check(api, "test").verdict, AccessVerdict::Allowed);
  api.ip = "127.0.0.2";  // not in MediaMTX's default local list
  EXPECT_EQ(access.check(api, "test").verdict, AccessVerdict::AskCredentials);
}

TEST(AccessControl, TheDelayIsRandomWithinMediaMtxsWindow) {
  AccessControl access(viewerOnlyOnCam1(), {1000, 60s, 60s, 100});
  std::chrono::milliseconds lowest{5000}, highest{0}, total{0};
  constexpr int kTries = 200;
  for (int i = 0; i < kTries; ++i) {
    AccessDecision d = access.check(readRequest("192.0.2.1", "cam1", "viewer", "wrong"), "test");
    ASSERT_EQ(d.verdict, AccessVerdict::Denied);
    lowest = std::min(lowest, d.delay);
    highest = std::max(highest, d.delay);
    total += d.delay;
  }
  EXPECT_GE(lowest.count(), 0);
  EXPECT_LE(highest.count(), 4000);
  EXPECT_GT(highest - lowest, 2000ms);  // spread over the window, not a constant
  EXPECT_GT(total / kTries, 1000ms);    // mean ~2 s
  EXPECT_LT(total / kTries, 3000ms);
}

TEST(AccessControl, ManyFailuresThrottleOnlyThatClientsCredentialedAttempts) {
  AccessControl access(viewerOnlyOnCam1(), {5, 60s, 60s, 100});
  for (int i = 0; i < 5; ++i) {
    AuthRequest guess = readRequest("192.0.2.1", "cam1", "viewer", "guess" + std::to_string(i));
    EXPECT_EQ(access.check(guess, "test").verdict, AccessVerdict::Denied);
  }
  // The 6th failure starts the block; from then on even the right password is refused at
  // once, without being checked.
  EXPECT_EQ(access.check(readRequest("192.0.2.1", "cam1", "viewer", "guess5"), "test").verdict,
            AccessVerdict::Denied);
  AccessDecision blocked = access.check(readRequest("192.0.2.1", "cam1", "viewer", "s3cret"), "test");
  EXPECT_EQ(blocked.verdict, AccessVerdict::Throttled);
  EXPECT_EQ(blocked.delay.count(), 0);
  EXPECT_FALSE(blocked.message.empty());
  // Requests without credentials guess nothing and are not blocked.
  EXPECT_EQ(access.check(readRequest("192.0.2.1", "cam1"), "test").verdict, AccessVerdict::AskCredentials);
  // Another client, and another address of the same IPv6 /64 counts as the same client.
  EXPECT_EQ(access.check(readRequest("192.0.2.2", "cam1", "viewer", "s3cret"), "test").verdict,
            AccessVerdict::Allowed);
  for (int i = 0; i < 6; ++i) access.check(readRequest("2001:db8:1:2::1", "cam1", "viewer", "x"), "test");
  EXPECT_EQ(access.check(readRequest("2001:db8:1:2::ffff", "cam1", "viewer", "s3cret"), "test").verdict,
            AccessVerdict::Throttled);
  EXPECT_EQ(access.check(readRequest("2001:db8:1:3::1", "cam1", "viewer", "s3cret"), "test").verdict,
            AccessVerdict::Allowed);
}

TEST(AccessControl, ReloadedUsersApplyAtOnce) {
  AccessControl access(viewerOnlyOnCam1());
  EXPECT_EQ(access.check(readRequest("192.0.2.1", "cam2"), "test").verdict, AccessVerdict::AskCredentials);
  auto defaults = std::make_shared<const AuthManager>(*AuthManager::create(config::defaultAuthInternalUsers()));
  access.setUsers(defaults);
  EXPECT_EQ(access.check(readRequest("192.0.2.1", "cam2"), "test").verdict, AccessVerdict::Allowed);
}

TEST(HttpAuthRequest, CredentialsComeFromTheHeaderNeverFromTheQuery) {
  std::optional<AuthRequest> r = httpAuthRequest("Bearer viewer:s3cret", "10.0.0.1", "read", "cam1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user, "viewer");
  EXPECT_EQ(r->pass, "s3cret");
  EXPECT_EQ(r->action, Action::Read);
  EXPECT_EQ(r->path, "cam1");
  EXPECT_FALSE(httpAuthRequest("", "10.0.0.1", "view", "cam1"));
  // MediaMTX's internal method reads no ?token= / ?jwt=; the request carries no query field.
  AccessControl access(viewerOnlyOnCam1());
  r = httpAuthRequest("", "10.0.0.1", "read", "cam1");
  EXPECT_EQ(access.check(*r, "test").verdict, AccessVerdict::AskCredentials);
}

}  // namespace
}  // namespace sluice::auth
