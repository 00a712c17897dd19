#pragma once
// Checks of authentication and listener values, made where the value is read so that the error
// names its origin. Messages never quote a credential.
#include <optional>
#include <string>
#include <vector>

#include "config/InputValue.h"

namespace sluice::config {

// "internal" or "http"; "jwt" is a MediaMTX method Sluice cannot honour yet.
void requireAuthMethod(const Origin& origin, const std::string& value);
// authHTTPAddress: empty, or an http:// or https:// URL with a host.
void requireAuthHttpAddress(const Origin& origin, const std::string& value);
// Every item is an IP address or a CIDR range.
void requireIpNetworks(const Origin& origin, const std::vector<std::string>& value);
void requireCredential(const Origin& origin, const std::string& value);
// The same for the deprecated per-path keys, which may be unset.
void requireOptionalCredential(const Origin& origin, const std::optional<std::string>& value);
void requireOptionalIpNetworks(const Origin& origin, const std::optional<std::vector<std::string>>& value);

}  // namespace sluice::config
