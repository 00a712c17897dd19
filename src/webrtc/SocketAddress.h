#pragma once
// A UDP peer address usable as a hash key and as a sendmmsg destination.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <functional>
#include <string>

namespace sluice::webrtc {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  static SocketAddress from(const sockaddr* sa, socklen_t len) {
    SocketAddress a;
    if (len > sizeof(a.storage)) len = sizeof(a.storage);
    std::memcpy(&a.storage, sa, len);
    a.length = len;
    return a;
  }
  int family() const { return storage.ss_family; }
  uint16_t port() const;
  std::string ip() const;
  std::string toString() const;
  bool operator==(const SocketAddress& o) const;
};

struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const;
};

}  // namespace sluice::webrtc
