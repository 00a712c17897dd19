#include "load/UdpSocket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "load/RecvBatch.h"

namespace sluice::load {
namespace {

// A keyframe burst of a 1080p stream is ~100 datagrams; with hundreds of sessions on one
// thread a socket can wait a few ms for its turn. 2 MiB holds well over a second of one stream.
constexpr int kReceiveBuffer = 2 << 20;

}  // namespace

int openUdpSocket(const std::string& ip, uint16_t wantedPort, uint16_t& port, std::string& error) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(wantedPort);
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(wantedPort);
    length = sizeof(sockaddr_in6);
  } else {
    error = "--local-ip '" + ip + "' is not an IP address";
    return -1;
  }
  int fd = ::socket(storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int size = kReceiveBuffer;
  // SO_RCVBUFFORCE works as root and ignores rmem_max; else the capped request.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  RecvBatch::enableTimestamps(fd);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    error = "bind " + ip + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  port = ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  return fd;
}

int openSessionSocket(const std::string& ip, uint16_t& port, std::string& error) {
  return openUdpSocket(ip, 0, port, error);
}

bool openUdpPortPair(const std::string& ip, int& rtpFd, int& rtcpFd, uint16_t& rtpPort, std::string& error) {
  // A kernel-chosen port, then the next one for RTCP; another try when that one is taken.
  for (int attempt = 0; attempt < 64; ++attempt) {
    uint16_t port = 0, next = 0;
    const int first = openUdpSocket(ip, 0, port, error);
    if (first < 0) return false;
    if (port < 65535) {
      const int second = openUdpSocket(ip, static_cast<uint16_t>(port + 1), next, error);
      if (second >= 0) {
        rtpFd = first;
        rtcpFd = second;
        rtpPort = port;
        return true;
      }
    }
    ::close(first);
  }
  error = "no free UDP port pair on " + ip + " after 64 tries";
  return false;
}

}  // namespace sluice::load
