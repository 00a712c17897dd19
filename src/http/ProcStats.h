#pragma once
// Process and thread figures from /proc/self, for /metrics and the pprof thread dump.
// Linux only; the parsers are pure so tests and fuzzers can feed them any text.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

// The fields of /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat that we use.
struct ProcStat {
  int pid = 0;
  std::string comm;  // may contain spaces and parentheses
  char state = '?';
  uint64_t utimeTicks = 0;
  uint64_t stimeTicks = 0;
  int64_t numThreads = 0;
  uint64_t startTimeTicks = 0;  // since boot
  uint64_t vsizeBytes = 0;
  int64_t rssPages = 0;
};

// False when the text isn't a stat line (too few fields, no "(comm)").
bool parseProcStat(std::string_view text, ProcStat& out);

struct ProcessStats {
  double cpuSeconds = 0;  // user + system
  uint64_t residentBytes = 0;
  uint64_t virtualBytes = 0;
  int64_t threads = 0;
  int64_t openFds = 0;
};

bool readProcessStats(ProcessStats& out);

struct ThreadInfo {
  int tid = 0;
  std::string name;
  char state = '?';
  double userSeconds = 0;
  double systemSeconds = 0;
};

// Every thread of this process, sorted by tid. Threads that exit while we read are skipped.
std::vector<ThreadInfo> readThreads();

}  // namespace sluice::http
