#include "http/TrustedProxies.h"

#include <boost/asio/ip/address.hpp>
#include <cstring>

namespace sluice::http {

namespace asio = boost::asio;

namespace {

// A bare address as Go's net.ParseIP reads it: no port, brackets, zone or spaces.
std::optional<asio::ip::address> parseBareIp(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  for (char c : text) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
    if (!ok) return std::nullopt;
  }
  boost::system::error_code ec;
  asio::ip::address addr = asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  return addr;
}

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> canonicalIp(std::string_view text) {
  std::optional<asio::ip::address> addr = parseBareIp(text);
  if (!addr) return std::nullopt;
  return addr->to_string();
}

std::optional<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& entries,
                                                    std::string& error) {
  TrustedProxies out;
  for (const std::string& entry : entries) {
    std::string_view text = entry;
    std::string_view addressPart = text;
    int prefix = -1;
    if (size_t slash = text.find('/'); slash != std::string_view::npos) {
      addressPart = text.substr(0, slash);
      std::string_view bits = text.substr(slash + 1);
      // At most three digits, so the value can't overflow; the range is checked below.
      bool digits = !bits.empty() && bits.size() <= 3;
      int value = 0;
      for (char c : bits) {
        if (!digits || c < '0' || c > '9') {
          digits = false;
          break;
        }
        value = value * 10 + (c - '0');
      }
      prefix = digits ? value : -2;
    }
    std::optional<asio::ip::address> addr = parseBareIp(addressPart);
    // A range written in IPv4-mapped form ("::ffff:10.0.0.0/104") is not supported; ranges
    // are written the way the addresses they hold are.
    const bool mappedRange =
        prefix >= 0 && addr && addr->is_v4() && addressPart.find(':') != std::string_view::npos;
    const int maxPrefix = addr && addr->is_v4() ? 32 : 128;
    if (!addr || prefix == -2 || prefix > maxPrefix || mappedRange) {
      error = "invalid trusted proxy '" + entry + "': not an IP address or CIDR range";
      return std::nullopt;
    }
    Network n;
    n.v4 = addr->is_v4();
    n.prefix = prefix < 0 ? maxPrefix : prefix;
    if (n.v4) {
      auto b = addr->to_v4().to_bytes();
      std::memcpy(n.bytes, b.data(), b.size());
    } else {
      auto b = addr->to_v6().to_bytes();
      std::memcpy(n.bytes, b.data(), b.size());
    }
    out.networks_.push_back(n);
  }
  return out;
}

bool TrustedProxies::contains(std::string_view ip) const {
  if (networks_.empty()) return false;
  std::optional<asio::ip::address> addr = parseBareIp(ip);
  if (!addr) return false;
  unsigned char bytes[16]{};
  const bool v4 = addr->is_v4();
  if (v4) {
    auto b = addr->to_v4().to_bytes();
    std::memcpy(bytes, b.data(), b.size());
  } else {
    auto b = addr->to_v6().to_bytes();
    std::memcpy(bytes, b.data(), b.size());
  }
  for (const Network& n : networks_) {
    if (n.v4 != v4) continue;
    const int full = n.prefix / 8, rest = n.prefix % 8;
    if (std::memcmp(n.bytes, bytes, static_cast<size_t>(full)) != 0) continue;
    if (rest != 0) {
      const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
      if ((n.bytes[full] & mask) != (bytes[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

namespace {

// gin's validateHeader: nullopt when the list ends (at its left) or has a bad entry before an
// untrusted one is found.
std::optional<std::string> clientFromList(const std::vector<std::string_view>& values,
                                          const TrustedProxies& trusted) {
  // Walk every header from the last to the first, each from its right-most entry.
  std::string_view leftMost;  // the last entry visited: the client when every one is trusted
  bool any = false;
  for (size_t h = values.size(); h-- > 0;) {
    std::string_view value = values[h];
    while (true) {
      size_t comma = value.rfind(',');
      std::string_view item = trimSpaces(comma == std::string_view::npos ? value : value.substr(comma + 1));
      std::optional<std::string> ip = canonicalIp(item);
      if (!ip) return std::nullopt;
      if (!trusted.contains(*ip)) return ip;
      leftMost = item;
      any = true;
      if (comma == std::string_view::npos) break;
      value = value.substr(0, comma);
    }
  }
  if (!any) return std::nullopt;
  return canonicalIp(leftMost);
}

}  // namespace

std::optional<std::string> forwardedClientIp(const std::vector<std::string_view>& forwardedFor,
                                             std::string_view realIp, const TrustedProxies& trusted) {
  bool hasForwarded = false;
  for (std::string_view v : forwardedFor) hasForwarded = hasForwarded || !trimSpaces(v).empty();
  if (hasForwarded) {
    if (std::optional<std::string> ip = clientFromList(forwardedFor, trusted)) return ip;
  }
  realIp = trimSpaces(realIp);
  if (!realIp.empty()) return clientFromList({realIp}, trusted);
  return std::nullopt;
}

}  // namespace sluice::http
