#pragma once
// The pprof listener (pprofAddress, :9999) under MediaMTX's /debug/pprof/ prefix. Go's
// profiles can't be reproduced, so each endpoint serves the C++ equivalent:
//   profile?seconds=N  gperftools CPU profile (google-pprof / go tool pprof read it)
//   heap, allocs       tcmalloc heap sample, or a glibc malloc report in text
//   goroutine, threads, threadcreate   text dump of the OS threads (/proc/self/task)
//   cmdline            the command line, NUL-separated like Go's
// Recommended operator command (symbols come from the binary, no /symbol endpoint needed):
//   google-pprof --text /usr/bin/sluice http://127.0.0.1:9999/debug/pprof/profile?seconds=15
#include <string>
#include <string_view>

#include "http/AccessGate.h"
#include "http/CpuProfiler.h"
#include "http/HttpMessage.h"

namespace sluice::http {

// Parses ?seconds= like Go (default 30 when absent) but rejects what Go would silently
// replace: non-numbers and values outside [kMinProfileSeconds, kMaxProfileSeconds].
bool parseProfileSeconds(std::string_view rawQuery, int& seconds, std::string& error);

// The thread dump served for goroutine/threads, from /proc/self/task.
std::string threadDumpText();

class PprofRoutes {
 public:
  PprofRoutes(boost::asio::io_context& io, AccessCheck access = loopbackOnlyAccess())
      : profiler_(io), access_(std::move(access)) {}

  void handle(const HttpRequest& request, HttpResponder respond);
  HttpHandler handler() {
    return [this](const HttpRequest& request, HttpResponder respond) { handle(request, std::move(respond)); };
  }

  bool profiling() const { return profiler_.running(); }

 private:
  void route(const HttpRequest& request, HttpResponder respond);  // once access is granted
  CpuProfiler profiler_;
  AccessCheck access_;
};

}  // namespace sluice::http
