#include "rtsp/RtspUrl.h"

#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {

constexpr size_t kMaxUrlLength = 4096;

std::optional<RtspUrl> failWith(std::string* error, const char* message) {
  if (error) *error = message;
  return std::nullopt;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hexValue(text[i + 1]);
    int lo = hexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<RtspUrl> parseRtspUrl(std::string_view text, std::string* error) {
  if (text.size() > kMaxUrlLength) return failWith(error, "URL too long");
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return failWith(error, "invalid character in URL");
  }
  RtspUrl url;
  size_t schemeEnd = text.find("://");
  if (schemeEnd == std::string_view::npos) return failWith(error, "URL has no scheme");
  std::string_view scheme = text.substr(0, schemeEnd);
  if (iequals(scheme, "rtsp")) {
    url.scheme = "rtsp";
    url.port = 554;
  } else if (iequals(scheme, "rtsps")) {
    url.scheme = "rtsps";
    url.port = 322;
  } else {
    return failWith(error, "unsupported URL scheme (expected rtsp://)");
  }
  std::string_view rest = text.substr(schemeEnd + 3);
  size_t pathStart = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, pathStart);
  std::string_view path = pathStart == std::string_view::npos ? std::string_view() : rest.substr(pathStart);
  if (size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);

  // The password may contain '@' when unencoded; the host never does.
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    auto user = percentDecode(userinfo.substr(0, colon));
    auto pass =
        percentDecode(colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1));
    if (!user || !pass) return failWith(error, "invalid percent-encoding in URL credentials");
    url.user = std::move(*user);
    url.password = std::move(*pass);
    url.hasCredentials = true;
  }

  std::string_view host;
  std::string_view portText;
  bool hasPort = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return failWith(error, "unterminated IPv6 address in URL");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return failWith(error, "malformed URL authority");
      portText = after.substr(1);
      hasPort = true;
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      portText = authority.substr(colon + 1);
      hasPort = true;
    }
  }
  if (host.empty()) return failWith(error, "URL has no host");
  if (hasPort) {
    auto port = parseDecimal<uint32_t>(portText);
    if (!port || *port == 0 || *port > 65535) return failWith(error, "invalid port in URL");
    url.port = static_cast<uint16_t>(*port);
  }
  url.host.assign(host);
  url.authority.assign(authority);
  if (path.empty()) {
    url.pathAndQuery = "/";
  } else if (path.front() == '?') {
    url.pathAndQuery = "/" + std::string(path);
  } else {
    url.pathAndQuery.assign(path);
  }
  return url;
}

std::string resolveControlUrl(std::string_view base, std::string_view control) {
  control = trim(control);
  if (control.empty() || control == "*") return std::string(base);
  if (istartsWith(control, "rtsp://") || istartsWith(control, "rtsps://")) return std::string(control);
  if (control.front() == '/') {
    // Absolute path: keep scheme://authority of the base.
    size_t schemeEnd = base.find("://");
    size_t pathStart =
        schemeEnd == std::string_view::npos ? std::string_view::npos : base.find('/', schemeEnd + 3);
    return std::string(base.substr(0, pathStart)) + std::string(control);
  }
  std::string out(base);
  if (out.empty() || out.back() != '/') out += '/';
  out += control;
  return out;
}

}  // namespace sluice::rtsp
