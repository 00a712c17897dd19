#include "load/RtspReaderConnect.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/Clock.h"
#include "load/RecvBatch.h"
#include "load/UdpSocket.h"

namespace sluice::load {
namespace {

int remainingMs(int64_t deadlineUs) {
  const int64_t left = deadlineUs - core::monotonicUs();
  return left <= 0 ? 0 : static_cast<int>((left + 999) / 1000);
}

// Blocking connect with a deadline (the socket is non-blocking throughout).
int connectTcp(const rtsp::RtspUrl& url, int64_t deadlineUs, sockaddr_storage& server,
               socklen_t& serverLength, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &found);
  if (rc != 0 || !found) {
    error = "resolve " + url.host + ": " + gai_strerror(rc);
    return -1;
  }
  std::memcpy(&server, found->ai_addr, found->ai_addrlen);
  serverLength = found->ai_addrlen;
  freeaddrinfo(found);
  const int fd = ::socket(server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // Kernel receive times for latency: over TCP, that of the newest segment a read returns.
  RecvBatch::enableTimestamps(fd);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), serverLength) != 0 && errno != EINPROGRESS) {
    error = "connect " + url.authority + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int soError = 0;
  socklen_t len = sizeof(soError);
  if (::poll(&p, 1, remainingMs(deadlineUs)) != 1 ||
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len) != 0 || soError != 0) {
    error = "connect " + url.authority + ": " + (soError ? std::strerror(soError) : "timed out");
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::string& data, int64_t deadlineUs, std::string& error) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      error = std::string("send: ") + std::strerror(errno);
      return false;
    }
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, remainingMs(deadlineUs)) != 1) {
      error = "send: timed out";
      return false;
    }
  }
  return true;
}

// Reads until the parser yields a response; frames before it (none are expected before
// PLAY's reply) are skipped.
bool readReply(int fd, rtsp::RtspStreamParser& parser, int64_t deadlineUs, std::string& error) {
  for (;;) {
    switch (parser.next()) {
      case rtsp::RtspStreamParser::Result::Response:
        return true;
      case rtsp::RtspStreamParser::Result::Error:
        error = "unreadable reply: " + parser.error();
        return false;
      case rtsp::RtspStreamParser::Result::Request:
      case rtsp::RtspStreamParser::Result::Interleaved:
        continue;
      case rtsp::RtspStreamParser::Result::NeedMore:
        break;
    }
    auto space = parser.prepare();
    const ssize_t n = ::recv(fd, space.data(), space.size(), MSG_DONTWAIT);
    if (n > 0) {
      parser.commit(static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      error = "the server closed the connection";
      return false;
    }
    if (errno != EAGAIN && errno != EINTR) {
      error = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, remainingMs(deadlineUs)) != 1) {
      error = "no reply (timed out)";
      return false;
    }
  }
}

}  // namespace

RtspReaderConnection::RtspReaderConnection(RtspReaderConnection&& other) noexcept
    : fd(other.fd),
      udpFds(std::move(other.udpFds)),
      parser(std::move(other.parser)),
      url(std::move(other.url)),
      sessionId(std::move(other.sessionId)),
      timeoutSeconds(other.timeoutSeconds),
      udp(other.udp),
      tracks(std::move(other.tracks)),
      server(other.server),
      serverLength(other.serverLength),
      nextCseq(other.nextCseq),
      playStatus(other.playStatus),
      startUs(other.startUs),
      playedUs(other.playedUs) {
  other.fd = -1;
  other.udpFds.clear();
}

RtspReaderConnection::~RtspReaderConnection() {
  if (fd >= 0) ::close(fd);
  for (int u : udpFds) ::close(u);
}

bool connectRtspReader(const rtsp::RtspUrl& url, bool udp, const std::string& localIp, double timeoutSeconds,
                       RtspReaderConnection& out, std::string& error) {
  const int64_t stepUs = static_cast<int64_t>(timeoutSeconds * 1e6);
  out.startUs = core::monotonicUs();
  out.udp = udp;
  out.url = url.withoutCredentials();
  auto fail = [&](std::string message) {
    error = std::move(message);
    if (out.fd >= 0) ::close(out.fd);
    out.fd = -1;
    for (int u : out.udpFds) ::close(u);
    out.udpFds.clear();
    return false;
  };
  if (url.scheme != "rtsp") return fail("only rtsp:// URLs are supported (not " + url.scheme + ")");
  std::string detail;
  out.fd = connectTcp(url, out.startUs + stepUs, out.server, out.serverLength, detail);
  if (out.fd < 0) return fail(detail);

  // One request and its reply; `reply` is the parser's until its next call.
  auto exchange = [&](const std::string& method, const std::string& uri,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const rtsp::RtspResponse*& reply) {
    const uint32_t cseq = out.nextCseq++;
    const int64_t deadline = core::monotonicUs() + stepUs;
    if (!sendAll(out.fd, buildRtspReaderRequest(method, uri, cseq, out.sessionId, headers), deadline,
                 detail) ||
        !readReply(out.fd, out.parser, deadline, detail)) {
      error = method + ": " + detail;
      return false;
    }
    reply = &out.parser.response();
    if (method == "PLAY") out.playStatus = reply->statusCode;
    return checkRtspReply(*reply, cseq, method, error);
  };

  const rtsp::RtspResponse* reply = nullptr;
  if (!exchange("OPTIONS", out.url, {}, reply)) return fail(error);
  if (!exchange("DESCRIBE", out.url, {{"Accept", "application/sdp"}}, reply)) return fail(error);
  auto description = parseDescribeReply(*reply, out.url, error);
  if (!description) return fail(error);
  out.tracks = std::move(description->tracks);

  for (size_t i = 0; i < out.tracks.size(); ++i) {
    RtspReaderTrack& track = out.tracks[i];
    if (udp) {
      int rtpFd = -1, rtcpFd = -1;
      uint16_t port = 0;
      if (!openUdpPortPair(localIp, rtpFd, rtcpFd, port, detail)) return fail("SETUP: " + detail);
      out.udpFds.push_back(rtpFd);
      out.udpFds.push_back(rtcpFd);
      track.clientRtpPort = port;
      track.clientRtcpPort = static_cast<uint16_t>(port + 1);
    }
    if (!exchange("SETUP", track.controlUrl, {{"Transport", readerTransport(udp, track, i)}}, reply)) {
      return fail(error);
    }
    auto setup = applySetupReply(*reply, udp, track, error);
    if (!setup) return fail(error);
    if (!out.sessionId.empty() && setup->sessionId != out.sessionId) {
      return fail("SETUP: the server answered another Session (" + setup->sessionId + ")");
    }
    out.sessionId = setup->sessionId;
    out.timeoutSeconds = setup->timeoutSeconds;
  }
  if (!exchange("PLAY", out.url, {{"Range", "npt=0.000-"}}, reply)) return fail(error);
  out.playedUs = core::monotonicUs();
  return true;
}

}  // namespace sluice::load
