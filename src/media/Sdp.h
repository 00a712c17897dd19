#pragma once
// Session Description Protocol (RFC 8866): a model, a parser and a serializer. Shared by the
// RTSP client (cameras' DESCRIBE answers: a=control, sprop-parameter-sets) and by WebRTC
// (WHEP offers and answers, trickle-ICE fragments of RFC 8840).
//
// The parser is strict where a mistake would be silently misread (the line grammar, m= and
// c= lines, rtpmap/fmtp payload types) and lenient where cameras are known to deviate
// (o= kept verbatim, empty s=, unknown line types and attributes kept as they are).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::media {

// Bounds on the parser's work for outside input. 128 KiB is also MediaMTX's WHEP body limit.
inline constexpr size_t kMaxSdpSize = size_t{128} * 1024;
inline constexpr size_t kMaxSdpLines = 4096;
inline constexpr size_t kMaxSdpMediaSections = 64;

// "a=<name>:<value>", or "a=<name>" (a property attribute such as rtcp-mux: empty value).
struct SdpAttribute {
  std::string name;
  std::string value;
  bool operator==(const SdpAttribute&) const = default;
};

// A line the model keeps without breaking it down: i=, u=, e=, p=, b=, r=, z=, k=, t= lines
// after the first, and line types RFC 8866 does not define.
struct SdpLine {
  char type = 0;
  std::string value;
  bool operator==(const SdpLine&) const = default;
};

// "c=<nettype> <addrtype> <address>"; a multicast address keeps its "/ttl[/count]" suffix.
struct SdpConnection {
  std::string netType = "IN";
  std::string addrType = "IP4";
  std::string address = "0.0.0.0";
  bool operator==(const SdpConnection&) const = default;
};

// One payload type of an RTP media section, assembled from the m= format list, a=rtpmap (or
// the RFC 3551 static table), a=fmtp and a=rtcp-fb.
struct SdpCodec {
  int payloadType = 0;
  std::string name;  // encoding name as written, e.g. "H264", "opus"
  int clockRate = 0;
  int channels = 0;                       // from rtpmap; 1 for audio when omitted, else 0
  std::string fmtp;                       // what follows "a=fmtp:<pt> ", empty if none
  std::vector<std::string> rtcpFeedback;  // "nack", "nack pli", ...; includes rtcp-fb:* entries
  bool operator==(const SdpCodec&) const = default;
};

// Attribute lines of a session or a media section, in their original order. Names compare
// ASCII case-insensitively: cameras are not consistent about case.
struct SdpAttributes {
  std::vector<SdpAttribute> attributes;

  bool hasAttribute(std::string_view name) const;
  // The value of the first attribute with this name.
  std::optional<std::string> attribute(std::string_view name) const;
  // The values of all attributes with this name, e.g. every "candidate" or "rtpmap".
  std::vector<std::string> attributeValues(std::string_view name) const;
  void addAttribute(std::string name, std::string value = {});
  bool operator==(const SdpAttributes&) const = default;
};

struct MediaDescription : SdpAttributes {
  std::string type;  // "video", "audio", "application", ...
  uint16_t port = 0;
  uint16_t portCount = 0;  // from "<port>/<count>"; 0 when not given
  std::string proto;       // "RTP/AVP", "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ...
  std::vector<std::string> formats;
  std::optional<SdpConnection> connection;
  std::vector<SdpLine> otherLines;

  // Whether the formats are RTP payload types (the proto has an "RTP" component).
  bool isRtp() const;
  // The section's codecs in m= line (preference) order. Dynamic payload types without an
  // rtpmap are left out; static ones (RFC 3551) are filled in from the static table.
  std::vector<SdpCodec> codecs() const;
  std::optional<SdpCodec> codec(int payloadType) const;
  bool operator==(const MediaDescription&) const = default;
};

struct SessionDescription : SdpAttributes {
  std::string origin = "- 0 0 IN IP4 127.0.0.1";  // o= value, verbatim
  std::string sessionName = "-";
  std::optional<SdpConnection> connection;
  std::string timing = "0 0";  // value of the first t= line
  std::vector<SdpLine> otherLines;
  std::vector<MediaDescription> media;
  bool operator==(const SessionDescription&) const = default;
};

// Parses a complete description. Accepts CRLF and LF line ends and ignores empty lines and
// trailing blanks. On failure returns nullopt and sets `error`, e.g.
// "invalid SDP: line 7: malformed m= line 'm=video x'".
std::optional<SessionDescription> parseSdp(std::string_view text, std::string& error);

// Parses an SDP fragment (RFC 8840 "application/trickle-ice-sdpfrag"): the same grammar,
// but without v=, o=, s= and t= lines. Errors read "invalid SDP fragment: ...".
std::optional<SessionDescription> parseSdpFragment(std::string_view text, std::string& error);

// Writes the description with CRLF line ends, lines in RFC 8866 order.
std::string serializeSdp(const SessionDescription& sdp);
// Writes only the attributes, media sections and their lines: the fragment form.
std::string serializeSdpFragment(const SessionDescription& sdp);

// Splits an fmtp parameter string ("packetization-mode=1; profile-level-id=42e01f") into
// lowercased keys and their values. A parameter without '=' maps to an empty value; the
// first of repeated keys wins.
std::map<std::string, std::string> parseFmtp(std::string_view params);

// ASCII case-insensitive equality, as SDP tokens (encoding names, attribute names) compare.
bool sdpTokenEquals(std::string_view a, std::string_view b);

}  // namespace sluice::media
