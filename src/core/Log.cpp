#include "core/Log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

#include "core/JsonText.h"

namespace sluice::log {
namespace {
std::atomic<int> gLevel{static_cast<int>(Level::Info)};
std::atomic<bool> gStructured{false};
std::shared_ptr<spdlog::logger> gLogger;
std::once_flag gDefaultOnce;

const char* tag(Level l) {
  switch (l) {
    case Level::Debug:
      return "DEB";
    case Level::Info:
      return "INF";
    case Level::Warn:
      return "WAR";
    case Level::Error:
      return "ERR";
  }
  return "INF";
}

void ensureLogger() {
  std::call_once(gDefaultOnce, [] {
    if (!gLogger) {
      gLogger = std::make_shared<spdlog::logger>("sluice", std::make_shared<spdlog::sinks::stdout_sink_mt>());
      gLogger->set_pattern("%Y/%m/%d %H:%M:%S %v");
      gLogger->flush_on(spdlog::level::trace);
    }
  });
}

}  // namespace

bool parseLevel(std::string_view t, Level& out) {
  if (t == "debug")
    out = Level::Debug;
  else if (t == "info")
    out = Level::Info;
  else if (t == "warn")
    out = Level::Warn;
  else if (t == "error")
    out = Level::Error;
  else
    return false;
  return true;
}

void setLevel(Level l) { gLevel.store(static_cast<int>(l), std::memory_order_relaxed); }
Level level() { return static_cast<Level>(gLevel.load(std::memory_order_relaxed)); }

void init(const Options& o) {
  std::vector<spdlog::sink_ptr> sinks;
  if (o.toStdout) sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  if (!o.file.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(std::string(o.file)));
  if (o.toSyslog) {
    // openlog keeps the pointer: the ident must outlive the process's logging.
    static std::string ident;
    ident = std::string(o.syslogIdent);
    sinks.push_back(std::make_shared<spdlog::sinks::syslog_sink_mt>(ident, LOG_PID, LOG_DAEMON, false));
  }
  auto logger = std::make_shared<spdlog::logger>("sluice", sinks.begin(), sinks.end());
  logger->set_pattern(o.structured ? "%v" : "%Y/%m/%d %H:%M:%S %v");
  logger->flush_on(spdlog::level::trace);
  ensureLogger();
  gLogger = logger;
  gStructured = o.structured;
  setLevel(o.level);
}

void write(Level l, std::string_view message) {
  ensureLogger();
  if (gStructured) {
    auto now = std::chrono::system_clock::now();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
    time_t secs = static_cast<time_t>(us / 1000000);
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char ts[64];
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%06dZ", static_cast<int>(us % 1000000));
    gLogger->info("{{\"timestamp\":\"{}\",\"level\":\"{}\",\"message\":\"{}\"}}", ts, tag(l),
                  core::jsonEscape(message));
  } else {
    gLogger->info("{} {}", tag(l), message);
  }
}

bool RateLimit::allow(uint64_t& suppressed) {
  auto now = std::chrono::steady_clock::now();
  if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
    ++count_;
    return false;
  }
  last_ = now;
  suppressed = count_;
  count_ = 0;
  return true;
}

}  // namespace sluice::log
