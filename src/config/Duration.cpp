#include "config/Duration.h"

#include <cstdint>
#include <limits>

namespace sluice::config {
namespace {

constexpr int64_t kMaxNs = std::numeric_limits<int64_t>::max();

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Nanoseconds per unit, 0 if unknown.
int64_t unitNs(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;  // us, µs (micro), μs (mu)
  if (unit == "ms") return 1000000;
  if (unit == "s") return 1000000000;
  if (unit == "m") return 60LL * 1000000000;
  if (unit == "h") return 3600LL * 1000000000;
  return 0;
}

// Go's time.ParseDuration on an unsigned remainder: one or more <number><unit> terms.
std::optional<int64_t> parseGoTerms(std::string_view s) {
  int64_t total = 0;
  while (!s.empty()) {
    size_t i = 0;
    uint64_t whole = 0;
    bool digits = false, wholeOverflow = false;
    for (; i < s.size() && isDigit(s[i]); ++i) {
      digits = true;
      if (whole > (static_cast<uint64_t>(kMaxNs) - 9) / 10)
        wholeOverflow = true;
      else
        whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    long double fraction = 0, scale = 1;
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && isDigit(s[i]); ++i) {
        digits = true;
        if (scale < 1e18L) {
          fraction = fraction * 10 + (s[i] - '0');
          scale *= 10;
        }
      }
    }
    if (!digits || wholeOverflow) return std::nullopt;
    size_t unitStart = i;
    while (i < s.size() && !isDigit(s[i]) && s[i] != '.') ++i;
    int64_t unit = unitNs(s.substr(unitStart, i - unitStart));
    if (unit == 0) return std::nullopt;  // also "missing unit"
    if (whole > static_cast<uint64_t>(kMaxNs / unit)) return std::nullopt;
    int64_t term = static_cast<int64_t>(whole) * unit;
    int64_t fractionNs = static_cast<int64_t>(fraction * unit / scale);
    if (term > kMaxNs - fractionNs) return std::nullopt;
    term += fractionNs;
    if (total > kMaxNs - term) return std::nullopt;
    total += term;
    s.remove_prefix(i);
  }
  return total;
}

}  // namespace

std::optional<std::chrono::nanoseconds> parseDuration(std::string_view text) {
  bool negative = false;
  int64_t total = 0;

  // MediaMTX's extension: a leading "<days>d", the sign going with the days.
  size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  size_t dayDigits = i;
  while (i < text.size() && isDigit(text[i])) ++i;
  if (i > dayDigits && i < text.size() && text[i] == 'd') {
    negative = text[0] == '-';
    int64_t days = 0;
    for (size_t k = dayDigits; k < i; ++k) {
      if (days > 106751) return std::nullopt;  // more would overflow int64 nanoseconds
      days = days * 10 + (text[k] - '0');
    }
    constexpr int64_t kDayNs = 86400LL * 1000000000;
    if (days > kMaxNs / kDayNs) return std::nullopt;
    total = days * kDayNs;
    text.remove_prefix(i + 1);
    if (text.empty()) return std::chrono::nanoseconds(negative ? -total : total);
  }

  // Go's syntax: [-+]?(<number><unit>)+ or the special "0".
  bool goNegative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    goNegative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::nanoseconds(negative ? -total : total);
  if (text.empty()) return std::nullopt;
  std::optional<int64_t> rest = parseGoTerms(text);
  if (!rest) return std::nullopt;
  int64_t restNs = goNegative ? -*rest : *rest;
  // MediaMTX adds the days to the Go part, then applies the days' sign to the sum.
  if (restNs > 0 && total > kMaxNs - restNs) return std::nullopt;
  int64_t sum = restNs + total;
  return std::chrono::nanoseconds(negative ? -sum : sum);
}

}  // namespace sluice::config
