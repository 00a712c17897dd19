#pragma once
// A configured user name or password (MediaMTX's conf.Credential): plain text or
// "sha256:<base64 of the SHA-256 digest>". Both are kept as a SHA-256 digest and a guess is
// compared digest to digest in constant time, so neither the content nor the length of the
// secret shows in how long a check takes.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(std::string_view data);

class Credential {
 public:
  // nullopt (and `error`, if given) for what the configuration rejects: characters outside
  // MediaMTX's plain set, a malformed sha256 value, and argon2 hashes, which Sluice recognises
  // but cannot check yet. `error` never quotes the credential.
  static std::optional<Credential> parse(std::string_view text, std::string* error = nullptr);

  // An empty credential accepts any guess, as in MediaMTX (a user with no pass needs only the
  // user name).
  bool empty() const { return empty_; }
  bool hashed() const { return hashed_; }

  bool matches(std::string_view guess) const { return matchesDigest(sha256(guess)); }
  // For checking one guess against many credentials without hashing it again.
  bool matchesDigest(const Sha256Digest& guessDigest) const;

 private:
  Credential() = default;
  bool empty_ = true;
  bool hashed_ = false;
  Sha256Digest digest_{};
};

}  // namespace sluice::auth
