#include "auth/DigestAuthorization.h"

#include <openssl/crypto.h>

#include "core/AsciiText.h"
#include "core/AuthParams.h"

namespace sluice::auth {
namespace {

constexpr size_t kMaxHeaderLength = 4096;

std::optional<DigestAuthorization> failWith(std::string* error, const char* message) {
  if (error) *error = message;
  return std::nullopt;
}

bool sameText(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "rtsp://h/p/trackID=3" -> "rtsp://h/p/"; empty when the URL has no such suffix.
std::string_view withoutTrackId(std::string_view url) {
  const size_t at = url.rfind("/trackID=");
  if (at == std::string_view::npos || at + 9 == url.size()) return {};
  for (char c : url.substr(at + 9))
    if (c < '0' || c > '9') return {};
  return url.substr(0, at + 1);
}

}  // namespace

bool isDigestAuthorization(std::string_view header) {
  std::string_view s = header;
  core::skipBlanks(s);
  return core::iequals(core::takeToken(s), "Digest") && (s.empty() || s.front() == ' ' || s.front() == '\t');
}

std::optional<DigestAuthorization> parseDigestAuthorization(std::string_view s, std::string* error) {
  if (s.size() > kMaxHeaderLength) return failWith(error, "Authorization header too long");
  core::skipBlanks(s);
  if (!core::iequals(core::takeToken(s), "Digest"))
    return failWith(error, "not a Digest Authorization header");
  if (s.empty() || (s.front() != ' ' && s.front() != '\t'))
    return failWith(error, "malformed Digest Authorization");

  enum Field { Username, Realm, Nonce, Uri, Response, Algorithm, Count };
  bool seen[Count] = {};
  std::string algorithm;
  DigestAuthorization out;
  std::string value;
  for (;;) {
    core::skipBlanks(s);
    while (!s.empty() && s.front() == ',') {
      s.remove_prefix(1);
      core::skipBlanks(s);
    }
    if (s.empty()) break;
    const std::string_view key = core::takeToken(s);
    if (key.empty()) return failWith(error, "malformed Digest parameter");
    core::skipBlanks(s);
    if (s.empty() || s.front() != '=') return failWith(error, "Digest parameter without a value");
    s.remove_prefix(1);
    core::skipBlanks(s);
    if (!s.empty() && s.front() == '"') {
      if (!core::takeQuotedString(s, value))
        return failWith(error, "unterminated quoted string in Digest Authorization");
    } else {
      const std::string_view token = core::takeToken(s);
      if (token.empty()) return failWith(error, "missing Digest parameter value");
      value.assign(token);
    }
    core::skipBlanks(s);
    if (!s.empty() && s.front() != ',') return failWith(error, "malformed Digest parameter list");

    std::string* target = nullptr;
    Field field = Count;
    if (core::iequals(key, "username")) {
      field = Username, target = &out.username;
    } else if (core::iequals(key, "realm")) {
      field = Realm, target = &out.realm;
    } else if (core::iequals(key, "nonce")) {
      field = Nonce, target = &out.nonce;
    } else if (core::iequals(key, "uri")) {
      field = Uri, target = &out.uri;
    } else if (core::iequals(key, "response")) {
      field = Response, target = &out.response;
    } else if (core::iequals(key, "algorithm")) {
      field = Algorithm, target = &algorithm;
    } else if (core::iequals(key, "qop")) {
      return failWith(error, "qop in a Digest answer to a challenge that offered none");
    }
    if (!target) continue;  // opaque, cnonce, nc...: not part of a qop-less answer
    if (seen[field]) return failWith(error, "duplicate Digest parameter");
    seen[field] = true;
    *target = std::move(value);
    value.clear();
  }
  for (int f = Username; f <= Response; ++f)
    if (!seen[f])
      return failWith(error, "Digest Authorization without username, realm, nonce, uri or response");
  std::optional<core::DigestAlgorithm> a = core::digestAlgorithmFromName(algorithm);
  if (!a) return failWith(error, "unsupported Digest algorithm (expected MD5 or SHA-256)");
  out.algorithm = *a;
  return out;
}

bool digestAnswerMatches(const DigestAuthorization& answer, const DigestChallenge& challenge,
                         std::string_view user, std::string_view password) {
  if (answer.realm != challenge.realm || answer.nonce != challenge.nonce) return false;
  if (answer.uri != challenge.requestUri) {
    const std::string_view base = withoutTrackId(challenge.requestUri);
    if (base.empty() || (answer.uri != base && answer.uri + "/" != base)) return false;
  }
  const std::string expected = core::digestResponseWithoutQop(
      answer.algorithm, user, challenge.realm, password, challenge.nonce, challenge.method, answer.uri);
  // Both compared, so the time taken does not tell a right user name from a wrong one.
  const bool userMatches = sameText(answer.username, user);
  const bool responseMatches = sameText(core::toLowerAscii(answer.response), expected);
  return userMatches && responseMatches;
}

}  // namespace sluice::auth
