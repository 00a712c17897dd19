#pragma once
// rtsp:// URLs of cameras, with optional user:password (percent-encoded) credentials.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::rtsp {

struct RtspUrl {
  std::string scheme;  // "rtsp" or "rtsps", lowercase
  std::string user;    // percent-decoded
  std::string password;
  bool hasCredentials = false;
  std::string host;       // IPv6 without brackets
  std::string authority;  // host[:port] as written, credentials removed
  uint16_t port = 554;
  std::string pathAndQuery;  // "/path?query", at least "/"

  // The URL to put in request lines and Digest uri= (no credentials).
  std::string withoutCredentials() const { return scheme + "://" + authority + pathAndQuery; }
};

// Rejects other schemes, an empty host, a bad port, bad percent escapes, control
// characters and URLs over 4 KiB.
std::optional<RtspUrl> parseRtspUrl(std::string_view text, std::string* error = nullptr);

// Percent-decodes; nullopt on a '%' not followed by two hex digits.
std::optional<std::string> percentDecode(std::string_view text);

// The absolute URL of a media from its SDP a=control value and the session base URL
// (Content-Base, else Content-Location, else the DESCRIBE URL): "*" or empty is the base
// itself, an absolute rtsp(s) URL stays, anything else is appended below the base.
std::string resolveControlUrl(std::string_view base, std::string_view control);

}  // namespace sluice::rtsp
