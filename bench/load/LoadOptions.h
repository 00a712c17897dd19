#pragma once
// Command-line settings of sluice-load (see main.cpp for their help texts).
#include <string>
#include <vector>

namespace sluice::load {

struct LoadOptions {
  std::vector<std::string> urls;      // WHEP endpoints or rtsp:// URLs; sessions spread round-robin
  std::string rtspTransport = "tcp";  // RTSP readers: "tcp" (interleaved) or "udp"
  int sessions = 1;                   // concurrent sessions kept open
  double seconds = 10;                // length of the run
  double rate = 0;                    // sessions started per second; 0: all at once
  double lifetime = 0;                // seconds before a session is replaced; 0: the whole run
  int threads = 1;                    // data-plane threads
  int sample = 1;                     // authenticate/decrypt every Kth RTP packet (1: all)
  std::string localIp = "127.0.0.1";
  std::string jsonFile;
  std::string dumpH264;        // Annex B of session 0
  std::string dumpH265;        // the same for H.265 (the offer then lists H.265 first)
  bool offerH265 = false;      // offer H.265 before H.264
  bool offerAudio = true;      // offer an audio section
  std::string dumpTimeline;    // session 0's access units and audio packets on the SR clock
  double connectTimeout = 10;  // POST to DTLS connected
  std::string srtpProfiles;    // OpenSSL names offered in DTLS; empty: Sluice's default (GCM, then CM)
  bool quiet = false;          // no per-session log lines on stderr
};

}  // namespace sluice::load
