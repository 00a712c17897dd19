#include "config/PathValidation.h"

#include <fmt/format.h>

#include <array>

#include "config/AlwaysAvailable.h"
#include "config/PathName.h"
#include "config/PathPattern.h"
#include "core/UrlRedaction.h"

namespace sluice::config {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// MediaMTX source schemes that Sluice does not pull yet.
constexpr std::array<std::string_view, 17> kUnsupportedSchemes = {
    "rtsp+http://", "rtsps+http://", "rtsp+ws://", "rtsps+ws://",   "rtmp://",        "rtmps://",
    "http://",      "https://",      "udp://",     "udp+mpegts://", "unix+mpegts://", "udp+rtp://",
    "srt://",       "whep://",       "wheps://",   "moq://",        "moqs://"};

// "scheme 'rtmp://'" or "'rpiCamera'" when `source` is a MediaMTX source Sluice cannot pull yet.
std::optional<std::string> unsupportedSourceKind(std::string_view source) {
  for (std::string_view scheme : kUnsupportedSchemes) {
    if (startsWith(source, scheme)) return fmt::format("scheme '{}'", scheme);
  }
  if (source == "rpiCamera") return std::string("'rpiCamera'");
  return std::nullopt;
}

void compileName(PathConfig& path, const Origin& where) {
  if (isAllPathsAlias(path.name)) {
    std::string error;
    path.regex = true;
    path.pattern = PathPattern::compile("^.*$", error);
  } else if (!path.name.empty() && path.name.front() == '~') {
    std::string error;
    path.regex = true;
    path.pattern = PathPattern::compile(std::string_view(path.name).substr(1), error);
    if (!path.pattern) {
      fail(where, fmt::format("invalid regular expression '{}': {}", path.name.substr(1), error));
    }
  } else if (std::optional<std::string> problem = pathNameProblem(path.name)) {
    fail(where, fmt::format("invalid path name '{}': {}", path.name, *problem));
  }
}

// rtsp:// and rtsps:// URLs: a host is required, and credentials come in pairs.
void checkRtspUrl(std::string_view url, const Origin& where) {
  std::string_view rest = url.substr(url.find("://") + 3);
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ') fail(where, "source is not a valid URL (it contains spaces)");
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = authority.rfind('@');
  std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (host.empty()) fail(where, "source is not a valid URL (no host)");
  if (at != std::string_view::npos) {
    std::string_view userInfo = authority.substr(0, at);
    size_t colon = userInfo.find(':');
    std::string_view user = userInfo.substr(0, colon);
    std::string_view pass = colon == std::string_view::npos ? std::string_view() : userInfo.substr(colon + 1);
    if (user.empty() != pass.empty()) {
      fail(where, "username and password must be both provided in the source URL");
    }
  }
}

// Where RTSP readers may be sent (sourceRedirect, fallback): '/<path>' or an rtsp(s):// URL.
void checkRedirectTarget(const std::string& target, const char* key, const Origin& where) {
  if (target.front() == '/') {
    if (std::optional<std::string> problem = pathNameProblem(std::string_view(target).substr(1))) {
      fail(where, fmt::format("invalid '{}' '{}': {}", key, core::redactUrlPassword(target), *problem));
    }
  } else if (!startsWith(target, "rtsp://") && !startsWith(target, "rtsps://")) {
    fail(where, fmt::format("invalid '{}' '{}' (expected /<path> or an rtsp:// URL)", key,
                            core::redactUrlPassword(target)));
  }
}

void checkRedirect(const PathConfig& path, const Origin& where) {
  if (path.sourceRedirect.empty()) fail(where, "'sourceRedirect' must be set when source is 'redirect'");
  checkRedirectTarget(path.sourceRedirect, "sourceRedirect", where);
}

}  // namespace

void validatePath(PathConfig& path, const Origin& where, std::vector<std::string>& warnings) {
  compileName(path, where);
  const std::string& source = path.source;
  const bool publisher = source == "publisher", redirect = source == "redirect";

  if (path.regex && !publisher && !redirect && !path.sourceOnDemand) {
    fail(where,
         "a path with a regular expression (or path 'all') and a static source must have 'sourceOnDemand' "
         "set to true");
  }
  if (path.sourceOnDemand && publisher) fail(where, "'sourceOnDemand' is useless when source is 'publisher'");
  if (!redirect && !path.sourceRedirect.empty()) {
    fail(where, "'sourceRedirect' is useless when source is not 'redirect'");
  }

  if (!path.fallback.empty()) checkRedirectTarget(path.fallback, "fallback", where);
  validateAlwaysAvailable(path, where, warnings);

  path.sourceSupported = true;
  if (publisher || source == "demo") return;
  if (redirect) return checkRedirect(path, where);
  if (startsWith(source, "rtsp://") || startsWith(source, "rtsps://")) return checkRtspUrl(source, where);
  if (std::optional<std::string> kind = unsupportedSourceKind(source)) {
    path.sourceSupported = false;
    warnings.push_back(where.describe() + fmt::format(": source {} is not supported by Sluice yet; ", *kind) +
                       "the path is kept but will not receive a stream");
    return;
  }
  fail(where,
       fmt::format("invalid source '{}' (expected publisher, redirect, demo or an rtsp:// or rtsps:// URL)",
                   core::redactUrlPassword(source)));
}

}  // namespace sluice::config
