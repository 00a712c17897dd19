#include "auth/AccessControl.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>

#include "auth/AuthServerCall.h"
#include "auth/HttpAuth.h"
#include "core/ClientKey.h"
#include "core/Log.h"
#include "core/UrlRedaction.h"

namespace sluice::auth {

AccessControl::AccessControl(std::shared_ptr<const AuthManager> users, FailureGuardOptions guard)
    : users_(std::move(users)), guard_(guard) {}

std::shared_ptr<const AuthManager> AccessControl::users() const {
  std::lock_guard lock(mutex_);
  return users_;
}

void AccessControl::setUsers(std::shared_ptr<const AuthManager> users) {
  std::lock_guard lock(mutex_);
  users_ = std::move(users);
}

AccessDecision AccessControl::check(const AuthRequest& request, std::string_view protocol) {
  const bool supplied = request.supplied();
  const std::string client = core::clientKey(request.ip);
  AccessDecision decision;
  if (supplied && guard_.blocked(client)) {
    decision.verdict = AccessVerdict::Throttled;
    decision.message = "too many authentication failures from this address, retry later";
    logRefusal(client, request, protocol, "refused: too many authentication failures");
    return decision;
  }
  const std::shared_ptr<const AuthManager> manager = users();
  if (manager->server()) {
    if (manager->excludedFromServer(request)) {
      decision.verdict = AccessVerdict::Allowed;
    } else if (request.unusableCredentials) {
      // Credentials in a form this listener refuses: no need to ask.
      return deny(client, request, protocol, "failed to authenticate: credentials in a refused form");
    } else {
      decision.verdict = AccessVerdict::AskServer;
    }
    return decision;
  }
  const AuthResult result = manager->authenticate(request);
  switch (result) {
    case AuthResult::Ok:
      decision.verdict = AccessVerdict::Allowed;
      return decision;
    case AuthResult::NoCredentials:
      decision.verdict = AccessVerdict::AskCredentials;
      return decision;
    case AuthResult::Denied:
      break;
  }
  return deny(client, request, protocol, "failed to authenticate: wrong credentials");
}

AccessDecision AccessControl::deny(const std::string& client, const AuthRequest& request,
                                   std::string_view protocol, std::string_view what) {
  AccessDecision decision;
  decision.verdict = AccessVerdict::Denied;
  decision.delay = deniedResponseDelay();
  if (guard_.recordFailure(client)) {
    log::warn("[auth] {} sent more than {} wrong credentials within {} s: its attempts are refused for {} s",
              client, guard_.options().maxFailures,
              std::chrono::duration_cast<std::chrono::seconds>(guard_.options().window).count(),
              std::chrono::duration_cast<std::chrono::seconds>(guard_.options().block).count());
  }
  logRefusal(client, request, protocol, what);
  return decision;
}

void AccessControl::askServer(boost::asio::io_context& io, const AuthRequest& request, std::string protocol,
                              std::function<void(AccessDecision)> done) {
  std::shared_ptr<const AuthManager::Server> server = users()->server();
  if (!server) {  // a reload went back to internal users meanwhile: decide with them
    AccessDecision d = check(request, protocol);
    if (d.verdict == AccessVerdict::AskServer) d.verdict = AccessVerdict::Denied;
    return boost::asio::post(io,
                             [d = std::move(d), done = std::move(done)]() mutable { done(std::move(d)); });
  }
  // The call outlives nothing it borrows: this AccessControl lives as long as the app.
  callAuthServer(
      io, server, authServerRequestBody(request),
      [this, server, request, protocol = std::move(protocol), done = std::move(done)](AuthServerReply reply) {
        const std::string client = core::clientKey(request.ip);
        AccessDecision d;
        if (reply.allows()) {
          d.verdict = AccessVerdict::Allowed;
          return done(std::move(d));
        }
        if (!reply.answered) {
          uint64_t suppressed = 0;
          bool shouldLog = false;
          {
            std::lock_guard lock(mutex_);
            shouldLog = serverLogLimit_.allow(server->url.hostHeader, suppressed);
          }
          if (shouldLog) {
            log::warn(
                "[auth] the authentication server {} did not answer: {}; requests it must allow "
                "are refused{}",
                core::redactUrlPassword(server->address), reply.error,
                suppressed ? fmt::format(" ({} more not logged)", suppressed) : std::string());
          }
        }
        if (!request.supplied()) {
          d.verdict = AccessVerdict::AskCredentials;
          return done(std::move(d));
        }
        if (!reply.answered) {
          // Not the client's fault: no failure counted, but the same pause and 401.
          d.verdict = AccessVerdict::Denied;
          d.delay = deniedResponseDelay();
          logRefusal(client, request, protocol,
                     "was not authenticated: the authentication server did not answer");
          return done(std::move(d));
        }
        std::string body = reply.body.substr(0, 200);
        for (char& c : body) {
          if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        }
        done(deny(client, request, protocol,
                  fmt::format("failed to authenticate: the authentication server answered {}{}", reply.status,
                              body.empty() ? std::string() : ": " + body)));
      });
}

void AccessControl::logRefusal(const std::string& client, const AuthRequest& request,
                               std::string_view protocol, std::string_view what) {
  uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex_);
    if (!logLimit_.allow(client, suppressed)) return;
  }
  const bool hasPath = request.action == Action::Read || request.action == Action::Publish ||
                       request.action == Action::Playback;
  log::warn(
      "[{}] {} {} for '{}'{}{}", protocol, request.ip, what, actionName(request.action),
      hasPath ? fmt::format(" on path '{}'", request.path) : std::string(),
      suppressed ? fmt::format(" ({} more refusals of this client not logged)", suppressed) : std::string());
}

}  // namespace sluice::auth
