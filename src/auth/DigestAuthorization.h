#pragma once
// Digest credentials (RFC 2617 without qop, as RTSP clients send them; MD5, or SHA-256 per
// RFC 7616) from an Authorization header, and their check against a user's password:
//   Digest username="u", realm="ipcam", nonce="n", uri="rtsp://h/p", response="..."[, algorithm=MD5]
// The RTSP server challenges with its realm and a per-connection nonce (rtspAuthMethods:
// [digest]); its owner (app/) parses the answer here and AuthManager checks it with each
// configured user's plain-text password.
#include <optional>
#include <string>
#include <string_view>

#include "core/DigestHash.h"

namespace sluice::auth {

struct DigestAuthorization {
  std::string username, realm, nonce, uri, response;
  core::DigestAlgorithm algorithm = core::DigestAlgorithm::Md5;
};

// True when `header` names the Digest scheme (case-insensitive), whatever follows.
bool isDigestAuthorization(std::string_view header);

// nullopt (and why in `error`) for another scheme, a header over 4 KiB, a malformed or
// duplicated parameter, an unterminated quoted string, a missing username/realm/nonce/uri/
// response, an algorithm other than MD5 and SHA-256, or qop (the server offers none).
std::optional<DigestAuthorization> parseDigestAuthorization(std::string_view header,
                                                            std::string* error = nullptr);

// What the server checks an answer against: its challenge and the request it came with.
struct DigestChallenge {
  std::string realm, nonce;
  std::string method;      // the request's method ("DESCRIBE")
  std::string requestUri;  // the request's URL
};

// True when `answer` is for `challenge` (same realm and nonce, its uri the request's URL or,
// as some clients send at SETUP, that URL without its "/trackID=<n>") and its response is the
// one `user` and `password` give.
bool digestAnswerMatches(const DigestAuthorization& answer, const DigestChallenge& challenge,
                         std::string_view user, std::string_view password);

}  // namespace sluice::auth
