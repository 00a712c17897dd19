#pragma once
// Small text helpers shared by the RTSP parsers: RTSP header names and most parameter
// names are case-insensitive (core/AsciiText.h), and every parser must turn numbers into
// values without accepting signs, spaces or overflow that std::stoi would let through or
// throw on.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/AsciiText.h"
#include "core/AuthParams.h"

namespace sluice::rtsp {

using core::asciiLower;
using core::iequals;
using core::istartsWith;
using core::trim;

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
using core::isTokenChar;

inline bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

}  // namespace sluice::rtsp
