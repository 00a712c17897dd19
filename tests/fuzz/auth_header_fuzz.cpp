// module: auth
// The parsers of untrusted authentication input: the HTTP Authorization header, credentials and
// IP addresses/networks, then a full check against a fixed set of users. Besides not crashing,
// the readings must agree with the configuration's checks, which decide what gets loaded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/AuthManager.h"
#include "auth/Credential.h"
#include "auth/HttpAuth.h"
#include "auth/HttpCredentials.h"
#include "auth/IpNetworks.h"
#include "config/AuthFormats.h"

using namespace sluice;

namespace {

const auth::AuthManager& fixedManager() {
  static const auth::AuthManager kManager = *auth::AuthManager::create({
      {"any", "", {"127.0.0.1", "::1"}, {{"api", ""}}},
      {"admin", "sha256:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", {}, {{"metrics", ""}}},
      {"viewer", "pw", {"10.0.0.0/8", "2001:db8::/32"}, {{"read", "~^cam(\\d+)$"}, {"publish", "cam1"}}},
  });
  return kManager;
}

void checkCredential(std::string_view text) {
  std::optional<auth::Credential> credential = auth::Credential::parse(text);
  if (credential.has_value() != !config::credentialProblem(text)) __builtin_trap();
  if (credential && !credential->hashed() && !credential->matches(text)) __builtin_trap();
}

void checkNetwork(std::string_view text) {
  std::optional<auth::IpNetwork> network = auth::IpNetwork::parse(text);
  if (network.has_value() != config::canonicalIpNetwork(text).has_value()) __builtin_trap();
  if (network) {
    // The canonical text reads back as the same network.
    std::optional<auth::IpNetwork> again = auth::IpNetwork::parse(network->toString());
    if (!again || again->toString() != network->toString()) __builtin_trap();
  }
  if (std::optional<auth::IpAddress> address = auth::IpAddress::parse(text)) {
    if (network && !network->contains(*address)) __builtin_trap();  // an address is in its own /32 or /128
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auth::Credentials credentials = auth::parseHttpAuthorization(text);
  if (std::optional<auth::BasicCredentials> basic = auth::parseBasicAuthorization(text)) {
    if (credentials.user != basic->user || credentials.pass != basic->pass) __builtin_trap();
  }
  checkCredential(text);
  checkNetwork(text);

  // The first line is the header, the rest the client address and path.
  const size_t newline = text.find('\n');
  std::string_view header = text.substr(0, newline);
  std::string_view rest = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  const size_t space = rest.find(' ');
  std::string_view ip = rest.substr(0, space);
  std::string_view path = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  for (std::string_view action : {"api", "metrics", "read", "publish", "bogus"}) {
    auth::AuthResult result = auth::authenticateHttp(fixedManager(), header, ip, action, path);
    if (result == auth::AuthResult::NoCredentials && !auth::parseHttpAuthorization(header).empty()) {
      __builtin_trap();
    }
  }
  return 0;
}
