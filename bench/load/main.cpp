// sluice-load: many WHEP viewers that behave like browsers on the wire (or RTSP readers), with per-session
// statistics. See bench/README.md ("Contract: sluice-load") for the JSON it writes.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "core/Log.h"
#include "load/LoadOptions.h"
#include "load/LoadReport.h"
#include "load/LoadRunner.h"

namespace {

std::atomic<bool> gStop{false};

void onSignal(int) { gStop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  using sluice::load::LoadOptions;
  LoadOptions o;
  bool verbose = false;
  CLI::App cli{"sluice-load: load client (many browser-like WebRTC viewers, or RTSP readers)"};
  cli.add_option("--url", o.urls,
                 "WHEP endpoint, e.g. http://127.0.0.1:8889/cam1/whep, or an RTSP stream to read, e.g. "
                 "rtsp://127.0.0.1:8554/cam1 (repeatable; sessions are spread round-robin)")
      ->required();
  cli.add_option("--rtsp-transport", o.rtspTransport, "RTSP readers: tcp (interleaved) or udp")
      ->check(CLI::IsMember({"tcp", "udp"}));
  cli.add_option("--sessions", o.sessions, "concurrent sessions")->check(CLI::Range(1, 100000));
  cli.add_option("--seconds", o.seconds, "run time in seconds")->check(CLI::PositiveNumber);
  cli.add_option("--rate", o.rate, "sessions started per second (default: all at once)")
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--lifetime", o.lifetime, "close each session after S seconds and replace it (churn)")
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--threads", o.threads, "data-plane threads")->check(CLI::Range(1, 64));
  cli.add_option("--sample", o.sample,
                 "authenticate and decrypt every Kth RTP packet only (all are counted; all are "
                 "decrypted while a keyframe is awaited)")
      ->check(CLI::Range(1, 1000000));
  cli.add_option("--local-ip", o.localIp, "address to bind and announce as host candidate");
  cli.add_option("--json", o.jsonFile, "write the report as JSON to this file");
  auto* dump264 =
      cli.add_option("--dump-h264", o.dumpH264, "write session 0's received H.264 (Annex B) to this file");
  cli.add_option("--dump-h265", o.dumpH265,
                 "write session 0's received H.265 (Annex B, parameter sets included) to this file; implies "
                 "--h265")
      ->excludes(dump264);
  cli.add_option("--dump-timeline", o.dumpTimeline,
                 "write session 0's video access units (size, keyframe) and audio packets (G.711: first loud "
                 "sample) with their sender-report-mapped send times, one JSON object a line (A/V sync)");
  cli.add_flag("--h265", o.offerH265,
               "offer H.265 (before H.264), as Safari or Chrome with hardware decoding");
  cli.add_flag_function(
      "--no-audio", [&o](std::int64_t) { o.offerAudio = false; },
      "offer video only (a viewer with sound off)");
  cli.add_option("--connect-timeout", o.connectTimeout,
                 "seconds from POST to DTLS connected before a "
                 "session counts as failed")
      ->check(CLI::PositiveNumber);
  cli.add_option("--srtp-profiles", o.srtpProfiles,
                 "SRTP profiles offered in DTLS, OpenSSL names in preference order (default "
                 "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80; the DTLS server picks)");
  cli.add_flag("--quiet", o.quiet, "no per-session error lines on stderr");
  cli.add_flag("--verbose", verbose, "Sluice library debug logs (DTLS) on stderr");
  CLI11_PARSE(cli, argc, argv);

  // The library's log goes to stdout by default; stdout is for the summary line here.
  sluice::log::Options logOptions;
  logOptions.level = verbose ? sluice::log::Level::Debug : sluice::log::Level::Error;
  logOptions.toStdout = verbose;
  sluice::log::init(logOptions);

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGPIPE, SIG_IGN);

  sluice::load::LoadRunner runner(o);
  std::string error;
  if (!runner.init(error)) {
    std::fprintf(stderr, "sluice-load: %s\n", error.c_str());
    return 2;
  }
  sluice::load::RunSummary summary = runner.run(gStop);
  if (!o.jsonFile.empty()) {
    std::ofstream out(o.jsonFile);
    out << sluice::load::toJson(summary).dump(1) << "\n";
    if (!out) {
      std::fprintf(stderr, "sluice-load: cannot write %s\n", o.jsonFile.c_str());
      return 2;
    }
  }
  std::printf("%s\n", sluice::load::summaryLine(summary).c_str());
  std::fflush(stdout);
  return 0;
}
