// sluice-limit: the per-packet cost no server can avoid on this machine.
//
//   sluice-limit [--json FILE] [Google Benchmark flags]
//
// Runs the SRTP protect benchmarks (libsrtp2 and Sluice's SrtpSession, each suite) and the
// UDP send benchmarks (sendto, sendmmsg x32, sendmmsg + GSO), each repeated (default 3
// repetitions of >= 0.2 s), takes the median of the thread-CPU microseconds per packet,
// and prints
//   limit = best SRTP protect + best UDP send  (microseconds per 1200-byte packet)
// plus, with --json, the same as a JSON document (see bench/README.md).
// Defaults that the command line does not set: --benchmark_min_time=0.2,
// --benchmark_repetitions=3. The whole run takes about 20 s.
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>
#include <srtp2/srtp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

struct Figure {
  std::string name;                     // benchmark name, e.g. BM_SrtpProtect_sluice/AEAD_AES_128_GCM
  std::string label;                    // "srtp:sluice:AEAD_AES_128_GCM", "send:sendto", "info:..."
  std::vector<double> usPerPacket;      // one per repetition (thread CPU time)
  std::vector<double> realUsPerPacket;  // one per repetition (wall time)
  std::vector<double> delivered;
  std::string error;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Forwards to the console reporter and keeps every repetition's figures.
class Collector : public benchmark::ConsoleReporter {
 public:
  explicit Collector(OutputOptions options) : ConsoleReporter(options) {}

  std::vector<Figure> figures;  // in run order

  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> shown;
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name == "median") shown.push_back(r);
        continue;
      }
      if (r.repetitions <= 1) shown.push_back(r);
      Figure& f = figure(r.benchmark_name());
      if (!r.report_label.empty()) f.label = r.report_label;
      if (r.error_occurred) {
        f.error = r.error_message;
        shown.push_back(r);
        continue;
      }
      auto it = r.counters.find("packets");
      if (it == r.counters.end() || it->second.value <= 0) continue;
      const double packets = it->second.value;
      f.usPerPacket.push_back(r.cpu_accumulated_time * 1e6 / packets);
      f.realUsPerPacket.push_back(r.real_accumulated_time * 1e6 / packets);
      auto d = r.counters.find("delivered");
      if (d != r.counters.end()) f.delivered.push_back(d->second.value);
    }
    if (!shown.empty()) ConsoleReporter::ReportRuns(shown);
  }

 private:
  Figure& figure(const std::string& name) {
    for (Figure& f : figures) {
      if (f.name == name) return f;
    }
    figures.push_back(Figure{name, "", {}, {}, {}, ""});
    return figures.back();
  }
};

std::string firstLine(const char* path, const char* key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "";
}

bool hasFlag(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) return true;
  }
  return false;
}

void usage() {
  std::printf(
      "usage: sluice-limit [--json FILE] [--benchmark_* flags]\n"
      "  Measures SRTP protect (libsrtp2, Sluice) and loopback UDP send per 1200-byte packet\n"
      "  and prints limit = best SRTP + best send in microseconds per packet.\n"
      "  --json FILE   also write the figures as JSON\n"
      "  defaults: --benchmark_min_time=0.2 --benchmark_repetitions=3\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string jsonPath;
  std::vector<std::string> args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) {
      jsonPath = argv[++i];
    } else if (a.rfind("--json=", 0) == 0) {
      jsonPath = a.substr(7);
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      args.push_back(a);
    }
  }
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  std::string minTime = "--benchmark_min_time=0.2";
  std::string reps = "--benchmark_repetitions=3";
  if (!hasFlag(static_cast<int>(av.size()), av.data(), "--benchmark_min_time")) av.push_back(minTime.data());
  if (!hasFlag(static_cast<int>(av.size()), av.data(), "--benchmark_repetitions")) av.push_back(reps.data());
  int ac = static_cast<int>(av.size());
  av.push_back(nullptr);
  benchmark::Initialize(&ac, av.data());
  if (benchmark::ReportUnrecognizedArguments(ac, av.data())) return 2;

  // Colours only on a terminal (the library's own reporter decides the same way).
  const bool tty = isatty(STDOUT_FILENO) != 0;
  Collector collector(tty ? benchmark::ConsoleReporter::OO_ColorTabular
                          : benchmark::ConsoleReporter::OO_Tabular);
  const time_t started = time(nullptr);
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  const time_t finished = time(nullptr);

  // Best of each class by median CPU microseconds per packet.
  std::optional<size_t> bestSrtp, bestSend;
  std::vector<std::string> skipped;
  for (size_t i = 0; i < collector.figures.size(); ++i) {
    const Figure& f = collector.figures[i];
    if (!f.error.empty()) skipped.push_back(f.name + ": " + f.error);
    if (f.usPerPacket.empty()) continue;
    const double m = median(f.usPerPacket);
    auto better = [&](const std::optional<size_t>& b) {
      return !b || m < median(collector.figures[*b].usPerPacket);
    };
    if (f.label.rfind("srtp:", 0) == 0 && better(bestSrtp)) bestSrtp = i;
    if (f.label.rfind("send:", 0) == 0 && better(bestSend)) bestSend = i;
  }

  nlohmann::json doc;
  utsname un{};
  uname(&un);
  doc["tool"] = "sluice-limit";
  doc["packet_bytes"] = 1200;
  doc["time_basis"] = "median over repetitions of thread CPU time / packets";
  doc["sink"] = "loopback UDP socket drained by a thread (recvmmsg)";
  doc["machine"] = {{"cpu_model", firstLine("/proc/cpuinfo", "model name")},
                    {"nproc", static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))},
                    {"kernel", std::string(un.release)},
                    {"openssl", OpenSSL_version(OPENSSL_VERSION)},
                    {"libsrtp2", srtp_get_version_string()}};
  doc["started_unix"] = static_cast<int64_t>(started);
  doc["seconds"] = static_cast<int64_t>(finished - started);
  nlohmann::json benchmarks = nlohmann::json::array();
  nlohmann::json srtp = nlohmann::json::object();
  nlohmann::json send = nlohmann::json::object();
  nlohmann::json info = nlohmann::json::object();
  for (const Figure& f : collector.figures) {
    nlohmann::json b = {{"name", f.name}, {"label", f.label}};
    nlohmann::json value = nullptr;
    if (!f.usPerPacket.empty()) {
      value = median(f.usPerPacket);
      b["us_per_packet"] = value;
      b["real_us_per_packet"] = median(f.realUsPerPacket);
      b["repetitions_us_per_packet"] = f.usPerPacket;
      if (!f.delivered.empty()) b["delivered"] = median(f.delivered);
    } else {
      b["us_per_packet"] = nullptr;
    }
    if (!f.error.empty()) b["error"] = f.error;
    benchmarks.push_back(b);
    // "srtp:libsrtp2:AEAD_AES_128_GCM" -> srtp["libsrtp2"]["AEAD_AES_128_GCM"]
    auto colon = f.label.find(':');
    if (colon == std::string::npos) continue;
    std::string kind = f.label.substr(0, colon), rest = f.label.substr(colon + 1);
    if (kind == "srtp") {
      auto c2 = rest.find(':');
      srtp[rest.substr(0, c2)][rest.substr(c2 + 1)] = value;
    } else if (kind == "send") {
      send[rest] = value;
    } else {
      info[rest] = value;
    }
  }
  doc["benchmarks"] = benchmarks;
  doc["srtp_us_per_packet"] = srtp;
  doc["send_us_per_packet"] = send;
  doc["info_us_per_packet"] = info;
  doc["skipped"] = skipped;

  std::printf("\n=== sluice-limit: per 1200-byte packet, median thread CPU time ===\n");
  for (const Figure& f : collector.figures) {
    if (f.usPerPacket.empty()) {
      std::printf("  %-48s skipped: %s\n", f.label.empty() ? f.name.c_str() : f.label.c_str(),
                  f.error.c_str());
      continue;
    }
    std::printf("  %-48s %8.3f us", f.label.c_str(), median(f.usPerPacket));
    if (!f.delivered.empty()) std::printf("   (delivered %.1f%%)", 100.0 * median(f.delivered));
    std::printf("\n");
  }
  int rc = 0;
  if (bestSrtp && bestSend) {
    const Figure& s = collector.figures[*bestSrtp];
    const Figure& u = collector.figures[*bestSend];
    const double limit = median(s.usPerPacket) + median(u.usPerPacket);
    doc["best_srtp"] = {{"label", s.label}, {"us_per_packet", median(s.usPerPacket)}};
    doc["best_send"] = {{"label", u.label}, {"us_per_packet", median(u.usPerPacket)}};
    doc["limit_us_per_packet"] = limit;
    doc["limit_packets_per_core_second"] = 1e6 / limit;
    std::printf("\nLIMIT %.3f us/packet = best SRTP %.3f us (%s) + best send %.3f us (%s)\n", limit,
                median(s.usPerPacket), s.label.c_str(), median(u.usPerPacket), u.label.c_str());
    std::printf("      = %.0f packets/s per core = %.2f Gbit/s per core at 1200 B\n", 1e6 / limit,
                1e6 / limit * 1200 * 8 / 1e9);
    // The same by wall time: on loopback part of the receive path can run in ksoftirqd
    // instead of the sender's thread, and then shows in wall time only. Thread CPU time is
    // the primary figure because the harness measures the server by its own CPU time too.
    std::optional<size_t> srtpWall, sendWall;
    for (size_t i = 0; i < collector.figures.size(); ++i) {
      const Figure& f = collector.figures[i];
      if (f.realUsPerPacket.empty()) continue;
      const double m = median(f.realUsPerPacket);
      auto better = [&](const std::optional<size_t>& b) {
        return !b || m < median(collector.figures[*b].realUsPerPacket);
      };
      if (f.label.rfind("srtp:", 0) == 0 && better(srtpWall)) srtpWall = i;
      if (f.label.rfind("send:", 0) == 0 && better(sendWall)) sendWall = i;
    }
    if (srtpWall && sendWall) {
      const Figure& ws = collector.figures[*srtpWall];
      const Figure& wu = collector.figures[*sendWall];
      const double wall = median(ws.realUsPerPacket) + median(wu.realUsPerPacket);
      doc["limit_wall_us_per_packet"] = wall;
      std::printf("      by wall time instead of thread CPU time: %.3f us/packet (%s + %s)\n", wall,
                  ws.label.c_str(), wu.label.c_str());
    }
  } else {
    doc["limit_us_per_packet"] = nullptr;
    std::printf("\nLIMIT unknown: %s\n", bestSrtp ? "no UDP send benchmark ran" : "no SRTP benchmark ran");
    rc = 1;
  }
  for (const std::string& s : skipped) std::printf("skipped: %s\n", s.c_str());
  if (!jsonPath.empty()) {
    std::ofstream out(jsonPath);
    out << doc.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", jsonPath.c_str());
      return 1;
    }
    std::printf("wrote %s\n", jsonPath.c_str());
  }
  return rc;
}
