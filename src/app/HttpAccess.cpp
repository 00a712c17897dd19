#include "app/HttpAccess.h"

#include "app/App.h"
#include "auth/HttpAuth.h"

namespace sluice::app {

http::AccessCheck makeHttpAccessCheck(App& app) {
  // Reads the users of the configuration in force at each request, so a reload or an API
  // patch of authInternalUsers applies at once.
  return [&app](const http::HttpRequest& request, std::string_view action) {
    auto manager = app.auth();
    return auth::authenticateHttp(*manager, request.header("Authorization"),
                                  http::remoteIp(request.remoteAddress), action) == auth::AuthResult::Ok;
  };
}

}  // namespace sluice::app
