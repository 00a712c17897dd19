#include "http/CpuProfiler.h"

#include <gperftools/profiler.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "core/Log.h"

namespace sluice::http {
namespace {

// The profiler is one per process; so is this flag, across every CpuProfiler.
std::atomic<bool> gProfiling{false};

// mkstemp reserves a unique name; ProfilerStart then reopens it by name.
bool makeTempFile(std::string& path) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/sluice-cpu-XXXXXX.prof";
  int fd = mkstemps(pattern.data(), 5);
  if (fd < 0) return false;
  ::close(fd);
  path = std::move(pattern);
  return true;
}

}  // namespace

struct CpuProfiler::Job {
  explicit Job(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
  std::string file;
  HttpResponder respond;
  bool active = false;

  // Stops sampling and releases the process-wide slot. Returns the profile bytes.
  bool finish(std::string& data) {
    if (!active) return false;
    active = false;
    ProfilerStop();  // flushes the remaining samples and the memory map into `file`
    std::ifstream in(file, std::ios::binary);
    const bool ok = static_cast<bool>(in);
    if (ok) data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    ::unlink(file.c_str());
    gProfiling = false;
    return ok;
  }
};

CpuProfiler::CpuProfiler(boost::asio::io_context& io) : io_(io) {}

CpuProfiler::~CpuProfiler() {
  if (!job_) return;
  try {
    std::string ignored;
    job_->finish(ignored);
    job_->timer.cancel();
  } catch (...) {  // the profile is lost either way; a destructor must not throw
  }
}

bool CpuProfiler::running() const { return job_ && job_->active; }

void CpuProfiler::profile(int seconds, HttpResponder respond) {
  ProfilerState state{};
  ProfilerGetCurrentState(&state);
  bool expected = false;
  if (state.enabled || !gProfiling.compare_exchange_strong(expected, true)) {
    return respond(jsonErrorResponse(409, "a CPU profile is already being recorded; try again when it ends"));
  }
  auto job = std::make_shared<Job>(io_);
  if (!makeTempFile(job->file)) {
    gProfiling = false;
    return respond(jsonErrorResponse(500, "cannot create a temporary file for the CPU profile"));
  }
  if (!ProfilerStart(job->file.c_str())) {
    ::unlink(job->file.c_str());
    gProfiling = false;
    return respond(jsonErrorResponse(500, "the CPU profiler failed to start"));
  }
  log::info("[pprof] recording a {} s CPU profile", seconds);
  job->active = true;
  job->respond = std::move(respond);
  job_ = job;
  job->timer.expires_after(std::chrono::seconds(seconds));
  job->timer.async_wait([job](const boost::system::error_code&) {
    std::string data;
    if (!job->active) return;  // the profiler was torn down first
    if (!job->finish(data)) {
      return job->respond(jsonErrorResponse(500, "cannot read the CPU profile back"));
    }
    HttpResponse res = textResponse(200, "application/octet-stream", std::move(data));
    res.setHeader("Content-Disposition", "attachment; filename=\"profile\"");
    res.setHeader("X-Content-Type-Options", "nosniff");
    job->respond(std::move(res));
  });
}

}  // namespace sluice::http
