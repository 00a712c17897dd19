#include "config/AuthFormats.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/Base64.h"

namespace sluice::config {
namespace {

constexpr std::string_view kPlainCredentialCharacters = "!$()*+.;<=>[]^_-{}@#&";

bool isPlainCredentialCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kPlainCredentialCharacters.find(c) != std::string_view::npos;
}

bool isBase64Character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '=';
}

std::optional<int> parsePrefixLength(std::string_view text) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

bool isV4Mapped(const std::array<uint8_t, 16>& bytes) {
  static constexpr std::array<uint8_t, 12> kPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(kPrefix.begin(), kPrefix.end(), bytes.begin());
}

}  // namespace

std::optional<std::string> credentialProblem(std::string_view credential) {
  if (credential.substr(0, kArgon2CredentialPrefix.size()) == kArgon2CredentialPrefix) {
    return "argon2 hashes are not supported by Sluice yet; use 'sha256:<base64 of the SHA-256 digest>' or a "
           "plain credential";
  }
  if (credential.substr(0, kSha256CredentialPrefix.size()) == kSha256CredentialPrefix) {
    std::string_view encoded = credential.substr(kSha256CredentialPrefix.size());
    std::optional<std::vector<uint8_t>> digest;
    if (!encoded.empty() && std::all_of(encoded.begin(), encoded.end(), isBase64Character)) {
      digest = core::base64Decode(encoded);
    }
    if (!digest || digest->size() != 32) {
      return std::string(
          "a sha256 credential must be 'sha256:' followed by the base64 of a 32-byte SHA-256 "
          "digest");
    }
    return std::nullopt;
  }
  if (!std::all_of(credential.begin(), credential.end(), isPlainCredentialCharacter)) {
    return fmt::format("credential contains unsupported characters (supported are A-Z, a-z, 0-9 and {})",
                       kPlainCredentialCharacters);
  }
  return std::nullopt;
}

std::optional<std::string> canonicalIpNetwork(std::string_view text) {
  // inet_pton reads a C string: an embedded NUL would make it accept only the part before.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  std::optional<int> prefix;
  if (slash != std::string_view::npos) {
    prefix = parsePrefixLength(text.substr(slash + 1));
    if (!prefix) return std::nullopt;
  }
  std::array<uint8_t, 16> bytes{};
  int bits = 0;
  if (inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) {
    bits = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
    bits = 128;
    // Go reads ::ffff:a.b.c.d (and such a range of /96 or longer) as IPv4.
    if (isV4Mapped(bytes) && prefix.value_or(128) >= 96) {
      std::copy(bytes.begin() + 12, bytes.end(), bytes.begin());
      bits = 32;
      if (prefix) *prefix -= 96;
    }
  } else {
    return std::nullopt;
  }
  const int length = prefix.value_or(bits);
  if (length > bits) return std::nullopt;
  for (int bit = length; bit < bits; ++bit) bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(bits == 32 ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof(buffer));
  return fmt::format("{}/{}", buffer, length);
}

bool isAuthAction(std::string_view action) {
  return action == "publish" || action == "read" || action == "playback" || action == "api" ||
         action == "metrics" || action == "pprof";
}

}  // namespace sluice::config
