#include "config/AuthFieldChecks.h"

#include <fmt/format.h>

#include "config/AuthFormats.h"
#include "core/HttpUrl.h"

namespace sluice::config {

void requireAuthMethod(const Origin& origin, const std::string& value) {
  if (value == "internal" || value == "http") return;
  if (value == "jwt") {
    // Ignoring the method would leave open what the file meant to protect, so refuse to start.
    fail(origin, "authMethod 'jwt' is not supported by Sluice yet (only 'internal' and 'http' are)");
  }
  fail(origin, fmt::format("invalid authMethod '{}' (expected internal, http, jwt)", value));
}

void requireAuthHttpAddress(const Origin& origin, const std::string& value) {
  if (value.empty()) return;
  std::string error;
  // The message leaves the URL out: it may hold a password.
  if (!core::parseHttpUrl(value, error)) fail(origin, "invalid authentication server address: " + error);
}

void requireIpNetworks(const Origin& origin, const std::vector<std::string>& value) {
  for (const std::string& item : value) {
    if (!canonicalIpNetwork(item)) {
      fail(origin, fmt::format("invalid IP address or CIDR range '{}'", item));
    }
  }
}

void requireCredential(const Origin& origin, const std::string& value) {
  if (std::optional<std::string> problem = credentialProblem(value)) fail(origin, *problem);
}

void requireOptionalCredential(const Origin& origin, const std::optional<std::string>& value) {
  if (value) requireCredential(origin, *value);
}

void requireOptionalIpNetworks(const Origin& origin, const std::optional<std::vector<std::string>>& value) {
  if (value) requireIpNetworks(origin, *value);
}

}  // namespace sluice::config
