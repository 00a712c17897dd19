#pragma once
// ASCII text helpers for protocol and configuration text (RTSP and HTTP header names, SDP
// and fmtp parameters, keys): case folding of ASCII letters only, whatever the locale, and
// trimming of blanks and line ends. One copy for every module.
#include <string>
#include <string_view>

namespace sluice::core {

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string toLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = asciiLower(c);
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

inline bool istartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline bool isBlankOrLineEnd(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Without leading and trailing spaces, tabs, CR and LF.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && isBlankOrLineEnd(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlankOrLineEnd(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace sluice::core
