#include "webrtc/SocketAddress.h"

#include <arpa/inet.h>

namespace sluice::webrtc {

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(storage).sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(storage).sin6_port);
  return 0;
}

std::string SocketAddress::ip() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(storage).sin_addr, buf, sizeof(buf));
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(storage).sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

std::string SocketAddress::toString() const {
  if (family() == AF_INET6) return "[" + ip() + "]:" + std::to_string(port());
  return ip() + ":" + std::to_string(port());
}

bool SocketAddress::operator==(const SocketAddress& o) const {
  if (family() != o.family()) return false;
  if (family() == AF_INET) {
    auto& a = reinterpret_cast<const sockaddr_in&>(storage);
    auto& b = reinterpret_cast<const sockaddr_in&>(o.storage);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (family() == AF_INET6) {
    auto& a = reinterpret_cast<const sockaddr_in6&>(storage);
    auto& b = reinterpret_cast<const sockaddr_in6&>(o.storage);
    return a.sin6_port == b.sin6_port && std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof(a.sin6_addr)) == 0;
  }
  return false;
}

size_t SocketAddressHash::operator()(const SocketAddress& a) const {
  if (a.family() == AF_INET) {
    auto& s = reinterpret_cast<const sockaddr_in&>(a.storage);
    return std::hash<uint64_t>()((static_cast<uint64_t>(s.sin_addr.s_addr) << 16) | s.sin_port);
  }
  if (a.family() == AF_INET6) {
    auto& s = reinterpret_cast<const sockaddr_in6&>(a.storage);
    uint64_t h[2];
    std::memcpy(h, &s.sin6_addr, 16);
    return std::hash<uint64_t>()(h[0] ^ (h[1] * 31) ^ s.sin6_port);
  }
  return 0;
}

}  // namespace sluice::webrtc
