#pragma once
// The client address of a request that came through reverse proxies (MediaMTX's
// webrtcTrustedProxies / apiTrustedProxies / ..., which it hands to gin): when the TCP peer is
// a trusted proxy, the client is the right-most address of X-Forwarded-For that is not itself
// a trusted proxy (X-Real-Ip when there is no X-Forwarded-For). A request from any other peer
// is taken at its word of nothing: its headers are ignored and the peer is the client.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Entries are addresses ("127.0.0.1", "::1") or CIDR ranges ("10.0.0.0/8", "fd00::/8").
  // nullopt, with `error` naming the entry, if one is neither.
  static std::optional<TrustedProxies> parse(const std::vector<std::string>& entries, std::string& error);

  bool empty() const { return networks_.empty(); }
  // `ip` is a bare address; IPv4-mapped IPv6 counts as IPv4. False for anything else.
  bool contains(std::string_view ip) const;

 private:
  struct Network {
    unsigned char bytes[16]{};
    int prefix = 0;
    bool v4 = false;
  };
  std::vector<Network> networks_;
};

// The client address carried by the forwarding headers, given the values of every
// X-Forwarded-For header in the order received (joined as one list, RFC 9110 5.3) and of
// X-Real-Ip. Like gin's ClientIP: the list is walked from the right; the first entry that is
// not a trusted proxy is the client, and when all are trusted the left-most one is. An entry
// that is not a bare IP address (a port, brackets, a zone, garbage) ends the walk and the
// header is not used. nullopt when no header gives an address: the caller keeps the peer.
// The address is returned in canonical form (IPv4-mapped IPv6 as IPv4).
std::optional<std::string> forwardedClientIp(const std::vector<std::string_view>& forwardedFor,
                                             std::string_view realIp, const TrustedProxies& trusted);

// A bare IP address in canonical form, or nullopt ("1.2.3.4", "2001:db8::1"; not
// "[::1]", "1.2.3.4:80", "fe80::1%eth0", " 1.2.3.4").
std::optional<std::string> canonicalIp(std::string_view text);

}  // namespace sluice::http
