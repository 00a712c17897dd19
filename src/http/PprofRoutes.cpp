#include "http/PprofRoutes.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "http/ApiQuery.h"
#include "http/HeapReport.h"
#include "http/ProcStats.h"

namespace sluice::http {
namespace {

constexpr std::string_view kPrefix = "/debug/pprof/";

constexpr std::string_view kIndex =
    "<html><head><title>/debug/pprof/</title></head><body>\n"
    "<p>Sluice profiles, at MediaMTX's /debug/pprof/ addresses.</p>\n"
    "<table>\n"
    "<tr><td><a href=\"profile?seconds=30\">profile</a></td><td>CPU profile (gperftools), "
    "?seconds=1..300, default 30. Read it with: google-pprof --text /path/to/sluice "
    "&lt;file&gt;</td></tr>\n"
    "<tr><td><a href=\"heap\">heap</a></td><td>tcmalloc heap sample when tcmalloc is loaded, else glibc "
    "malloc statistics (text); ?debug=1 for text</td></tr>\n"
    "<tr><td><a href=\"allocs\">allocs</a></td><td>same as heap</td></tr>\n"
    "<tr><td><a href=\"goroutine\">goroutine</a></td><td>thread dump: Sluice runs a fixed set of OS "
    "threads, not goroutines</td></tr>\n"
    "<tr><td><a href=\"threads\">threads</a></td><td>same thread dump</td></tr>\n"
    "<tr><td><a href=\"threadcreate\">threadcreate</a></td><td>same thread dump</td></tr>\n"
    "<tr><td><a href=\"cmdline\">cmdline</a></td><td>command line</td></tr>\n"
    "</table>\n</body></html>\n";

HttpResponse threadsResponse() { return textResponse(200, "text/plain; charset=utf-8", threadDumpText()); }

HttpResponse cmdlineResponse() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string args((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!args.empty() && args.back() == '\0') args.pop_back();
  return textResponse(200, "text/plain; charset=utf-8", std::move(args));
}

HttpResponse heapResponse(const HttpRequest& request) {
  HeapReport report = makeHeapReport(queryParam(request.query, "debug") == "1");
  HttpResponse res = textResponse(200, report.contentType, std::move(report.body));
  res.setHeader("X-Content-Type-Options", "nosniff");
  return res;
}

}  // namespace

bool parseProfileSeconds(std::string_view rawQuery, int& seconds, std::string& error) {
  const std::string text = queryParam(rawQuery, "seconds");
  if (text.empty()) {
    seconds = 30;
    return true;
  }
  int value = 0;
  bool digits = text.size() <= 4;
  for (char c : text) {
    if (c < '0' || c > '9') digits = false;
    if (digits) value = value * 10 + (c - '0');
  }
  if (!digits || value < kMinProfileSeconds || value > kMaxProfileSeconds) {
    error = "invalid seconds " + goQuote(text) + ": must be an integer from " +
            std::to_string(kMinProfileSeconds) + " to " + std::to_string(kMaxProfileSeconds);
    return false;
  }
  seconds = value;
  return true;
}

std::string threadDumpText() {
  const std::vector<ThreadInfo> threads = readThreads();
  std::string out = "Sluice thread dump: " + std::to_string(threads.size()) +
                    " threads (OS threads from /proc/self/task; Sluice has no goroutines)\n\n";
  out += "     tid  state    user_s     sys_s  name\n";
  char line[256];
  for (const ThreadInfo& t : threads) {
    std::snprintf(line, sizeof(line), "%8d  %-5c %9.2f %9.2f  %s\n", t.tid, t.state, t.userSeconds,
                  t.systemSeconds, t.name.c_str());
    out += line;
  }
  return out;
}

void PprofRoutes::handle(const HttpRequest& request, HttpResponder respond) {
  if (isPreflight(request)) return respond(preflightResponse("OPTIONS, GET", "Authorization"));
  // The check may answer later (after the pause of a wrong password): keep the request.
  auto held = std::make_shared<const HttpRequest>(request);
  admit(access_, *held, kActionPprof, {}, std::move(respond),
        [this, held](HttpResponder allowed) { route(*held, std::move(allowed)); });
}

void PprofRoutes::route(const HttpRequest& request, HttpResponder respond) {
  const std::string& path = request.path;
  if (path == "/debug/pprof") {
    // Go's ServeMux sends the prefix without its slash to the slashed form.
    HttpResponse res;
    res.status = 301;
    res.setHeader("Location", request.query.empty() ? "/debug/pprof/" : "/debug/pprof/?" + request.query);
    return respond(std::move(res));
  }
  if (path.compare(0, kPrefix.size(), kPrefix) != 0) return respond(notFoundResponse());
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse res = jsonErrorResponse(405, "method not allowed");
    res.setHeader("Allow", "GET, HEAD");
    return respond(std::move(res));
  }

  const std::string_view name = std::string_view(path).substr(kPrefix.size());
  if (name.empty()) return respond(textResponse(200, "text/html; charset=utf-8", std::string(kIndex)));
  if (name == "profile") {
    int seconds = 0;
    std::string error;
    if (!parseProfileSeconds(request.query, seconds, error)) return respond(jsonErrorResponse(400, error));
    return profiler_.profile(seconds, std::move(respond));
  }
  if (name == "heap" || name == "allocs") return respond(heapResponse(request));
  if (name == "goroutine" || name == "threads" || name == "threadcreate") return respond(threadsResponse());
  if (name == "cmdline") return respond(cmdlineResponse());
  // Go answers unknown names (and block, mutex, trace, symbol, which Sluice lacks) so.
  respond(textResponse(404, "text/plain; charset=utf-8", "Unknown profile\n"));
}

}  // namespace sluice::http
