#include "app/HttpAccess.h"

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <utility>

#include "auth/HttpAuth.h"

namespace sluice::app {

http::AccessCheck makeHttpAccessCheck(boost::asio::io_context& io, auth::AccessControl& access,
                                      std::string protocol) {
  return [&io, &access, protocol = std::move(protocol)](const http::HttpRequest& request,
                                                        std::string_view action, std::string_view path,
                                                        http::AccessDone done) {
    std::optional<auth::AuthRequest> authRequest = auth::httpAuthRequest(
        request.header("Authorization"), http::remoteIp(request.remoteAddress), action, path);
    if (!authRequest) return done({http::AccessVerdict::Denied, {}});
    // Users are read from the configuration in force at each request, so a reload or an API
    // patch of authInternalUsers applies at once.
    auth::AccessDecision decision = access.check(*authRequest, protocol);
    switch (decision.verdict) {
      case auth::AccessVerdict::Allowed:
        return done({http::AccessVerdict::Allowed, {}});
      case auth::AccessVerdict::AskCredentials:
        return done({http::AccessVerdict::AskCredentials, {}});
      case auth::AccessVerdict::Throttled:
        return done({http::AccessVerdict::Throttled, std::move(decision.message)});
      case auth::AccessVerdict::Denied:
        break;
    }
    // The pause: a timer on the control loop; the thread serves other requests meanwhile.
    auto timer = std::make_shared<boost::asio::steady_timer>(io, decision.delay);
    timer->async_wait([timer, done = std::move(done)](const boost::system::error_code&) {
      done({http::AccessVerdict::Denied, {}});
    });
  };
}

}  // namespace sluice::app
