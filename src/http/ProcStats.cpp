#include "http/ProcStats.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>

namespace sluice::http {
namespace {

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

template <class T>
bool toNumber(std::string_view text, T& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

double ticksToSeconds(uint64_t ticks) {
  static const long kTicks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(ticks) / static_cast<double>(kTicks > 0 ? kTicks : 100);
}

// Entries of a /proc directory that are numbers (pids, tids, fds).
std::vector<int> numericEntries(const char* dir) {
  std::vector<int> out;
  DIR* d = opendir(dir);
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    int n = 0;
    if (toNumber(std::string_view(e->d_name), n)) out.push_back(n);
  }
  closedir(d);
  return out;
}

}  // namespace

bool parseProcStat(std::string_view text, ProcStat& out) {
  // "pid (comm) state f4 f5 ...": comm can hold anything, so split at the last ')'.
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open || open < 2)
    return false;
  ProcStat stat;
  if (!toNumber(text.substr(0, open - 1), stat.pid)) return false;
  stat.comm.assign(text.substr(open + 1, close - open - 1));

  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::string_view rest = text.substr(close + 1);
  while (!rest.empty()) {
    const size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (fields.size() < 22 || fields[0].size() != 1) return false;
  auto field = [&](int number) { return fields[static_cast<size_t>(number - 3)]; };
  stat.state = fields[0][0];
  if (!toNumber(field(14), stat.utimeTicks) || !toNumber(field(15), stat.stimeTicks) ||
      !toNumber(field(20), stat.numThreads) || !toNumber(field(22), stat.startTimeTicks) ||
      !toNumber(field(23), stat.vsizeBytes) || !toNumber(field(24), stat.rssPages)) {
    return false;
  }
  out = std::move(stat);
  return true;
}

bool readProcessStats(ProcessStats& out) {
  std::string text;
  ProcStat stat;
  if (!readFile("/proc/self/stat", text) || !parseProcStat(text, stat)) return false;
  out.cpuSeconds = ticksToSeconds(stat.utimeTicks + stat.stimeTicks);
  out.residentBytes = static_cast<uint64_t>(std::max<int64_t>(stat.rssPages, 0)) *
                      static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  out.virtualBytes = stat.vsizeBytes;
  out.threads = stat.numThreads;
  // Minus the descriptor opendir() itself holds while listing.
  out.openFds = std::max<int64_t>(static_cast<int64_t>(numericEntries("/proc/self/fd").size()) - 1, 0);
  return true;
}

std::vector<ThreadInfo> readThreads() {
  std::vector<ThreadInfo> threads;
  std::vector<int> tids = numericEntries("/proc/self/task");
  std::sort(tids.begin(), tids.end());
  std::string text;
  for (int tid : tids) {
    ProcStat stat;
    if (!readFile("/proc/self/task/" + std::to_string(tid) + "/stat", text) || !parseProcStat(text, stat)) {
      continue;
    }
    threads.push_back(ThreadInfo{tid, stat.comm, stat.state, ticksToSeconds(stat.utimeTicks),
                                 ticksToSeconds(stat.stimeTicks)});
  }
  return threads;
}

}  // namespace sluice::http
