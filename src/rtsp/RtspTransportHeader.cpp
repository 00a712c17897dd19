#include "rtsp/RtspTransportHeader.h"

#include <fmt/format.h>

#include <limits>

#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {

// "a-b" or "a" (then b = a + 1, as RFC 2326 allows a single port).
template <class T>
std::optional<std::pair<T, T>> parseRange(std::string_view v) {
  size_t dash = v.find('-');
  auto first = parseDecimal<uint32_t>(trim(v.substr(0, dash)));
  if (!first || *first > std::numeric_limits<T>::max()) return std::nullopt;
  uint32_t second = *first + 1;
  if (dash != std::string_view::npos) {
    auto s = parseDecimal<uint32_t>(trim(v.substr(dash + 1)));
    if (!s) return std::nullopt;
    second = *s;
  }
  if (second > std::numeric_limits<T>::max()) return std::nullopt;
  return std::pair<T, T>{static_cast<T>(*first), static_cast<T>(second)};
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

std::optional<RtspTransportHeader> failWith(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

namespace {
std::optional<RtspTransportHeader> parseSpec(std::string_view spec, std::string* error);

// The end of the spec starting at `from`: the next comma outside double quotes.
size_t specEnd(std::string_view header, size_t from) {
  bool quoted = false;
  for (size_t i = from; i < header.size(); ++i) {
    if (header[i] == '"') quoted = !quoted;
    if (header[i] == ',' && !quoted) return i;
  }
  return header.size();
}
}  // namespace

std::optional<RtspTransportHeader> parseRtspTransport(std::string_view header, std::string* error) {
  if (header.size() > 4096) return failWith(error, "Transport header too long");
  return parseSpec(trim(header.substr(0, specEnd(header, 0))), error);
}

std::vector<RtspTransportHeader> parseRtspTransports(std::string_view header, std::string* error) {
  std::vector<RtspTransportHeader> out;
  if (header.size() > 4096) {
    failWith(error, "Transport header too long");
    return out;
  }
  std::string firstError;
  for (size_t at = 0; at <= header.size() && out.size() < kMaxTransportAlternatives;) {
    const size_t end = specEnd(header, at);
    std::string_view spec = trim(header.substr(at, end - at));
    at = end + 1;
    if (spec.empty()) continue;  // "a,,b" or a trailing comma
    std::string why;
    if (std::optional<RtspTransportHeader> t = parseSpec(spec, &why)) {
      out.push_back(std::move(*t));
    } else if (firstError.empty()) {
      firstError = std::move(why);
    }
  }
  if (out.empty() && error) *error = firstError.empty() ? "empty Transport header" : firstError;
  return out;
}

namespace {
std::optional<RtspTransportHeader> parseSpec(std::string_view spec, std::string* error) {
  if (spec.empty()) return failWith(error, "empty Transport header");

  RtspTransportHeader out;
  bool first = true;
  while (!spec.empty()) {
    size_t semi = spec.find(';');
    std::string_view param = trim(spec.substr(0, semi));
    spec.remove_prefix(semi == std::string_view::npos ? spec.size() : semi + 1);

    if (first) {
      first = false;
      if (iequals(param, "RTP/AVP") || iequals(param, "RTP/AVP/UDP")) {
        out.lower = RtspTransportHeader::Lower::Udp;
      } else if (iequals(param, "RTP/AVP/TCP")) {
        out.lower = RtspTransportHeader::Lower::Tcp;
      } else {
        return failWith(error, fmt::format("unsupported transport profile '{}'", param.substr(0, 64)));
      }
      continue;
    }
    if (param.empty()) continue;

    size_t eq = param.find('=');
    std::string_view key = trim(param.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : trim(param.substr(eq + 1));
    if (iequals(key, "unicast")) {
      out.delivery = RtspTransportHeader::Delivery::Unicast;
    } else if (iequals(key, "multicast")) {
      out.delivery = RtspTransportHeader::Delivery::Multicast;
    } else if (iequals(key, "client_port")) {
      out.clientPorts = parseRange<uint16_t>(value);
      if (!out.clientPorts) return failWith(error, "invalid client_port in Transport header");
    } else if (iequals(key, "server_port")) {
      out.serverPorts = parseRange<uint16_t>(value);
      if (!out.serverPorts) return failWith(error, "invalid server_port in Transport header");
    } else if (iequals(key, "interleaved")) {
      out.interleaved = parseRange<uint8_t>(value);
      if (!out.interleaved) return failWith(error, "invalid interleaved channels in Transport header");
    } else if (iequals(key, "port")) {
      out.ports = parseRange<uint16_t>(value);
      if (!out.ports) return failWith(error, "invalid port in Transport header");
    } else if (iequals(key, "ttl")) {
      auto ttl = parseDecimal<uint32_t>(value);
      if (!ttl || *ttl > 255) return failWith(error, "invalid ttl in Transport header");
      out.ttl = static_cast<uint8_t>(*ttl);
    } else if (iequals(key, "ssrc")) {
      // Hexadecimal per RFC 2326; some cameras pad with spaces or send fewer digits.
      out.ssrc = parseHex<uint32_t>(value);
      if (!out.ssrc) return failWith(error, "invalid ssrc in Transport header");
    } else if (iequals(key, "source")) {
      out.source.assign(value.substr(0, 256));
    } else if (iequals(key, "destination")) {
      out.destination.assign(value.substr(0, 256));
    } else if (iequals(key, "mode")) {
      out.mode.assign(unquote(value).substr(0, 32));
    }
    // Other parameters (layers, append...) do not matter to a player.
  }
  return out;
}
}  // namespace

std::string RtspTransportHeader::serialize() const {
  std::string out = lower == Lower::Tcp ? "RTP/AVP/TCP" : "RTP/AVP";
  out += delivery == Delivery::Unicast ? ";unicast" : ";multicast";
  if (!destination.empty()) out += ";destination=" + destination;
  if (!source.empty()) out += ";source=" + source;
  if (clientPorts) out += fmt::format(";client_port={}-{}", clientPorts->first, clientPorts->second);
  if (serverPorts) out += fmt::format(";server_port={}-{}", serverPorts->first, serverPorts->second);
  if (interleaved) out += fmt::format(";interleaved={}-{}", interleaved->first, interleaved->second);
  if (ports) out += fmt::format(";port={}-{}", ports->first, ports->second);
  if (ttl) out += fmt::format(";ttl={}", *ttl);
  if (ssrc) out += fmt::format(";ssrc={:08X}", *ssrc);
  if (!mode.empty()) out += ";mode=" + mode;
  return out;
}

}  // namespace sluice::rtsp
