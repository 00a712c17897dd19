#include "http/HttpText.h"

#include <cstdio>

namespace sluice::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isPathSafe(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  // unreserved "-._~", sub-delims, and the path characters ':' '@' '/'
  return std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) != std::string_view::npos;
}

bool decodeHexRun(std::string_view text, std::string& out) {
  for (char c : text) {
    if (hexValue(c) < 0) return false;
    out.push_back(core::asciiLower(c));
  }
  return true;
}

}  // namespace

bool percentDecode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hexValue(in[i + 1]);
    int lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::string percentEncodePath(std::string_view path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (isPathSafe(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool splitRequestTarget(std::string_view target, std::string& path, std::string& query) {
  path.clear();
  query.clear();
  // Absolute-form (proxies may send it): drop "scheme://authority".
  if (target.empty() || target[0] != '/') {
    size_t scheme = target.find("://");
    if (scheme != std::string_view::npos && scheme > 0 && target.find_first_of("/?") > scheme) {
      target.remove_prefix(scheme + 3);
      size_t end = target.find_first_of("/?");
      target.remove_prefix(end == std::string_view::npos ? target.size() : end);
    }
  }
  std::string_view rawPath = target;
  size_t q = target.find('?');
  if (q != std::string_view::npos) {
    rawPath = target.substr(0, q);
    query.assign(target.substr(q + 1));
  }
  return percentDecode(rawPath, path);
}

std::string mediaType(std::string_view contentType) {
  size_t semi = contentType.find(';');
  if (semi != std::string_view::npos) contentType = contentType.substr(0, semi);
  while (!contentType.empty() && (contentType.front() == ' ' || contentType.front() == '\t')) {
    contentType.remove_prefix(1);
  }
  while (!contentType.empty() && (contentType.back() == ' ' || contentType.back() == '\t')) {
    contentType.remove_suffix(1);
  }
  return toLowerAscii(contentType);
}

bool canonicalUuid(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() == 45) {
    if (!iequals(text.substr(0, 9), "urn:uuid:")) return false;
    text.remove_prefix(9);
  } else if (text.size() == 38) {
    if (text.front() != '{' || text.back() != '}') return false;
    text = text.substr(1, 36);
  }
  std::string hex;
  if (text.size() == 36) {
    if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return false;
    if (!decodeHexRun(text.substr(0, 8), hex) || !decodeHexRun(text.substr(9, 4), hex) ||
        !decodeHexRun(text.substr(14, 4), hex) || !decodeHexRun(text.substr(19, 4), hex) ||
        !decodeHexRun(text.substr(24, 12), hex)) {
      return false;
    }
  } else if (text.size() == 32) {
    if (!decodeHexRun(text, hex)) return false;
  } else {
    return false;
  }
  out.reserve(36);
  out.append(hex, 0, 8).append("-").append(hex, 8, 4).append("-").append(hex, 12, 4).append("-");
  out.append(hex, 16, 4).append("-").append(hex, 20, 12);
  return true;
}

std::string jsonErrorBody(std::string_view message) {
  return "{\"status\":\"error\",\"error\":\"" + jsonEscape(message) + "\"}";
}

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string httpDate(std::time_t when) {
  // Spelled out instead of strftime("%a %b") so that a process locale can't change it.
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buf[64];
  int n =
      std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                    tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace sluice::http
