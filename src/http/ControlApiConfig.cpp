// The /v3/config/* routes. The backend owns the configuration model (validation, hot
// reload); this file only checks that bodies are JSON objects, paginates the path list
// and maps results to MediaMTX's statuses.
#include <algorithm>
#include <string>

#include "http/ApiJson.h"
#include "http/ApiQuery.h"
#include "http/ControlApiRoutes.h"

namespace sluice::http {
namespace {

constexpr std::string_view kPathNotFound = "path configuration not found";

// MediaMTX decodes the body into a struct, so anything but an object is a 400.
bool checkObjectBody(const std::string& body, std::string& error) {
  try {
    const Json parsed = Json::parse(body);
    if (!parsed.is_object()) {
      error = "invalid JSON: expected an object";
      return false;
    }
    return true;
  } catch (const Json::exception& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag: clients want the reason.
    std::string what = e.what();
    const size_t tag = what.find("] ");
    error = "invalid JSON: " + (tag == std::string::npos ? what : what.substr(tag + 2));
    return false;
  }
}

// Backend JSON is re-encoded, so a broken backend yields a 500 rather than a bad body.
HttpResponse backendJson(const std::string& text, bool wantArray = false) {
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || (wantArray ? !parsed.is_array() : !parsed.is_object())) {
    return apiError(500, "invalid configuration JSON");
  }
  return jsonResponse(200, parsed);
}

HttpResponse mutationResponse(int status, const std::string& error) {
  if (status >= 200 && status < 300 && error.empty()) return apiOk();
  if (!error.empty()) return apiError(status, error);
  if (status == 404) return apiError(404, kPathNotFound);
  return apiError(status, status == 400 ? "bad request" : "internal error");
}

std::string nameOf(const Json& item) {
  auto it = item.find("name");
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

HttpResponse ControlApiRoutes::configRoute(const HttpRequest& request, const ApiRoute& match) {
  std::string error;
  switch (match.id) {
    case ApiRouteId::ConfigGlobalGet:
      return backendJson(app_.configGlobalJson());
    case ApiRouteId::ConfigPathDefaultsGet:
      return backendJson(app_.configPathDefaultsJson());
    case ApiRouteId::ConfigGlobalPatch:
    case ApiRouteId::ConfigPathDefaultsPatch: {
      if (!checkObjectBody(request.body, error)) return apiError(400, error);
      const int status = match.id == ApiRouteId::ConfigGlobalPatch
                             ? app_.patchConfigGlobal(request.body, error)
                             : app_.patchConfigPathDefaults(request.body, error);
      return mutationResponse(status, error);
    }
    case ApiRouteId::ConfigPathsList: {
      Json all = Json::parse(app_.configPathsJson(), nullptr, false);
      if (all.is_discarded() || !all.is_array()) return apiError(500, "invalid configuration JSON");
      std::stable_sort(all.begin(), all.end(),
                       [](const Json& a, const Json& b) { return nameOf(a) < nameOf(b); });
      PageSlice page;
      if (!paginate(all.size(), queryParam(request.query, "itemsPerPage"), queryParam(request.query, "page"),
                    page, error)) {
        return apiError(400, error);
      }
      Json items = Json::array();
      for (size_t i = page.first; i < page.last; ++i) items.push_back(std::move(all[i]));
      return jsonResponse(200,
                          Json{{"itemCount", all.size()}, {"pageCount", page.pageCount}, {"items", items}});
    }
    default:
      break;
  }

  // The remaining routes take a {name}.
  if (match.param.empty()) return apiError(400, "invalid name");
  const std::string& name = match.param;
  switch (match.id) {
    case ApiRouteId::ConfigPathsGet: {
      std::optional<std::string> text = app_.configPathJson(name);
      if (!text) return apiError(404, kPathNotFound);
      return backendJson(*text);
    }
    case ApiRouteId::ConfigPathsDelete:
      return mutationResponse(app_.deleteConfigPath(name, error), error);
    case ApiRouteId::ConfigPathsAdd:
    case ApiRouteId::ConfigPathsPatch:
    case ApiRouteId::ConfigPathsReplace: {
      if (!checkObjectBody(request.body, error)) return apiError(400, error);
      int status = 500;
      if (match.id == ApiRouteId::ConfigPathsAdd) status = app_.addConfigPath(name, request.body, error);
      if (match.id == ApiRouteId::ConfigPathsPatch) status = app_.patchConfigPath(name, request.body, error);
      if (match.id == ApiRouteId::ConfigPathsReplace)
        status = app_.replaceConfigPath(name, request.body, error);
      return mutationResponse(status, error);
    }
    default:
      return notFoundResponse();
  }
}

}  // namespace sluice::http
