#pragma once
// Hiding the password of a URL's userinfo ("rtsp://user:pass@host/...") wherever a URL is shown:
// the control API and the log. Shared by config (API output), app and rtsp (log lines).
#include <string>
#include <string_view>

namespace sluice::core {

// What replaces a URL's password.
inline constexpr std::string_view kRedactedUrlPassword = "***";

// `url` with the password of its userinfo replaced by kRedactedUrlPassword; the scheme, user, host,
// port, path and query stay as written. The authority ends at the first '/', '?' or '#' after
// "://", and the userinfo at the authority's last '@' (an unencoded '@' in a password is taken as
// MediaMTX and the RTSP client take it); the password starts after the userinfo's first ':'.
// Text that is not such a URL, or has no password, is returned unchanged.
std::string redactUrlPassword(std::string_view url);

// True when `url` carries a password that redactUrlPassword() would hide.
bool hasUrlPassword(std::string_view url);

// True when `candidate` is what redactUrlPassword(`stored`) shows, and `stored` has a password: an
// API client sent back the redacted form it was given, meaning "unchanged".
bool isRedactedFormOf(std::string_view candidate, std::string_view stored);

}  // namespace sluice::core
