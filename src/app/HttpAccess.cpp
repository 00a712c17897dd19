#include "app/HttpAccess.h"

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <utility>

#include "auth/HttpAuth.h"

namespace sluice::app {

namespace {

// The verdict to the HTTP server, Denied after its pause: a timer on the control loop; the
// thread serves other requests meanwhile.
void answer(boost::asio::io_context& io, auth::AccessDecision decision, const http::AccessDone& done) {
  switch (decision.verdict) {
    case auth::AccessVerdict::Allowed:
      return done({http::AccessVerdict::Allowed, {}});
    case auth::AccessVerdict::AskCredentials:
      return done({http::AccessVerdict::AskCredentials, {}});
    case auth::AccessVerdict::Throttled:
      return done({http::AccessVerdict::Throttled, std::move(decision.message)});
    case auth::AccessVerdict::Denied:
    case auth::AccessVerdict::AskServer:  // askServer() never answers it
      break;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io, decision.delay);
  timer->async_wait([timer, done](const boost::system::error_code&) {
    done({http::AccessVerdict::Denied, {}});
  });
}

}  // namespace

http::AccessCheck makeHttpAccessCheck(boost::asio::io_context& io, auth::AccessControl& access,
                                      std::string protocol) {
  return [&io, &access, protocol = std::move(protocol)](const http::HttpRequest& request,
                                                        std::string_view action, std::string_view path,
                                                        http::AccessDone done) {
    std::optional<auth::AuthRequest> authRequest = auth::httpAuthRequest(
        request.header("Authorization"), http::remoteIp(request.remoteAddress), action, path);
    if (!authRequest) return done({http::AccessVerdict::Denied, {}});
    // MediaMTX names WebRTC's requests for its authentication server; the API's, metrics' and
    // pprof's have no protocol.
    if (action == http::kActionRead) authRequest->protocol = "webrtc";
    authRequest->query = request.query;
    // Users are read from the configuration in force at each request, so a reload or an API
    // patch of authInternalUsers applies at once.
    auth::AccessDecision decision = access.check(*authRequest, protocol);
    if (decision.verdict == auth::AccessVerdict::AskServer) {
      return access.askServer(
          io, *authRequest, protocol,
          [&io, done = std::move(done)](auth::AccessDecision d) { answer(io, std::move(d), done); });
    }
    answer(io, std::move(decision), done);
  };
}

}  // namespace sluice::app
