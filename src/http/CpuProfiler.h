#pragma once
// CPU profiles with gperftools' libprofiler, served like Go's /debug/pprof/profile. The
// profiler samples the whole process with SIGPROF (every thread, including the one
// serving HTTP), writes a legacy-format profile that google-pprof and `go tool pprof`
// read, and is process-wide: one profile at a time.
#include <memory>

#include "http/HttpMessage.h"

namespace boost::asio {
class io_context;
}

namespace sluice::http {

inline constexpr int kMinProfileSeconds = 1;
inline constexpr int kMaxProfileSeconds = 300;

class CpuProfiler {
 public:
  explicit CpuProfiler(boost::asio::io_context& io);
  // Stops a profile still running and deletes its file. Destroy before the io_context.
  ~CpuProfiler();
  CpuProfiler(const CpuProfiler&) = delete;
  CpuProfiler& operator=(const CpuProfiler&) = delete;

  // Profiles for `seconds` (already validated) and then answers with the profile file as
  // application/octet-stream. Waits on a steady_timer, so the io_context keeps serving.
  // Answers at once with 409 when a profile is already running (ours or one started via
  // CPUPROFILE), or 500 when the profiler can't start.
  void profile(int seconds, HttpResponder respond);

  bool running() const;

 private:
  struct Job;
  boost::asio::io_context& io_;
  std::shared_ptr<Job> job_;
};

}  // namespace sluice::http
