#include "rtsp/RtspAuthChallenge.h"

#include "core/AuthParams.h"
#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {

constexpr size_t kMaxHeaderLength = 4096;

std::optional<RtspAuthChallenge> failWith(std::string* error, const char* message) {
  if (error) *error = message;
  return std::nullopt;
}

bool qopListHasAuth(std::string_view list) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), "auth")) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<RtspAuthChallenge> parseRtspAuthChallenge(std::string_view s, std::string* error) {
  if (s.size() > kMaxHeaderLength) return failWith(error, "WWW-Authenticate header too long");
  core::skipBlanks(s);
  std::string_view scheme = core::takeToken(s);
  RtspAuthChallenge out;
  if (iequals(scheme, "Basic")) {
    out.scheme = RtspAuthChallenge::Scheme::Basic;
  } else if (iequals(scheme, "Digest")) {
    out.scheme = RtspAuthChallenge::Scheme::Digest;
  } else {
    return failWith(error, "unsupported authentication scheme");
  }
  if (!s.empty() && s.front() != ' ' && s.front() != '\t')
    return failWith(error, "malformed WWW-Authenticate");

  bool hasNonce = false;
  bool hasRealm = false;
  std::string value;
  for (;;) {
    core::skipBlanks(s);
    while (!s.empty() && s.front() == ',') {
      s.remove_prefix(1);
      core::skipBlanks(s);
    }
    if (s.empty()) break;
    std::string_view key = core::takeToken(s);
    if (key.empty()) return failWith(error, "malformed WWW-Authenticate parameter");
    core::skipBlanks(s);
    if (s.empty() || s.front() != '=') {
      // A bare token starts the next challenge of a multi-challenge header.
      break;
    }
    s.remove_prefix(1);
    core::skipBlanks(s);
    if (!s.empty() && s.front() == '"') {
      if (!core::takeQuotedString(s, value))
        return failWith(error, "unterminated quoted string in WWW-Authenticate");
    } else {
      std::string_view token = core::takeToken(s);
      if (token.empty()) return failWith(error, "missing WWW-Authenticate parameter value");
      value.assign(token);
    }
    core::skipBlanks(s);
    if (!s.empty() && s.front() != ',') return failWith(error, "malformed WWW-Authenticate parameter list");

    if (iequals(key, "realm")) {
      out.realm = value;
      hasRealm = true;
    } else if (iequals(key, "nonce")) {
      out.nonce = value;
      hasNonce = true;
    } else if (iequals(key, "opaque")) {
      out.opaque = value;
      out.hasOpaque = true;
    } else if (iequals(key, "algorithm")) {
      out.algorithm = value;
    } else if (iequals(key, "qop")) {
      out.qopAuth = qopListHasAuth(value);
    } else if (iequals(key, "stale")) {
      out.stale = iequals(value, "true");
    }
  }
  if (out.scheme == RtspAuthChallenge::Scheme::Digest && (!hasRealm || !hasNonce)) {
    return failWith(error, "Digest challenge without realm or nonce");
  }
  return out;
}

}  // namespace sluice::rtsp
