#pragma once
// One question to the authentication server of MediaMTX's "http" method (authHTTPAddress): a
// POST of the request's JSON description on a new connection, plain or TLS, answered within a
// deadline (readTimeout). Only the status decides; the start of the body goes into the log.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "auth/AuthManager.h"

namespace sluice::auth {

struct AuthServerReply {
  bool answered = false;  // false: no HTTP answer came (connection, TLS, deadline); see `error`
  unsigned status = 0;
  std::string body;   // the answer's body (at most kMaxAuthServerBody bytes); its start is logged
  std::string error;  // why there is no answer
  bool allows() const { return answered && status >= 200 && status <= 299; }
};

// The answer's body is read up to this size, and only its first bytes are logged.
inline constexpr size_t kMaxAuthServerBody = size_t{16} * 1024;

using AuthServerDone = std::function<void(AuthServerReply)>;

// Sends `body` (JSON) to `server` from `io`'s thread; `done` runs exactly once, on that thread,
// always after this returns. Nothing blocks: the name lookup, connection, TLS handshake and
// exchange are asynchronous, and the deadline bounds them all.
void callAuthServer(boost::asio::io_context& io, std::shared_ptr<const AuthManager::Server> server,
                    std::string body, AuthServerDone done);

// MediaMTX's JSON description of `request`: ip, user, password, token, action, path, protocol,
// id (null: Sluice has no per-request UUID) and query.
std::string authServerRequestBody(const AuthRequest& request);

}  // namespace sluice::auth
