#include "http/ApiQuery.h"

#include <algorithm>

#include "http/HttpText.h"

namespace sluice::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// url.QueryUnescape: '+' is a space; a malformed escape fails the whole pair.
bool queryUnescape(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hexValue(in[i + 1]);
      const int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

// Calls `f(key, value)` for every well-formed pair until it returns true.
template <class F>
bool forEachPair(std::string_view query, F f) {
  std::string key, value;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    // Since Go 1.17 a ';' makes the pair invalid instead of being a separator.
    if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
    const size_t eq = pair.find('=');
    std::string_view rawKey = pair.substr(0, eq);
    std::string_view rawValue = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!queryUnescape(rawKey, key) || !queryUnescape(rawValue, value)) continue;
    if (f(key, value)) return true;
  }
  return false;
}

// strconv.ParseUint(text, 10, 31).
bool parseUint31(std::string_view text, uint64_t& out, std::string& error) {
  const std::string prefix = "strconv.ParseUint: parsing " + goQuote(text) + ": ";
  if (text.empty()) {
    error = prefix + "invalid syntax";
    return false;
  }
  constexpr uint64_t kMax = (uint64_t{1} << 31) - 1;
  uint64_t value = 0;
  // Like Go: scanning stops at the first bad character or at the first overflow.
  for (char c : text) {
    if (c < '0' || c > '9') {
      error = prefix + "invalid syntax";
      return false;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > kMax) {
      error = prefix + "value out of range";
      return false;
    }
  }
  out = value;
  return true;
}

}  // namespace

std::string queryParam(std::string_view rawQuery, std::string_view key) {
  std::string found;
  forEachPair(rawQuery, [&](const std::string& k, std::string& v) {
    if (k != key) return false;
    found = std::move(v);
    return true;
  });
  return found;
}

bool hasQueryParam(std::string_view rawQuery, std::string_view key) {
  return forEachPair(rawQuery, [&](const std::string& k, const std::string&) { return k == key; });
}

std::string goQuote(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
  return out;
}

bool paginate(size_t itemCount, std::string_view itemsPerPage, std::string_view page, PageSlice& out,
              std::string& error) {
  uint64_t perPage = 100;
  if (!itemsPerPage.empty()) {
    if (!parseUint31(itemsPerPage, perPage, error)) return false;
    if (perPage == 0) {
      error = "invalid items per page";
      return false;
    }
  }
  uint64_t pageIndex = 0;
  if (!page.empty() && !parseUint31(page, pageIndex, error)) return false;

  out = PageSlice{};
  if (itemCount == 0) return true;
  const uint64_t count = itemCount;
  out.pageCount = static_cast<size_t>((count + perPage - 1) / perPage);
  // Both factors are < 2^31, so the products fit in 64 bits.
  out.first = static_cast<size_t>(std::min(pageIndex * perPage, count));
  out.last = static_cast<size_t>(std::min((pageIndex + 1) * perPage, count));
  return true;
}

bool parseUuidParam(std::string_view text, std::string& canonical, std::string& error) {
  const size_t n = text.size();
  if (n != 32 && n != 36 && n != 38 && n != 45) {
    error = "invalid UUID length: " + std::to_string(n);
    return false;
  }
  if (n == 45 && !iequals(text.substr(0, 9), "urn:uuid:")) {
    error = "invalid urn prefix: " + goQuote(text.substr(0, 9));
    return false;
  }
  if (!canonicalUuid(text, canonical)) {
    error = "invalid UUID format";
    return false;
  }
  return true;
}

}  // namespace sluice::http
