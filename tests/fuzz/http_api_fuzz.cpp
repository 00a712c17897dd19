// module: http
// Feeds arbitrary request targets and bodies through the control API's route matcher,
// query parsing (page/itemsPerPage, names, session ids) and full dispatch, and through
// /metrics with arbitrary filters, against a stub app with awkward names. Input:
// "<selector byte><target>\n<body>"; the selector picks the method and client address.
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "http/ApiQuery.h"
#include "http/ControlApiRoutes.h"
#include "http/HttpText.h"
#include "http/MetricsRoutes.h"
#include "http/MetricsText.h"
#include "http/ProcStats.h"

using namespace sluice::http;

namespace {

class StubApp : public ControlApiBackend, public MetricsBackend {
 public:
  ApiInfo info() override { return {"v0", WallTime{}}; }
  std::string configGlobalJson() override { return R"({"logLevel":"info"})"; }
  int patchConfigGlobal(const std::string& json, std::string& error) override { return verdict(json, error); }
  std::string configPathDefaultsJson() override { return "{}"; }
  int patchConfigPathDefaults(const std::string& json, std::string& error) override {
    return verdict(json, error);
  }
  std::string configPathsJson() override { return R"([{"name":"z"},{"name":"a/b"},{"x":1}])"; }
  std::optional<std::string> configPathJson(const std::string& name) override {
    if (name.size() % 2) return std::nullopt;
    return name.size() % 4 ? "[" : R"({"name":"x"})";  // sometimes broken: must become a 500
  }
  int addConfigPath(const std::string& name, const std::string& json, std::string& error) override {
    return verdict(name + json, error);
  }
  int patchConfigPath(const std::string& name, const std::string& json, std::string& error) override {
    return verdict(json + name, error);
  }
  int replaceConfigPath(const std::string& name, const std::string& json, std::string& error) override {
    return verdict(name, error);
  }
  int deleteConfigPath(const std::string& name, std::string& error) override { return verdict(name, error); }

  std::vector<PathItem> paths() override {
    PathItem a;
    a.name = "cam";
    a.ready = true;
    a.readyTime = WallTime{};
    a.readers = {{"webRTCSession", "x"}, {"rtspSession", "y"}};
    a.tracks = {{"H264", {{"width", int64_t{1}}}}};
    PathItem b;
    b.name = "bad\"name\xff<&>\n";
    return {b, a, a};
  }
  std::vector<WebrtcSessionItem> webrtcSessions() override {
    WebrtcSessionItem s;
    s.id = "00000000-0000-4000-8000-000000000000";
    s.path = "p\"\\";
    s.inboundRtpPacketsJitter = 1e300;
    return {s};
  }
  int kickWebrtcSession(const std::string& id, std::string& error) override {
    if (id.size() != 36) std::abort();  // the routes validate first
    return verdict(id, error);
  }
  SluiceCounters sluiceCounters() override {
    SluiceCounters c;
    c.paths = {{"cam", 1, 2}, {"x\"", 3, 4}};
    c.extra = {{"sluice_x", {{"k", "v\n"}}, -0.0, true}};
    return c;
  }

 private:
  static int verdict(const std::string& text, std::string& error) {
    static const int kStatuses[] = {200, 400, 404, 500, 201, 0, 700};
    const size_t pick = text.size() % 7;
    if (text.size() % 3 == 0) error = text;  // echoes request bytes into the error
    return kStatuses[pick];
  }
};

void checkResponse(const HttpResponse& r) {
  if (r.status < 100 || r.status > 599) std::abort();
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || value.find_first_of("\r\n") != std::string::npos) std::abort();
  }
  if (r.header("Content-Type").rfind("application/json", 0) == 0) {
    // Strict parse: also proves the body is valid UTF-8.
    if (!nlohmann::json::accept(r.body)) std::abort();
  }
}

void checkMetricsText(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) std::abort();  // every line ends with '\n'
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t i = 0;
    while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) ++i;
    if (i == 0) std::abort();
    if (i < line.size() && line[i] == '{') {
      // Label values are escaped, so the first unescaped '}' after a '"' closes the set.
      bool quoted = false;
      for (++i; i < line.size(); ++i) {
        if (quoted && line[i] == '\\') {
          ++i;
          continue;
        }
        if (line[i] == '"') quoted = !quoted;
        if (!quoted && line[i] == '}') break;
      }
      if (i == line.size()) std::abort();
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') std::abort();
    std::string_view value = line.substr(i + 1);
    if (value.empty() || value.find_first_not_of("0123456789.-+InfNa") != std::string_view::npos)
      std::abort();
  }
}

void checkPagination(std::string_view query) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{1000}}) {
    PageSlice page;
    std::string error;
    const std::string perPageText = queryParam(query, "itemsPerPage");
    if (!paginate(count, perPageText, queryParam(query, "page"), page, error)) {
      if (error.empty()) std::abort();
      continue;
    }
    const size_t perPage = perPageText.empty() ? 100 : std::stoul(perPageText);
    if (page.first > page.last || page.last > count || page.last - page.first > perPage) std::abort();
    if (count == 0 ? page.pageCount != 0 : page.pageCount != (count + perPage - 1) / perPage) std::abort();
  }
}

void checkRoute(std::string_view path) {
  const ApiRoute route = matchApiRoute(path);
  if (route.id == ApiRouteId::None) return;
  if (path.substr(0, 4) != "/v3/" || route.method.empty()) std::abort();
  if (!route.param.empty() && path.substr(path.size() - route.param.size()) != route.param) std::abort();
  std::string canonical, again, error;
  if (parseUuidParam(route.param, canonical, error)) {
    if (canonical.size() != 36 || !parseUuidParam(canonical, again, error) || again != canonical)
      std::abort();
  } else if (error.empty()) {
    std::abort();
  }
}

template <class Routes>
void dispatch(Routes& routes, const HttpRequest& request) {
  int answers = 0;
  {
    HttpResponder respond([&](HttpResponse r) {
      ++answers;
      checkResponse(r);
    });
    routes.handle(request, respond);
  }
  if (answers != 1) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kMethods[] = {"GET", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS", "PUT", "GET"};
  const uint8_t selector = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t newline = input.find('\n');
  const std::string_view target = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  HttpRequest request;
  request.method = kMethods[selector & 7];
  request.target.assign(target);
  request.body.assign(body);
  request.remoteAddress = (selector & 8) ? "203.0.113.1:5" : "127.0.0.1:5";
  if (selector & 16) request.headers.emplace_back("Access-Control-Request-Method", "GET");
  if (!splitRequestTarget(target, request.path, request.query)) return 0;

  checkPagination(request.query);
  if (goQuote(input).find_first_of("\r\n") != std::string::npos) std::abort();
  if (request.path.empty() || request.path[0] != '/') return 0;  // the server answers 400 itself
  checkRoute(request.path);

  StubApp app;
  ControlApiRoutes api(app);
  dispatch(api, request);

  MetricsRoutes metrics(app, &app);
  HttpRequest metricsRequest = request;
  metricsRequest.path = "/metrics";
  metricsRequest.method = "GET";
  metricsRequest.headers.clear();
  metricsRequest.remoteAddress = "127.0.0.1:5";
  HttpResponse text;
  {
    HttpResponder respond([&](HttpResponse r) { text = std::move(r); });
    metrics.handle(metricsRequest, respond);
  }
  if (text.status != 200) std::abort();
  checkMetricsText(text.body);

  ProcStat stat;
  parseProcStat(body, stat);
  return 0;
}
