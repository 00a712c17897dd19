#pragma once
// IP addresses and networks for authInternalUsers' `ips` (MediaMTX's conf.IPNetworks). An entry
// is an address (a /32 or /128) or a CIDR range; IPv4-mapped IPv6 forms count as IPv4, both in
// the configuration and for a client's address, so "127.0.0.1" matches a client shown as
// "::ffff:127.0.0.1".
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::auth {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};  // an IPv4 address uses the first 4
  bool v4 = false;

  // "1.2.3.4", "::1", "[::1]", "fe80::1%eth0" (the zone is dropped, as it is not part of
  // the address a Go net.IP holds). nullopt for anything else, including a port.
  static std::optional<IpAddress> parse(std::string_view text);
};

class IpNetwork {
 public:
  // The same forms the configuration accepts (config::canonicalIpNetwork).
  static std::optional<IpNetwork> parse(std::string_view text);

  bool contains(const IpAddress& address) const;
  std::string toString() const;  // "10.0.0.0/8"

 private:
  IpAddress base_;
  int prefixLength_ = 0;
};

class IpNetworks {
 public:
  IpNetworks() = default;
  // nullopt (and `error`, naming the bad entry) if an entry is neither an address nor a range.
  static std::optional<IpNetworks> parse(const std::vector<std::string>& texts, std::string* error = nullptr);

  bool empty() const { return networks_.empty(); }
  bool contains(const IpAddress& address) const;
  // False for text that is not an address.
  bool contains(std::string_view address) const;

 private:
  std::vector<IpNetwork> networks_;
};

}  // namespace sluice::auth
