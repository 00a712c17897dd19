#pragma once
// The formats of authentication values (MediaMTX's credential.go and ip_networks.go): credentials
// and IP networks. The configuration checks them when it is loaded and the auth module reads them
// with the same rules, so that a value is either rejected at load time or means what it says.
#include <optional>
#include <string>
#include <string_view>

namespace sluice::config {

inline constexpr std::string_view kSha256CredentialPrefix = "sha256:";
inline constexpr std::string_view kArgon2CredentialPrefix = "argon2:";

// Why `credential` (a user name or a password) cannot be used, or nullopt if it can: empty,
// plain text of MediaMTX's allowed characters, or "sha256:" and the base64 of a 32-byte digest.
// "argon2:" hashes are recognised but not supported. The message never quotes the credential.
std::optional<std::string> credentialProblem(std::string_view credential);

// "a.b.c.d/n" or "x:y::z/n" with the host bits cleared, for an IP address (a /32 or /128) or a
// CIDR range; IPv4-mapped IPv6 forms become IPv4, as in MediaMTX. nullopt if `text` is neither.
std::optional<std::string> canonicalIpNetwork(std::string_view text);

// publish, read, playback, api, metrics, pprof.
bool isAuthAction(std::string_view action);

}  // namespace sluice::config
