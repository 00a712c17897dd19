#include "auth/HttpAuth.h"

#include "auth/HttpCredentials.h"
#include "core/Random.h"

namespace sluice::auth {

std::optional<AuthRequest> httpAuthRequest(std::string_view authorization, std::string_view remoteIp,
                                           std::string_view action, std::string_view path) {
  std::optional<Action> parsedAction = parseAction(action);
  if (!parsedAction) return std::nullopt;
  Credentials credentials = parseHttpAuthorization(authorization);
  AuthRequest request;
  request.user = std::move(credentials.user);
  request.pass = std::move(credentials.pass);
  request.token = std::move(credentials.token);
  request.ip = std::string(remoteIp);
  request.action = *parsedAction;
  request.path = std::string(path);
  return request;
}

AuthResult authenticateHttp(const AuthManager& manager, std::string_view authorization,
                            std::string_view remoteIp, std::string_view action, std::string_view path) {
  std::optional<AuthRequest> request = httpAuthRequest(authorization, remoteIp, action, path);
  if (!request) return AuthResult::Denied;
  return manager.authenticate(*request);
}

std::chrono::milliseconds deniedResponseDelay() { return std::chrono::milliseconds(core::random32() % 4001); }

}  // namespace sluice::auth
