#include "auth/Credential.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "config/AuthFormats.h"
#include "core/Base64.h"

namespace sluice::auth {

Sha256Digest sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

std::optional<Credential> Credential::parse(std::string_view text, std::string* error) {
  // The configuration applies the same rules when it loads, so a value that gets here from a
  // loaded Config always parses.
  if (std::optional<std::string> problem = config::credentialProblem(text)) {
    if (error) *error = std::move(*problem);
    return std::nullopt;
  }
  Credential credential;
  credential.empty_ = text.empty();
  if (text.substr(0, config::kSha256CredentialPrefix.size()) == config::kSha256CredentialPrefix) {
    std::optional<std::vector<uint8_t>> decoded =
        core::base64Decode(text.substr(config::kSha256CredentialPrefix.size()));
    if (!decoded || decoded->size() != credential.digest_.size()) {
      if (error) *error = "malformed sha256 credential";
      return std::nullopt;
    }
    std::copy(decoded->begin(), decoded->end(), credential.digest_.begin());
    credential.hashed_ = true;
  } else {
    credential.digest_ = sha256(text);
  }
  return credential;
}

bool Credential::matchesDigest(const Sha256Digest& guessDigest) const {
  const bool same = CRYPTO_memcmp(digest_.data(), guessDigest.data(), digest_.size()) == 0;
  return empty_ || same;
}

}  // namespace sluice::auth
