#pragma once
// What one load session measured, handed from its worker to the report when it ends.
#include <cstdint>
#include <string>

#include "load/LatencyHistogram.h"

namespace sluice::load {

struct SessionResult {
  int index = 0;  // order of creation in this run (0 is the --dump-h264 session)
  std::string url;
  std::string location;  // the WHEP session resource
  int postStatus = 0;
  int deleteStatus = 0;
  std::string error;              // empty when the session ran normally
  std::string protocol = "whep";  // "whep", "rtsp/tcp" or "rtsp/udp"
  uint64_t keepAlivesSent = 0;    // RTSP: GET_PARAMETER requests

  bool connected = false;  // DTLS connected and SRTP keyed
  bool iceLite = false;
  std::string dtlsRole;     // ours: "client" or "server"
  std::string srtpProfile;  // "AEAD_AES_128_GCM" or "AES_CM_128_HMAC_SHA1_80"
  double startedS = 0;      // when its POST was sent, relative to the start of the run
  double durationS = 0;     // POST to close
  double connectMs = -1;    // POST to DTLS connected
  double ttffMs = -1;       // POST to the first complete keyframe
  int64_t iceRttUs = -1;
  uint64_t iceRequestsAnswered = 0;  // the server's own checks (full ICE) we answered

  std::string videoCodec;  // "H264" or "H265", as answered
  std::string audioCodec;  // as answered ("opus", "PCMU", "PCMA"); empty: no audio accepted

  // Video (the fields below up to `latency`), then audio.
  uint64_t packets = 0;        // RTP packets accepted (authenticated, or skipped by --sample)
  uint64_t bytes = 0;          // their UDP payload bytes (SRTP)
  uint64_t verified = 0;       // RTP packets actually authenticated and decrypted
  uint64_t lost = 0;           // sequence gaps left after NACK recovery
  uint64_t nackedPackets = 0;  // distinct sequence numbers NACKed
  uint64_t nackRequests = 0;   // sequence numbers in NACKs, repeats included
  uint64_t nacksSent = 0;      // RTCP NACK packets sent
  uint64_t plisSent = 0;
  uint64_t retransmissions = 0;  // arrivals of NACKed or given-up sequence numbers
  uint64_t lateDecrypted = 0;    // of those, opened behind SrtpSession's replay window
  uint64_t reordered = 0;        // gaps filled before a NACK was sent
  uint64_t duplicates = 0;
  uint64_t authFailures = 0;     // SRTP/SRTCP packets that failed authentication
  uint64_t discontinuities = 0;  // sequence jumps too large to be loss
  uint64_t keyframes = 0;        // complete IDR access units seen while waiting for one
  uint64_t rtcpReceived = 0;
  uint64_t senderReports = 0;
  uint64_t receiverReportsSent = 0;
  LatencyHistogram latency;  // per packet, microseconds (first transmissions only)

  uint64_t audioPackets = 0;  // distinct audio RTP packets accepted (as `packets`)
  uint64_t audioBytes = 0;
  uint64_t audioLost = 0;  // expected (first to highest sequence) − received; no NACK for audio
  uint64_t audioDuplicates = 0;
  uint64_t audioSenderReports = 0;
};

}  // namespace sluice::load
