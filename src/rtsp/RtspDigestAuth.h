#pragma once
// Builds the Authorization header of RTSP requests from URL credentials: Basic, or Digest
// (RFC 2617 with and without qop=auth, RFC 2069 style; MD5 or SHA-256 per RFC 7616).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/DigestHash.h"
#include "rtsp/RtspAuthChallenge.h"

namespace sluice::rtsp {

// The hashing is core's (the server side checks responses with the same code).
using RtspDigestAlgorithm = core::DigestAlgorithm;
using core::digestAlgorithmFromName;
using core::digestHash;

struct RtspDigestInput {
  RtspDigestAlgorithm algorithm = RtspDigestAlgorithm::Md5;
  std::string_view user;
  std::string_view password;
  std::string_view realm;
  std::string_view nonce;
  std::string_view method;
  std::string_view uri;
  bool qopAuth = false;  // with qop=auth the response also covers nc and cnonce
  uint32_t nc = 1;
  std::string_view cnonce;
};

// The "response" value: H(H(user:realm:pass):nonce[:nc:cnonce:auth]:H(method:uri)).
std::string digestResponse(const RtspDigestInput& in);

// "Basic base64(user:password)".
std::string basicAuthorization(std::string_view user, std::string_view password);

// A complete "Digest username=..., response=..." header value for one request.
std::string digestAuthorization(const RtspAuthChallenge& challenge, const RtspDigestInput& in);

// Holds the credentials and the challenge chosen from a 401 response, and authorizes every
// later request of the connection (counting nc for qop=auth).
class RtspAuthenticator {
 public:
  RtspAuthenticator(std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {}

  // Chooses among the WWW-Authenticate values of a 401: Digest SHA-256, then Digest MD5,
  // then Basic. False (with `error`) when none is usable.
  bool acceptChallenges(const std::vector<std::string_view>& headers, std::string* error);
  bool active() const { return challenge_.has_value(); }
  // The Authorization value for this request; empty when no challenge was accepted.
  std::string authorize(std::string_view method, std::string_view uri);

 private:
  std::string user_;
  std::string password_;
  std::optional<RtspAuthChallenge> challenge_;
  RtspDigestAlgorithm algorithm_ = RtspDigestAlgorithm::Md5;
  uint32_t nc_ = 0;
};

}  // namespace sluice::rtsp
