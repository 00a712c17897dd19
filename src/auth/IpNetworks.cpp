#include "auth/IpNetworks.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

#include "config/AuthFormats.h"

namespace sluice::auth {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  text = text.substr(0, text.find('%'));
  // inet_pton reads a C string: an embedded NUL would make it accept only the part before.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string terminated(text);
  IpAddress address;
  if (inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) {
    address.v4 = true;
    return address;
  }
  if (inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) != 1) return std::nullopt;
  if (std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), address.bytes.begin())) {
    std::copy(address.bytes.begin() + 12, address.bytes.end(), address.bytes.begin());
    std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
    address.v4 = true;
  }
  return address;
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
  // Going through the configuration's canonical form keeps the two readings identical.
  std::optional<std::string> canonical = config::canonicalIpNetwork(text);
  if (!canonical) return std::nullopt;
  const size_t slash = canonical->find('/');
  std::optional<IpAddress> base = IpAddress::parse(std::string_view(*canonical).substr(0, slash));
  if (!base) return std::nullopt;
  IpNetwork network;
  network.base_ = *base;
  network.prefixLength_ = std::stoi(canonical->substr(slash + 1));
  return network;
}

bool IpNetwork::contains(const IpAddress& address) const {
  if (address.v4 != base_.v4) return false;
  const int fullBytes = prefixLength_ / 8, restBits = prefixLength_ % 8;
  if (!std::equal(base_.bytes.begin(), base_.bytes.begin() + fullBytes, address.bytes.begin())) return false;
  if (restBits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff00u >> restBits);
  return (address.bytes[fullBytes] & mask) == base_.bytes[fullBytes];
}

std::string IpNetwork::toString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(base_.v4 ? AF_INET : AF_INET6, base_.bytes.data(), buffer, sizeof(buffer));
  return fmt::format("{}/{}", buffer, prefixLength_);
}

std::optional<IpNetworks> IpNetworks::parse(const std::vector<std::string>& texts, std::string* error) {
  IpNetworks networks;
  for (const std::string& text : texts) {
    std::optional<IpNetwork> network = IpNetwork::parse(text);
    if (!network) {
      if (error) *error = fmt::format("invalid IP address or CIDR range '{}'", text);
      return std::nullopt;
    }
    networks.networks_.push_back(*network);
  }
  return networks;
}

bool IpNetworks::contains(const IpAddress& address) const {
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const IpNetwork& network) { return network.contains(address); });
}

bool IpNetworks::contains(std::string_view address) const {
  std::optional<IpAddress> parsed = IpAddress::parse(address);
  return parsed && contains(*parsed);
}

}  // namespace sluice::auth
