#include "auth/AccessControl.h"

#include <fmt/format.h>

#include "auth/HttpAuth.h"
#include "core/ClientKey.h"
#include "core/Log.h"

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
  const AuthResult result = users()->authenticate(request);
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
  decision.verdict = AccessVerdict::Denied;
  decision.delay = deniedResponseDelay();
  if (guard_.recordFailure(client)) {
    log::warn("[auth] {} sent more than {} wrong credentials within {} s: its attempts are refused for {} s",
              client, guard_.options().maxFailures,
              std::chrono::duration_cast<std::chrono::seconds>(guard_.options().window).count(),
              std::chrono::duration_cast<std::chrono::seconds>(guard_.options().block).count());
  }
  logRefusal(client, request, protocol, "failed to authenticate: wrong credentials");
  return decision;
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
  log::warn("[{}] {} {} for '{}'{}{}", protocol, request.ip, what, actionName(request.action),
            hasPath ? fmt::format(" on path '{}'", request.path) : std::string(),
            suppressed ? fmt::format(" ({} more refusals of this client not logged)", suppressed)
                       : std::string());
}

}  // namespace sluice::auth
