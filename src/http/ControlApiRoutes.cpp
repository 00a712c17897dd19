#include "http/ControlApiRoutes.h"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "http/ApiJson.h"
#include "http/ApiQuery.h"

namespace sluice::http {
namespace {

enum class Param { None, Name, Id };

struct RouteSpec {
  std::string_view path;  // after "/v3/"
  Param param;
  std::string_view method;
  ApiRouteId id;
};

constexpr std::array<RouteSpec, 26> kRoutes{{
    {"info", Param::None, "GET", ApiRouteId::Info},
    {"config/global/get", Param::None, "GET", ApiRouteId::ConfigGlobalGet},
    {"config/global/patch", Param::None, "PATCH", ApiRouteId::ConfigGlobalPatch},
    {"config/pathdefaults/get", Param::None, "GET", ApiRouteId::ConfigPathDefaultsGet},
    {"config/pathdefaults/patch", Param::None, "PATCH", ApiRouteId::ConfigPathDefaultsPatch},
    {"config/paths/list", Param::None, "GET", ApiRouteId::ConfigPathsList},
    {"config/paths/get", Param::Name, "GET", ApiRouteId::ConfigPathsGet},
    {"config/paths/add", Param::Name, "POST", ApiRouteId::ConfigPathsAdd},
    {"config/paths/patch", Param::Name, "PATCH", ApiRouteId::ConfigPathsPatch},
    {"config/paths/replace", Param::Name, "POST", ApiRouteId::ConfigPathsReplace},
    {"config/paths/delete", Param::Name, "DELETE", ApiRouteId::ConfigPathsDelete},
    {"paths/list", Param::None, "GET", ApiRouteId::PathsList},
    {"paths/get", Param::Name, "GET", ApiRouteId::PathsGet},
    {"rtspconns/list", Param::None, "GET", ApiRouteId::RtspConnsList},
    {"rtspconns/get", Param::Id, "GET", ApiRouteId::RtspConnsGet},
    {"rtspsessions/list", Param::None, "GET", ApiRouteId::RtspSessionsList},
    {"rtspsessions/get", Param::Id, "GET", ApiRouteId::RtspSessionsGet},
    {"rtspsessions/kick", Param::Id, "POST", ApiRouteId::RtspSessionsKick},
    {"rtspsconns/list", Param::None, "GET", ApiRouteId::RtspsConnsList},
    {"rtspsconns/get", Param::Id, "GET", ApiRouteId::RtspsConnsGet},
    {"rtspssessions/list", Param::None, "GET", ApiRouteId::RtspsSessionsList},
    {"rtspssessions/get", Param::Id, "GET", ApiRouteId::RtspsSessionsGet},
    {"rtspssessions/kick", Param::Id, "POST", ApiRouteId::RtspsSessionsKick},
    {"webrtcsessions/list", Param::None, "GET", ApiRouteId::WebrtcSessionsList},
    {"webrtcsessions/get", Param::Id, "GET", ApiRouteId::WebrtcSessionsGet},
    {"webrtcsessions/kick", Param::Id, "POST", ApiRouteId::WebrtcSessionsKick},
}};

bool isRtspRoute(ApiRouteId id) {
  return id == ApiRouteId::RtspConnsList || id == ApiRouteId::RtspConnsGet ||
         id == ApiRouteId::RtspSessionsList || id == ApiRouteId::RtspSessionsGet ||
         id == ApiRouteId::RtspSessionsKick;
}

bool isRtspsRoute(ApiRouteId id) {
  return id == ApiRouteId::RtspsConnsList || id == ApiRouteId::RtspsConnsGet ||
         id == ApiRouteId::RtspsSessionsList || id == ApiRouteId::RtspsSessionsGet ||
         id == ApiRouteId::RtspsSessionsKick;
}

bool isWebrtcRoute(ApiRouteId id) {
  return id == ApiRouteId::WebrtcSessionsList || id == ApiRouteId::WebrtcSessionsGet ||
         id == ApiRouteId::WebrtcSessionsKick;
}

// Sessions come from hash maps in the app; a fixed order keeps pages stable between
// requests (MediaMTX iterates Go maps, so its order is random).
template <class T>
void sortSessions(std::vector<T>& items) {
  std::stable_sort(items.begin(), items.end(), [](const T& a, const T& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
}

template <class T>
HttpResponse listResponse(const HttpRequest& request, const std::vector<T>& items) {
  PageSlice page;
  std::string error;
  if (!paginate(items.size(), queryParam(request.query, "itemsPerPage"), queryParam(request.query, "page"),
                page, error)) {
    return apiError(400, error);
  }
  Json out = Json::array();
  for (size_t i = page.first; i < page.last; ++i) out.push_back(toJson(items[i]));
  return jsonResponse(200, Json{{"itemCount", items.size()}, {"pageCount", page.pageCount}, {"items", out}});
}

template <class T>
HttpResponse itemResponse(const std::optional<T>& item, std::string_view notFound) {
  if (!item) return apiError(404, notFound);
  return jsonResponse(200, toJson(*item));
}

HttpResponse statusResponse(int status, const std::string& error, std::string_view notFound) {
  if (status >= 200 && status < 300 && error.empty()) return apiOk();
  if (!error.empty()) return apiError(status, error);
  if (status == 404) return apiError(404, notFound);
  return apiError(status, status == 400 ? "bad request" : "internal error");
}

}  // namespace

ApiRoute matchApiRoute(std::string_view path) {
  ApiRoute route;
  constexpr std::string_view kPrefix = "/v3/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return route;
  const std::string_view rest = path.substr(kPrefix.size());
  for (const RouteSpec& spec : kRoutes) {
    if (rest.substr(0, spec.path.size()) != spec.path) continue;
    const std::string_view tail = rest.substr(spec.path.size());
    bool match = false;
    switch (spec.param) {
      case Param::None:
        match = tail.empty();
        break;
      case Param::Name:
        // gin's "*name" also catches ".../get" and ".../get/"; both give "invalid name".
        match = tail.empty() || tail.front() == '/';
        if (match && !tail.empty()) route.param.assign(tail.substr(1));
        break;
      case Param::Id:
        match = tail.size() > 1 && tail.front() == '/' && tail.find('/', 1) == std::string_view::npos;
        if (match) route.param.assign(tail.substr(1));
        break;
    }
    if (!match) {
      route.param.clear();
      continue;
    }
    route.id = spec.id;
    route.method = spec.method;
    return route;
  }
  return route;
}

void ControlApiRoutes::handle(const HttpRequest& request, HttpResponder respond) {
  if (isPreflight(request)) {
    return respond(preflightResponse("OPTIONS, GET, POST, PATCH, DELETE", "Authorization, Content-Type"));
  }
  // The check may answer later (after the pause of a wrong password): keep the request.
  auto held = std::make_shared<const HttpRequest>(request);
  admit(access_, *held, kActionApi, {}, std::move(respond),
        [this, held](const HttpResponder& allowed) { allowed(dispatch(*held)); });
}

HttpResponse ControlApiRoutes::dispatch(const HttpRequest& request) {
  const ApiRoute match = matchApiRoute(request.path);
  if (match.id == ApiRouteId::None) return notFoundResponse();
  if ((isRtspRoute(match.id) && !app_.rtspEnabled()) || (isRtspsRoute(match.id) && !app_.rtspsEnabled()) ||
      (isWebrtcRoute(match.id) && !app_.webrtcEnabled())) {
    return notFoundResponse();  // like MediaMTX, whose router lacks these routes then
  }
  const bool methodOk = request.method == match.method || (match.method == "GET" && request.method == "HEAD");
  if (!methodOk) {
    // MediaMTX (gin) answers a wrong method with its 404 page; a 405 naming the right
    // method is more useful and is what the spec of this project asks for.
    HttpResponse res = apiError(405, "method not allowed");
    res.setHeader("Allow", match.method == "GET" ? "GET, HEAD" : std::string(match.method));
    return res;
  }
  return route(request, match);
}

HttpResponse ControlApiRoutes::route(const HttpRequest& request, const ApiRoute& match) {
  switch (match.id) {
    case ApiRouteId::Info:
      return jsonResponse(200, toJson(app_.info()));
    case ApiRouteId::PathsList: {
      std::vector<PathItem> paths = app_.paths();
      std::stable_sort(paths.begin(), paths.end(),
                       [](const PathItem& a, const PathItem& b) { return a.name < b.name; });
      return listResponse(request, paths);
    }
    case ApiRouteId::PathsGet:
      if (match.param.empty()) return apiError(400, "invalid name");
      return itemResponse(app_.path(match.param), "path not found");
    case ApiRouteId::RtspConnsList:
    case ApiRouteId::RtspConnsGet:
    case ApiRouteId::RtspSessionsList:
    case ApiRouteId::RtspSessionsGet:
    case ApiRouteId::RtspSessionsKick:
    case ApiRouteId::RtspsConnsList:
    case ApiRouteId::RtspsConnsGet:
    case ApiRouteId::RtspsSessionsList:
    case ApiRouteId::RtspsSessionsGet:
    case ApiRouteId::RtspsSessionsKick:
    case ApiRouteId::WebrtcSessionsList:
    case ApiRouteId::WebrtcSessionsGet:
    case ApiRouteId::WebrtcSessionsKick:
      return sessionRoute(request, match);
    case ApiRouteId::None:
      return notFoundResponse();
    default:
      return configRoute(request, match);
  }
}

HttpResponse ControlApiRoutes::sessionRoute(const HttpRequest& request, const ApiRoute& match) {
  if (match.id == ApiRouteId::RtspConnsList || match.id == ApiRouteId::RtspsConnsList) {
    std::vector<RtspConnItem> items =
        match.id == ApiRouteId::RtspConnsList ? app_.rtspConns() : app_.rtspsConns();
    sortSessions(items);
    return listResponse(request, items);
  }
  if (match.id == ApiRouteId::RtspSessionsList || match.id == ApiRouteId::RtspsSessionsList) {
    std::vector<RtspSessionItem> items =
        match.id == ApiRouteId::RtspSessionsList ? app_.rtspSessions() : app_.rtspsSessions();
    sortSessions(items);
    return listResponse(request, items);
  }
  if (match.id == ApiRouteId::WebrtcSessionsList) {
    std::vector<WebrtcSessionItem> items = app_.webrtcSessions();
    sortSessions(items);
    return listResponse(request, items);
  }

  std::string id, error;
  if (!parseUuidParam(match.param, id, error)) return apiError(400, error);
  switch (match.id) {
    case ApiRouteId::RtspConnsGet:
      return itemResponse(app_.rtspConn(id), "connection not found");
    case ApiRouteId::RtspSessionsGet:
      return itemResponse(app_.rtspSession(id), "session not found");
    case ApiRouteId::RtspsConnsGet:
      return itemResponse(app_.rtspsConn(id), "connection not found");
    case ApiRouteId::RtspsSessionsGet:
      return itemResponse(app_.rtspsSession(id), "session not found");
    case ApiRouteId::WebrtcSessionsGet:
      return itemResponse(app_.webrtcSession(id), "session not found");
    case ApiRouteId::RtspSessionsKick: {
      const int status = app_.kickRtspSession(id, error);
      return statusResponse(status, error, "session not found");
    }
    case ApiRouteId::RtspsSessionsKick: {
      const int status = app_.kickRtspsSession(id, error);
      return statusResponse(status, error, "session not found");
    }
    case ApiRouteId::WebrtcSessionsKick: {
      const int status = app_.kickWebrtcSession(id, error);
      return statusResponse(status, error, "session not found");
    }
    default:
      return notFoundResponse();
  }
}

}  // namespace sluice::http
