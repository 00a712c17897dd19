#pragma once
// MediaMTX's authentication methods (internal/auth/manager.go, COMPAT §1.5).
// internal: a request is allowed when some authInternalUsers entry has the client's IP in its
// `ips` (empty = any), a permission for the action and path, and is either user 'any' or the
// request's user and pass (for an RTSP Digest answer: the user whose plain-text password gives
// its response).
// http: a request that authHTTPExclude does not cover is allowed when the authentication server
// (authHTTPAddress) answers its JSON description with a 2xx; AccessControl asks it.
// The manager is immutable: build a new one on a configuration reload and swap it in. Its
// checks are thread-safe and never block.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/Credential.h"
#include "auth/DigestAuthorization.h"
#include "auth/IpNetworks.h"
#include "config/Config.h"
#include "core/HttpUrl.h"

namespace sluice::config {
class PathPattern;
}

namespace sluice::auth {

enum class Action { Publish, Read, Playback, Api, Metrics, Pprof };

// MediaMTX's action names: publish, read, playback, api, metrics, pprof.
std::optional<Action> parseAction(std::string_view name);
std::string_view actionName(Action action);

struct AuthRequest {
  std::string user, pass;  // what the client supplied; empty when nothing was
  std::string token;  // a bearer token that is not user:pass (never accepted, but it is "something supplied")
  std::string ip;     // the client's address without port ("10.0.0.5", "::1")
  Action action = Action::Read;
  std::string path;  // the path name for publish, read and playback; ignored for the others
  // For the authentication server only: MediaMTX's protocol name ("rtsp", "webrtc"; "" for the
  // API, metrics and pprof) and the request's query string without '?'.
  std::string protocol, query;
  // RTSP Digest: the answer (its username is also in `user`) and the challenge it answers. A
  // user then matches when the answer's response is the one of its plain-text password
  // (users with hashed credentials never do: the configuration refuses them with digest).
  std::optional<DigestAuthorization> digest;
  DigestChallenge digestChallenge;
  // Credentials came in a form the listener does not accept (RTSP Basic without `basic` in
  // rtspAuthMethods, a malformed Digest header): they match no user (but user 'any').
  bool unusableCredentials = false;

  // Something was supplied: a failed check is then wrong credentials, not a missing one.
  bool supplied() const {
    return !user.empty() || !pass.empty() || !token.empty() || digest || unusableCredentials;
  }
};

enum class AuthResult {
  Ok,
  // Nothing was supplied and nothing allows anonymous access: answer 401 with
  // `WWW-Authenticate: Basic realm="mediamtx"` so that the client asks for credentials.
  NoCredentials,
  // Credentials were supplied and do not allow the request: 401 (MediaMTX adds a random
  // 0-4 s delay first, to slow down guessing).
  Denied,
};

std::string_view authResultName(AuthResult result);

class AuthManager {
 public:
  // nullopt (and `error`) when an entry is one the configuration would have rejected.
  static std::optional<AuthManager> create(const std::vector<config::AuthInternalUser>& users,
                                           std::string* error = nullptr);
  // The manager of a loaded configuration. Its users were checked when it was loaded; should one
  // still not parse, the manager allows nothing rather than something.
  static AuthManager fromConfig(const config::Config& config);

  // authMethod internal: the verdict of authInternalUsers.
  AuthResult authenticate(const AuthRequest& request) const;

  // authMethod http: where to ask (null with authMethod internal).
  struct Server {
    std::string address;  // authHTTPAddress as written
    core::HttpUrl url;
    std::string fingerprint;                   // authHTTPFingerprint
    std::chrono::milliseconds timeout{10000};  // readTimeout, as MediaMTX's client uses
  };
  const std::shared_ptr<const Server>& server() const { return server_; }
  // authMethod http: authHTTPExclude allows the request without asking the server.
  bool excludedFromServer(const AuthRequest& request) const;

 private:
  enum class PathMatch { Any, Exact, Regex };
  struct Permission {
    Action action;
    PathMatch match = PathMatch::Any;
    std::string path;
    std::shared_ptr<const config::PathPattern> pattern;  // for Regex
  };
  struct User {
    bool anyone = false;  // user 'any'
    Credential user, pass;
    // The plain-text user and password, for Digest; unset when either is hashed.
    std::optional<std::pair<std::string, std::string>> plain;
    IpNetworks ips;
    std::vector<Permission> permissions;
  };

  explicit AuthManager(std::vector<User> users) : users_(std::move(users)) {}
  static std::optional<Permission> parsePermission(const config::AuthPermission& permission,
                                                   std::string& problem);
  static std::optional<User> parseUser(const config::AuthInternalUser& entry, std::string& problem);
  static bool permits(const std::vector<Permission>& permissions, const AuthRequest& request);

  std::vector<User> users_;
  std::shared_ptr<const Server> server_;   // authMethod http only
  std::vector<Permission> serverExclude_;  // authHTTPExclude
};

}  // namespace sluice::auth
