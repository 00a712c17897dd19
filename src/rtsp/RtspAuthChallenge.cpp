#include "rtsp/RtspAuthChallenge.h"

#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {

constexpr size_t kMaxHeaderLength = 4096;

std::optional<RtspAuthChallenge> failWith(std::string* error, const char* message) {
  if (error) *error = message;
  return std::nullopt;
}

void skipSpaces(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

std::string_view takeToken(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && isTokenChar(s[n])) ++n;
  std::string_view t = s.substr(0, n);
  s.remove_prefix(n);
  return t;
}

// quoted-string with backslash escapes; false when the closing quote is missing.
bool takeQuoted(std::string_view& s, std::string& out) {
  s.remove_prefix(1);  // opening quote
  out.clear();
  while (!s.empty()) {
    char c = s.front();
    s.remove_prefix(1);
    if (c == '"') return true;
    if (c == '\\') {
      if (s.empty()) return false;
      c = s.front();
      s.remove_prefix(1);
    }
    out += c;
  }
  return false;
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
  skipSpaces(s);
  std::string_view scheme = takeToken(s);
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
    skipSpaces(s);
    while (!s.empty() && s.front() == ',') {
      s.remove_prefix(1);
      skipSpaces(s);
    }
    if (s.empty()) break;
    std::string_view key = takeToken(s);
    if (key.empty()) return failWith(error, "malformed WWW-Authenticate parameter");
    skipSpaces(s);
    if (s.empty() || s.front() != '=') {
      // A bare token starts the next challenge of a multi-challenge header.
      break;
    }
    s.remove_prefix(1);
    skipSpaces(s);
    if (!s.empty() && s.front() == '"') {
      if (!takeQuoted(s, value)) return failWith(error, "unterminated quoted string in WWW-Authenticate");
    } else {
      std::string_view token = takeToken(s);
      if (token.empty()) return failWith(error, "missing WWW-Authenticate parameter value");
      value.assign(token);
    }
    skipSpaces(s);
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
