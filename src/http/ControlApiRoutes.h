#pragma once
// The control API v3 listener (apiAddress, :9997) with MediaMTX's routes, JSON fields,
// pagination and error statuses. Paths, sessions and the configuration belong to the
// app, reached through ControlApiBackend; who may call is decided by an AccessCheck.
#include <cstddef>
#include <string>
#include <string_view>

#include "http/AccessGate.h"
#include "http/ControlApiBackend.h"
#include "http/HttpMessage.h"

namespace sluice::http {

// MediaMTX reads config bodies up to 10 MiB; give the API's HttpServer this bodyLimit.
inline constexpr size_t kControlApiBodyLimit = size_t{10} * 1024 * 1024;

enum class ApiRouteId {
  None,
  Info,
  ConfigGlobalGet,
  ConfigGlobalPatch,
  ConfigPathDefaultsGet,
  ConfigPathDefaultsPatch,
  ConfigPathsList,
  ConfigPathsGet,
  ConfigPathsAdd,
  ConfigPathsPatch,
  ConfigPathsReplace,
  ConfigPathsDelete,
  PathsList,
  PathsGet,
  RtspConnsList,
  RtspConnsGet,
  RtspSessionsList,
  RtspSessionsGet,
  RtspSessionsKick,
  RtspsConnsList,
  RtspsConnsGet,
  RtspsSessionsList,
  RtspsSessionsGet,
  RtspsSessionsKick,
  WebrtcSessionsList,
  WebrtcSessionsGet,
  WebrtcSessionsKick,
};

struct ApiRoute {
  ApiRouteId id = ApiRouteId::None;
  std::string_view method;  // the one method the route answers (GET also takes HEAD)
  std::string param;        // {name} (may contain '/', may be empty) or {id}
};

// Matches a decoded URL path against the route table. {name} is a wildcard like gin's
// "*name"; {id} is one non-empty segment like ":id".
ApiRoute matchApiRoute(std::string_view path);

class ControlApiRoutes {
 public:
  explicit ControlApiRoutes(ControlApiBackend& app, AccessCheck access = loopbackOnlyAccess())
      : app_(app), access_(std::move(access)) {}

  void handle(const HttpRequest& request, HttpResponder respond);
  // Adapter for HttpServer. The routes object must outlive the server's use of it.
  HttpHandler handler() {
    return [this](const HttpRequest& request, HttpResponder respond) { handle(request, std::move(respond)); };
  }

 private:
  HttpResponse dispatch(const HttpRequest& request);
  HttpResponse route(const HttpRequest& request, const ApiRoute& route);
  HttpResponse configRoute(const HttpRequest& request, const ApiRoute& route);
  HttpResponse sessionRoute(const HttpRequest& request, const ApiRoute& route);

  ControlApiBackend& app_;
  AccessCheck access_;
};

}  // namespace sluice::http
