#pragma once
// The pieces of RFC 7235 auth-param lists (WWW-Authenticate challenges, Authorization
// credentials) and of RTSP/HTTP tokens: token characters, blanks, a token, a quoted-string.
// Shared by the RTSP client's challenge parser and the server side's Digest parser.
#include <string>
#include <string_view>

namespace sluice::core {

// RFC 7230 tchar (RFC 2326's token characters too).
inline bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

inline void skipBlanks(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

// The longest run of token characters at the front of `s` (possibly empty), consumed.
inline std::string_view takeToken(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && isTokenChar(s[n])) ++n;
  const std::string_view t = s.substr(0, n);
  s.remove_prefix(n);
  return t;
}

// A quoted-string with backslash escapes, `s` starting at its opening quote; false when the
// closing quote is missing.
inline bool takeQuotedString(std::string_view& s, std::string& out) {
  s.remove_prefix(1);
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

}  // namespace sluice::core
