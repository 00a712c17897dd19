#include "config/Scalars.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/AsciiText.h"

namespace sluice::config {

std::optional<bool> parseBool(std::string_view text) {
  const std::string lower = core::toLowerAscii(text);
  if (lower == "yes" || lower == "on" || lower == "true") return true;
  if (lower == "no" || lower == "off" || lower == "false") return false;
  return std::nullopt;
}

std::optional<int64_t> parseInteger(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 18) return std::nullopt;  // 18 digits cannot overflow int64
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

std::optional<RtspTransport> parseRtspTransport(std::string_view text) {
  if (text == "automatic") return RtspTransport::Automatic;
  if (text == "udp") return RtspTransport::Udp;
  if (text == "multicast") return RtspTransport::Multicast;
  if (text == "tcp") return RtspTransport::Tcp;
  return std::nullopt;
}

std::string_view rtspTransportName(RtspTransport transport) {
  switch (transport) {
    case RtspTransport::Automatic:
      return "automatic";
    case RtspTransport::Udp:
      return "udp";
    case RtspTransport::Multicast:
      return "multicast";
    case RtspTransport::Tcp:
      return "tcp";
  }
  return "automatic";
}

std::optional<RtspEncryption> parseRtspEncryption(std::string_view text) {
  if (text == "optional") return RtspEncryption::Optional;
  if (text == "strict") return RtspEncryption::Strict;
  std::optional<bool> flag = parseBool(text);
  if (!flag) return std::nullopt;
  return *flag ? RtspEncryption::Strict : RtspEncryption::No;
}

std::string_view rtspEncryptionName(RtspEncryption encryption) {
  switch (encryption) {
    case RtspEncryption::No:
      return "no";
    case RtspEncryption::Optional:
      return "optional";
    case RtspEncryption::Strict:
      return "strict";
  }
  return "no";
}

}  // namespace sluice::config
