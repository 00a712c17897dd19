#pragma once
// The RTSP reader's signalling, on the control thread with blocking I/O (as WHEP's POST):
// TCP connect, OPTIONS, DESCRIBE, SETUP of every track (interleaved 2i/2i+1, or a UDP port
// pair per track), PLAY. What follows PLAY's reply on the connection (the first media over
// TCP) stays in the parser, which the session takes over with the socket.
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "load/RtspReaderProtocol.h"
#include "rtsp/RtspStreamParser.h"
#include "rtsp/RtspUrl.h"

namespace sluice::load {

struct RtspReaderConnection {
  int fd = -1;                    // the RTSP connection, non-blocking on return; owned
  std::vector<int> udpFds;        // UDP: RTP and RTCP socket of each track (2i, 2i+1); owned
  rtsp::RtspStreamParser parser;  // holds the bytes that followed PLAY's reply
  std::string url;                // the request URL (aggregate control for PLAY/TEARDOWN)
  std::string sessionId;
  uint32_t timeoutSeconds = 60;
  bool udp = false;
  std::vector<RtspReaderTrack> tracks;
  sockaddr_storage server{};  // the RTSP server's address (UDP: where RTCP goes)
  socklen_t serverLength = 0;
  uint32_t nextCseq = 1;
  int playStatus = 0;
  int64_t startUs = 0;   // monotonic, when the TCP connect began
  int64_t playedUs = 0;  // monotonic, PLAY answered

  RtspReaderConnection() = default;
  RtspReaderConnection(RtspReaderConnection&& other) noexcept;
  RtspReaderConnection& operator=(RtspReaderConnection&&) = delete;
  RtspReaderConnection(const RtspReaderConnection&) = delete;
  ~RtspReaderConnection();  // closes what it still owns
};

// Connects and plays; `timeoutSeconds` bounds each step. On failure `error` says which step,
// `out.playStatus`/`out.sessionId` keep what was learned, and every descriptor is closed.
bool connectRtspReader(const rtsp::RtspUrl& url, bool udp, const std::string& localIp, double timeoutSeconds,
                       RtspReaderConnection& out, std::string& error);

}  // namespace sluice::load
