#pragma once
// Small text helpers shared by the RTSP parsers: RTSP header names and most parameter
// names are case-insensitive, and every parser must turn numbers into values without
// accepting signs, spaces or overflow that std::stoi would let through or throw on.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::rtsp {

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

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

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Decimal digits only, the whole string, no overflow of T.
template <class T>
std::optional<T> parseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Hexadecimal digits only (either case), the whole string, no overflow of T.
template <class T>
std::optional<T> parseHex(std::string_view s) {
  if (s.empty() || s.size() > 2 * sizeof(T)) return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// RFC 2326 token characters (method names, header names, parameter names).
inline bool isTokenChar(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
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

inline bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

}  // namespace sluice::rtsp
