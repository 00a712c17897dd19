#include "rtsp/RtspDigestAuth.h"

#include <fmt/format.h>

#include "core/Base64.h"
#include "core/Random.h"
#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {

std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string digestResponse(const RtspDigestInput& in) {
  std::string ha1 = digestHash(in.algorithm, fmt::format("{}:{}:{}", in.user, in.realm, in.password));
  std::string ha2 = digestHash(in.algorithm, fmt::format("{}:{}", in.method, in.uri));
  if (in.qopAuth) {
    return digestHash(in.algorithm,
                      fmt::format("{}:{}:{:08x}:{}:auth:{}", ha1, in.nonce, in.nc, in.cnonce, ha2));
  }
  return digestHash(in.algorithm, fmt::format("{}:{}:{}", ha1, in.nonce, ha2));
}

std::string basicAuthorization(std::string_view user, std::string_view password) {
  std::string plain = fmt::format("{}:{}", user, password);
  return "Basic " + core::base64Encode(plain);
}

std::string digestAuthorization(const RtspAuthChallenge& challenge, const RtspDigestInput& in) {
  std::string out = "Digest username=" + quoted(in.user);
  out += ", realm=" + quoted(in.realm);
  out += ", nonce=" + quoted(in.nonce);
  out += ", uri=" + quoted(in.uri);
  out += ", response=" + quoted(digestResponse(in));
  if (challenge.hasOpaque) out += ", opaque=" + quoted(challenge.opaque);
  if (!challenge.algorithm.empty()) {
    out += ", algorithm=";
    out += in.algorithm == RtspDigestAlgorithm::Sha256 ? "SHA-256" : "MD5";
  }
  if (in.qopAuth) out += fmt::format(", qop=auth, nc={:08x}, cnonce={}", in.nc, quoted(in.cnonce));
  return out;
}

bool RtspAuthenticator::acceptChallenges(const std::vector<std::string_view>& headers, std::string* error) {
  std::optional<RtspAuthChallenge> best;
  int bestRank = 0;
  RtspDigestAlgorithm bestAlgorithm = RtspDigestAlgorithm::Md5;
  std::string lastError = "no WWW-Authenticate challenge";
  for (auto header : headers) {
    std::string parseError;
    auto c = parseRtspAuthChallenge(header, &parseError);
    if (!c) {
      lastError = parseError;
      continue;
    }
    int rank = 1;
    RtspDigestAlgorithm algorithm = RtspDigestAlgorithm::Md5;
    if (c->scheme == RtspAuthChallenge::Scheme::Digest) {
      auto a = digestAlgorithmFromName(c->algorithm);
      if (!a) {
        lastError = "unsupported digest algorithm";
        continue;
      }
      algorithm = *a;
      rank = *a == RtspDigestAlgorithm::Sha256 ? 3 : 2;
    }
    if (rank > bestRank) {
      best = std::move(c);
      bestRank = rank;
      bestAlgorithm = algorithm;
    }
  }
  if (!best) {
    if (error) *error = lastError;
    return false;
  }
  challenge_ = std::move(best);
  algorithm_ = bestAlgorithm;
  nc_ = 0;
  return true;
}

std::string RtspAuthenticator::authorize(std::string_view method, std::string_view uri) {
  if (!challenge_) return {};
  if (challenge_->scheme == RtspAuthChallenge::Scheme::Basic) return basicAuthorization(user_, password_);
  RtspDigestInput in;
  in.algorithm = algorithm_;
  in.user = user_;
  in.password = password_;
  in.realm = challenge_->realm;
  in.nonce = challenge_->nonce;
  in.method = method;
  in.uri = uri;
  in.qopAuth = challenge_->qopAuth;
  std::string cnonce;
  if (in.qopAuth) {
    in.nc = ++nc_;
    cnonce = fmt::format("{:08x}{:08x}", core::random32(), core::random32());
    in.cnonce = cnonce;
  }
  return digestAuthorization(*challenge_, in);
}

}  // namespace sluice::rtsp
