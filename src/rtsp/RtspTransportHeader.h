#pragma once
// The RTSP Transport header (RFC 2326 §12.39) for RTP over UDP (unicast or multicast) or TCP:
//   RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D
//   RTP/AVP/TCP;unicast;interleaved=0-1
//   RTP/AVP;multicast;destination=224.1.0.1;port=8002-8003;ttl=16
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::rtsp {

struct RtspTransportHeader {
  enum class Lower { Udp, Tcp };
  enum class Delivery { Unicast, Multicast };

  Lower lower = Lower::Udp;
  Delivery delivery = Delivery::Unicast;
  std::optional<std::pair<uint16_t, uint16_t>> clientPorts;
  std::optional<std::pair<uint16_t, uint16_t>> serverPorts;
  std::optional<std::pair<uint8_t, uint8_t>> interleaved;
  std::optional<std::pair<uint16_t, uint16_t>> ports;  // multicast: the group's RTP and RTCP ports
  std::optional<uint8_t> ttl;                          // multicast
  std::optional<uint32_t> ssrc;
  std::string source;  // server address for the media, when it differs from the RTSP one
  std::string destination;
  std::string mode;  // "PLAY" / "RECORD" when given

  std::string serialize() const;
};

// Parses the first transport spec of the header (alternatives are comma-separated; a
// response carries exactly one). Returns nullopt and sets `error` on malformed input or an
// unsupported profile (only RTP/AVP, RTP/AVP/UDP and RTP/AVP/TCP are understood).
std::optional<RtspTransportHeader> parseRtspTransport(std::string_view header, std::string* error = nullptr);

// A request's alternatives, in the client's order of preference (RFC 2326 §12.39): every
// comma-separated spec (commas inside quotes do not separate). A spec that does not parse (an
// unknown profile such as RTP/SAVP, a bad parameter) is left out; when none parses the result
// is empty and `error` says why the first one failed. At most kMaxTransportAlternatives.
constexpr size_t kMaxTransportAlternatives = 16;
std::vector<RtspTransportHeader> parseRtspTransports(std::string_view header, std::string* error = nullptr);

}  // namespace sluice::rtsp
