#include "auth/AuthManager.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "config/PathPattern.h"
#include "core/Log.h"

namespace sluice::auth {
namespace {

constexpr std::array<std::pair<Action, std::string_view>, 6> kActionNames = {{
    {Action::Publish, "publish"},
    {Action::Read, "read"},
    {Action::Playback, "playback"},
    {Action::Api, "api"},
    {Action::Metrics, "metrics"},
    {Action::Pprof, "pprof"},
}};

// Only these actions are about a path; a permission for the others ignores its path.
bool hasPath(Action action) {
  return action == Action::Publish || action == Action::Read || action == Action::Playback;
}

}  // namespace

std::optional<Action> parseAction(std::string_view name) {
  for (const auto& [action, actionText] : kActionNames) {
    if (actionText == name) return action;
  }
  return std::nullopt;
}

std::string_view actionName(Action action) {
  for (const auto& [candidate, name] : kActionNames) {
    if (candidate == action) return name;
  }
  return "unknown";
}

std::string_view authResultName(AuthResult result) {
  switch (result) {
    case AuthResult::Ok:
      return "ok";
    case AuthResult::NoCredentials:
      return "no credentials";
    case AuthResult::Denied:
      return "denied";
  }
  return "unknown";
}

std::optional<AuthManager::Permission> AuthManager::parsePermission(const config::AuthPermission& permission,
                                                                    std::string& problem) {
  std::optional<Action> action = parseAction(permission.action);
  if (!action) {
    problem = fmt::format("invalid action '{}'", permission.action);
    return std::nullopt;
  }
  Permission out{*action, PathMatch::Any, permission.path, nullptr};
  if (!permission.path.empty() && permission.path.front() == '~') {
    out.match = PathMatch::Regex;
    std::string regexError;
    out.pattern = config::PathPattern::compile(std::string_view(permission.path).substr(1), regexError);
    if (!out.pattern) {
      problem = "invalid regular expression: " + regexError;
      return std::nullopt;
    }
  } else if (!permission.path.empty()) {
    out.match = PathMatch::Exact;
  }
  return out;
}

std::optional<AuthManager::User> AuthManager::parseUser(const config::AuthInternalUser& entry,
                                                        std::string& problem) {
  if (entry.user.empty()) {
    problem = "empty usernames are not supported";
    return std::nullopt;
  }
  const bool anyone = entry.user == "any";
  if (anyone && !entry.pass.empty()) {
    problem = "using a password with user 'any' is not supported";
    return std::nullopt;
  }
  std::optional<Credential> user = Credential::parse(entry.user, &problem);
  std::optional<Credential> pass = user ? Credential::parse(entry.pass, &problem) : std::nullopt;
  std::optional<IpNetworks> ips = pass ? IpNetworks::parse(entry.ips, &problem) : std::nullopt;
  if (!ips) return std::nullopt;
  User out{anyone, *user, *pass, std::nullopt, std::move(*ips), {}};
  if (!user->hashed() && !pass->hashed()) out.plain.emplace(entry.user, entry.pass);
  for (const config::AuthPermission& permission : entry.permissions) {
    std::optional<Permission> parsed = parsePermission(permission, problem);
    if (!parsed) return std::nullopt;
    out.permissions.push_back(std::move(*parsed));
  }
  return out;
}

std::optional<AuthManager> AuthManager::create(const std::vector<config::AuthInternalUser>& users,
                                               std::string* error) {
  std::vector<User> parsed;
  for (size_t i = 0; i < users.size(); ++i) {
    std::string problem;
    std::optional<User> user = parseUser(users[i], problem);
    if (!user) {
      if (error) *error = fmt::format("authInternalUsers[{}]: {}", i, problem);
      return std::nullopt;
    }
    parsed.push_back(std::move(*user));
  }
  return AuthManager(std::move(parsed));
}

AuthManager AuthManager::fromConfig(const config::Config& config) {
  std::string error;
  if (config.authMethod == "http") {
    AuthManager out(std::vector<User>{});
    auto server = std::make_shared<Server>();
    server->address = config.authHTTPAddress;
    server->fingerprint = config.authHTTPFingerprint;
    server->timeout = config.readTimeout;
    std::optional<core::HttpUrl> url = core::parseHttpUrl(config.authHTTPAddress, error);
    if (!url) {
      log::error("[auth] authHTTPAddress: {}; every request will be refused", error);
      return out;  // no users and no server: nothing is allowed
    }
    server->url = std::move(*url);
    for (size_t i = 0; i < config.authHTTPExclude.size(); ++i) {
      std::optional<Permission> p = parsePermission(config.authHTTPExclude[i], error);
      if (!p) {
        log::error("[auth] authHTTPExclude[{}]: {}; every request will be refused", i, error);
        return out;
      }
      out.serverExclude_.push_back(std::move(*p));
    }
    out.server_ = std::move(server);
    return out;
  }
  if (std::optional<AuthManager> manager = create(config.authInternalUsers, &error))
    return std::move(*manager);
  log::error("[auth] {}; every request will be refused", error);
  return AuthManager(std::vector<User>{});
}

bool AuthManager::excludedFromServer(const AuthRequest& request) const {
  return permits(serverExclude_, request);
}

bool AuthManager::permits(const std::vector<Permission>& permissions, const AuthRequest& request) {
  return std::any_of(permissions.begin(), permissions.end(), [&](const Permission& permission) {
    if (permission.action != request.action) return false;
    if (!hasPath(request.action)) return true;
    switch (permission.match) {
      case PathMatch::Any:
        return true;
      case PathMatch::Exact:
        return permission.path == request.path;
      case PathMatch::Regex:
        return permission.pattern->search(request.path, nullptr);
    }
    return false;
  });
}

AuthResult AuthManager::authenticate(const AuthRequest& request) const {
  const std::optional<IpAddress> ip = IpAddress::parse(request.ip);
  // Hashed once here, then compared in constant time with each user's digests.
  const Sha256Digest userDigest = sha256(request.user), passDigest = sha256(request.pass);
  for (const User& user : users_) {
    if (!user.ips.empty() && (!ip || !user.ips.contains(*ip))) continue;
    if (!permits(user.permissions, request)) continue;
    if (user.anyone) return AuthResult::Ok;
    if (request.unusableCredentials) continue;
    if (request.digest) {
      if (user.plain && digestAnswerMatches(*request.digest, request.digestChallenge, user.plain->first,
                                            user.plain->second))
        return AuthResult::Ok;
      continue;
    }
    // Both compared, so the time taken does not tell a right user name from a wrong one.
    const bool userMatches = user.user.matchesDigest(userDigest);
    const bool passMatches = user.pass.matchesDigest(passDigest);
    if (userMatches && passMatches) return AuthResult::Ok;
  }
  return request.supplied() ? AuthResult::Denied : AuthResult::NoCredentials;
}

}  // namespace sluice::auth
