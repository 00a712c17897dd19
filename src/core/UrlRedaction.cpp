#include "core/UrlRedaction.h"

#include <algorithm>

namespace sluice::core {
namespace {

struct PasswordSpan {
  size_t begin = std::string_view::npos;  // npos: no password
  size_t end = 0;
};

PasswordSpan findPassword(std::string_view url) {
  PasswordSpan span;
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return span;
  const size_t authorityBegin = scheme + 3;
  const size_t authorityEnd = std::min(url.find_first_of("/?#", authorityBegin), url.size());
  const std::string_view authority = url.substr(authorityBegin, authorityEnd - authorityBegin);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return span;
  const size_t colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos || colon + 1 == at) return span;  // no password, or an empty one
  span.begin = authorityBegin + colon + 1;
  span.end = authorityBegin + at;
  return span;
}

}  // namespace

std::string redactUrlPassword(std::string_view url) {
  const PasswordSpan span = findPassword(url);
  if (span.begin == std::string_view::npos) return std::string(url);
  std::string out;
  out.reserve(url.size());
  out.append(url.substr(0, span.begin));
  out.append(kRedactedUrlPassword);
  out.append(url.substr(span.end));
  return out;
}

bool hasUrlPassword(std::string_view url) { return findPassword(url).begin != std::string_view::npos; }

bool isRedactedFormOf(std::string_view candidate, std::string_view stored) {
  return hasUrlPassword(stored) && candidate == redactUrlPassword(stored);
}

}  // namespace sluice::core
