#pragma once
// Logging in MediaMTX's plain format: "2006/01/02 15:04:05 INF [Module] message".
// Thin wrapper over spdlog so that callers never build a string when the level is off.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <string_view>

namespace sluice::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

// Parses "debug|info|warn|error"; returns false on anything else.
bool parseLevel(std::string_view text, Level& out);
void setLevel(Level level);
Level level();
inline bool enabled(Level l) { return static_cast<int>(l) >= static_cast<int>(level()); }

// Destinations: stdout always unless disabled; optional file. Structured = JSON lines.
struct Options {
  Level level = Level::Info;
  bool toStdout = true;
  std::string_view file;  // empty: none
  bool toSyslog = false;  // local syslog (LOG_DAEMON), identified as syslogIdent
  std::string_view syslogIdent = "mediamtx";
  bool structured = false;
};
void init(const Options& options);

void write(Level level, std::string_view message);

template <class... A>
void debug(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void info(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void warn(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::Warn)) write(Level::Warn, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void error(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::Error)) write(Level::Error, fmt::format(f, std::forward<A>(a)...));
}

// Lets a log site in a loop speak at most once per interval; counts what it suppressed.
// Single-threaded use (one per worker-owned object).
class RateLimit {
 public:
  explicit RateLimit(std::chrono::milliseconds interval = std::chrono::seconds(1)) : interval_(interval) {}
  // Returns true when the caller may log now; `suppressed` then holds how many events
  // were swallowed since the last permitted one.
  bool allow(uint64_t& suppressed);

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t count_ = 0;
};

}  // namespace sluice::log
