// sluice-camsim: N simulated RTSP cameras in one process, each looping an H.264/H.265 clip at
// real-time pace, optionally with a PCMU or AAC audio track, for benchmarking the server's
// ingest side (BENCHMARKS.md, `seed64`).
//
//   sluice-camsim --streams 64 --port 8554 [--clip FILE.h264] [--audio pcmu|aac|none]
//                 [--audio-clip FILE] [--fps 30] [--threads 1] [--duration S]
//
// Streams are rtsp://ADDRESS:PORT/cam1 .. camN (1-based). Prints `READY rtsp://ADDRESS:PORT/`
// on stdout once it listens, and exits on SIGINT/SIGTERM or after --duration seconds.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>

#include "camsim/CamsimAudioClip.h"
#include "camsim/CamsimClip.h"
#include "camsim/CamsimServer.h"
#include "core/Log.h"

using namespace sluice;
namespace asio = boost::asio;

int main(int argc, char** argv) {
  CLI::App cli{
      "sluice-camsim: N simulated RTSP cameras (rtsp://ADDRESS:PORT/cam1..camN) looping one H.264 or H.265 "
      "clip, optionally with audio"};
  camsim::CamsimOptions options;
  std::string clipPath = SLUICE_SOURCE_DIR "/assets/demo.h264";
  double duration = 0;
  double statsSeconds = 10;
  std::string logLevel = "info";
  std::string audioName = "none";
  std::string audioPath;
  cli.add_option("--streams", options.streams, "number of streams, named cam1..camN")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cli.add_option("--port", options.port, "RTSP port (0: any free port, see the READY line)")
      ->capture_default_str();
  cli.add_option("--address", options.address, "IPv4 address to listen on")->capture_default_str();
  cli.add_option("--clip", clipPath, "Annex-B clip to loop: H.265 if named *.h265/*.265/*.hevc, else H.264")
      ->capture_default_str();
  cli.add_option("--audio", audioName,
                 "audio track next to the video: pcmu (G.711 8 kHz, 20 ms packets), aac (mpeg4-generic "
                 "AAC-hbr, one AU per packet) or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"pcmu", "aac", "none"}));
  cli.add_option("--audio-clip", audioPath,
                 "audio to loop with the clip: raw mu-law 8 kHz (pcmu) or ADTS (aac); default: the clip's "
                 "path with .pcmu or .aac for its extension (scripts/make-av-clip.sh makes all three)");
  cli.add_flag("--spread-clip", options.spreadClip,
               "start each stream at its own point of the clip (stream k of N (k-1)/N of the way in), so "
               "their keyframes fall at different times, as independent cameras' do (default: all in step)");
  cli.add_option("--fps", options.fps, "frames per second")->capture_default_str()->check(CLI::Range(1, 240));
  cli.add_option("--threads", options.threads, "event-loop threads (streams are dealt round-robin)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cli.add_option("--session-timeout", options.sessionTimeout,
                 "seconds a UDP session may go without RTSP or RTCP from its client before it is closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cli.add_option("--duration", duration, "exit after this many seconds (0: run until SIGINT/SIGTERM)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--stats", statsSeconds, "seconds between statistics lines (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--log-level", logLevel, "debug, info, warn or error")->capture_default_str();
  CLI11_PARSE(cli, argc, argv);

  log::Options logOptions;
  if (!log::parseLevel(logLevel, logOptions.level)) {
    std::fprintf(stderr, "--log-level: expected debug, info, warn or error, not '%s'\n", logLevel.c_str());
    return 2;
  }
  log::init(logOptions);

  std::string error;
  camsim::CamsimClip clip;
  if (!clip.load(clipPath, error)) {
    log::error("[camsim] {}", error);
    return 1;
  }
  uint64_t payloadBytes = 0;
  for (size_t i = 0; i < clip.frameCount(); ++i) payloadBytes += clip.frame(i).payloadOctets;
  log::info(
      "[camsim] clip {}: {} {} frames, {}x{}, {} RTP packets per loop, {:.2f} Mbit/s at {} fps", clipPath,
      clip.frameCount(), clip.codecName(), clip.width(), clip.height(), clip.packetsPerLoop(),
      static_cast<double>(payloadBytes) * 8 * options.fps / static_cast<double>(clip.frameCount()) / 1e6,
      options.fps);

  camsim::CamsimAudioClip audio;
  bool withAudio = audioName != "none";
  if (withAudio) {
    auto codec = audioName == "aac" ? camsim::CamsimAudioCodec::Aac : camsim::CamsimAudioCodec::Pcmu;
    if (audioPath.empty()) {
      auto slash = clipPath.rfind('/');
      auto dot = clipPath.rfind('.');
      audioPath = (dot == std::string::npos || (slash != std::string::npos && dot < slash))
                      ? clipPath
                      : clipPath.substr(0, dot);
      audioPath += "." + audioName;
    }
    if (!audio.load(codec, audioPath, error)) {
      log::error("[camsim] {}", error);
      return 1;
    }
    log::info("[camsim] audio {}: {} {} Hz {} ch, {} packets of {} samples ({:.2f} s)", audioPath,
              audio.codecName(), audio.clockRate(), audio.channels(), audio.packetCount(),
              audio.samplesPerPacket(),
              static_cast<double>(audio.packetCount() * audio.samplesPerPacket()) / audio.clockRate());
  }

  asio::io_context io(1);
  // Installed before READY, so a signal sent as soon as READY is read is not lost.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log::info("[camsim] signal {}: stopping", signal);
    io.stop();
  });

  camsim::CamsimServer server(io, options, clip, withAudio ? &audio : nullptr);
  if (!server.start(error)) {
    log::error("[camsim] {}", error);
    return 1;
  }
  std::printf("READY rtsp://%s:%u/\n", options.address.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  asio::steady_timer durationTimer(io);
  if (duration > 0) {
    durationTimer.expires_after(std::chrono::milliseconds(static_cast<int64_t>(duration * 1000)));
    durationTimer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      log::info("[camsim] --duration reached: stopping");
      io.stop();
    });
  }
  asio::steady_timer statsTimer(io);
  std::function<void()> scheduleStats = [&] {
    statsTimer.expires_after(std::chrono::milliseconds(static_cast<int64_t>(statsSeconds * 1000)));
    statsTimer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      server.logStats();
      scheduleStats();
    });
  };
  if (statsSeconds > 0) scheduleStats();

  io.run();
  server.stop();
  log::info("[camsim] stopped");
  return 0;
}
