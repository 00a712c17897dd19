#include "http/MetricsRoutes.h"

#include <algorithm>
#include <memory>

#include "http/MetricsText.h"

namespace sluice::http {
namespace {

template <class T>
void sortById(std::vector<T>& items) {
  std::stable_sort(items.begin(), items.end(), [](const T& a, const T& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
}

}  // namespace

void MetricsRoutes::handle(const HttpRequest& request, HttpResponder respond) {
  if (isPreflight(request)) return respond(preflightResponse("OPTIONS, GET", "Authorization"));
  // The check may answer later (after the pause of a wrong password): keep the request.
  auto held = std::make_shared<const HttpRequest>(request);
  admit(access_, *held, kActionMetrics, {}, std::move(respond),
        [this, held](const HttpResponder& allowed) { route(*held, allowed); });
}

void MetricsRoutes::route(const HttpRequest& request, const HttpResponder& respond) {
  if (request.path != "/metrics") return respond(notFoundResponse());
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse res = jsonErrorResponse(405, "method not allowed");
    res.setHeader("Allow", "GET, HEAD");
    return respond(std::move(res));
  }
  respond(metrics(request));
}

HttpResponse MetricsRoutes::metrics(const HttpRequest& request) {
  const MetricsFilter filter = parseMetricsFilter(request.query);
  MetricsSnapshot snap;
  // Only ask the app for what the filter can show: a scrape every few seconds of 64
  // cameras' sessions is cheap, but there is no reason to build lists nobody prints.
  const bool all = filter.type.empty();
  if (all || filter.type == "paths") {
    snap.paths = app_.paths();
    std::stable_sort(snap.paths.begin(), snap.paths.end(),
                     [](const PathItem& a, const PathItem& b) { return a.name < b.name; });
  }
  snap.rtspEnabled = app_.rtspEnabled();
  if (snap.rtspEnabled && (all || filter.type == "rtsp_conns")) {
    snap.rtspConns = app_.rtspConns();
    sortById(snap.rtspConns);
  }
  if (snap.rtspEnabled && (all || filter.type == "rtsp_sessions")) {
    snap.rtspSessions = app_.rtspSessions();
    sortById(snap.rtspSessions);
  }
  snap.rtspsEnabled = app_.rtspsEnabled();
  if (snap.rtspsEnabled && (all || filter.type == "rtsps_conns")) {
    snap.rtspsConns = app_.rtspsConns();
    sortById(snap.rtspsConns);
  }
  if (snap.rtspsEnabled && (all || filter.type == "rtsps_sessions")) {
    snap.rtspsSessions = app_.rtspsSessions();
    sortById(snap.rtspsSessions);
  }
  snap.webrtcEnabled = app_.webrtcEnabled();
  if (snap.webrtcEnabled && (all || filter.type == "webrtc_sessions")) {
    snap.webrtcSessions = app_.webrtcSessions();
    sortById(snap.webrtcSessions);
  }
  if (all || filter.type == "sluice") {
    ProcessStats process;
    if (readProcessStats(process)) snap.process = process;
    if (sluice_) snap.sluice = sluice_->sluiceCounters();
  }
  // What Go's content sniffing gives MediaMTX's answer; Prometheus accepts it.
  return textResponse(200, "text/plain; charset=utf-8", renderMetrics(snap, filter));
}

}  // namespace sluice::http
