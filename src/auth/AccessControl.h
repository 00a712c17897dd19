#pragma once
// The one place where Sluice decides whether a client may do something: every protocol (the
// WebRTC/WHEP listener, the API, metrics and pprof listeners; the RTSP server for its ANNOUNCE
// (`publish`) and DESCRIBE/SETUP (`read`)) builds an AuthRequest and calls
// AccessControl::check(), then acts on the verdict:
//
//   Allowed         go on.
//   AskCredentials  nothing was supplied and nothing allows anonymous access: refuse at once,
//                   asking for credentials (HTTP: 401 + `WWW-Authenticate: Basic
//                   realm="mediamtx"`; RTSP: 401 + its Basic/Digest challenge).
//   Denied          wrong credentials: refuse with 401 only after `delay` (MediaMTX's random
//                   0-4 s), waited on a timer of the caller's event loop, never by blocking a
//                   thread (RTSP then closes the connection, as MediaMTX does).
//   Throttled       this client sent too many wrong credentials lately (FailureGuard): refuse
//                   at once without checking them (HTTP: 429 with `message`; RTSP: 401 and
//                   close).
//   AskServer       authMethod http: only the authentication server can tell. Call askServer(),
//                   which answers one of the verdicts above later, on the caller's event loop;
//                   the caller serves its other clients meanwhile.
//
// check() also logs refusals, at most once per client per interval, so a flood of bad
// requests cannot flood the log. Thread-safe: the users can be replaced (configuration
// reload) while other threads check.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "auth/AuthManager.h"
#include "auth/FailureGuard.h"
#include "core/KeyedRateLimit.h"

namespace sluice::auth {

enum class AccessVerdict { Allowed, AskCredentials, Denied, Throttled, AskServer };

struct AccessDecision {
  AccessVerdict verdict = AccessVerdict::Denied;
  std::chrono::milliseconds delay{0};  // Denied only: wait this long before answering
  std::string message;                 // Throttled only: the error to send
};

class AccessControl {
 public:
  explicit AccessControl(std::shared_ptr<const AuthManager> users, FailureGuardOptions guard = {});

  // `protocol` only names the caller in log lines ("WebRTC", "API", "RTSP").
  AccessDecision check(const AuthRequest& request, std::string_view protocol);
  // After check() said AskServer: asks the authentication server from `io`'s thread and calls
  // `done` there with Allowed, AskCredentials (nothing supplied), or Denied (its delay to wait).
  // A server that cannot be reached denies, and is logged as such.
  void askServer(boost::asio::io_context& io, const AuthRequest& request, std::string protocol,
                 std::function<void(AccessDecision)> done);

  // The users of the configuration in force; replaced on reload.
  std::shared_ptr<const AuthManager> users() const;
  void setUsers(std::shared_ptr<const AuthManager> users);

  const FailureGuard& failureGuard() const { return guard_; }

 private:
  void logRefusal(const std::string& client, const AuthRequest& request, std::string_view protocol,
                  std::string_view what);
  // Wrong credentials: the pause, the failure counted, the refusal logged.
  AccessDecision deny(const std::string& client, const AuthRequest& request, std::string_view protocol,
                      std::string_view what);

  mutable std::mutex mutex_;  // guards users_, logLimit_ and serverLogLimit_
  std::shared_ptr<const AuthManager> users_;
  core::KeyedRateLimit logLimit_{std::chrono::seconds(10)};
  core::KeyedRateLimit serverLogLimit_{std::chrono::seconds(10)};  // "server unreachable", keyed by address
  FailureGuard guard_;
};

}  // namespace sluice::auth
