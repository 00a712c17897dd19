#include "load/WhepDescriptions.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "core/Random.h"
#include "media/Sdp.h"

namespace sluice::load {
namespace {

using media::MediaDescription;
using media::SessionDescription;

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return s;
}

// A media-level attribute, else the session-level one (RFC 8839 allows either place).
std::optional<std::string> attribute(const SessionDescription& sdp, const MediaDescription& m,
                                     std::string_view name) {
  if (auto v = m.attribute(name)) return v;
  return sdp.attribute(name);
}

std::optional<webrtc::SocketAddress> makeAddress(const std::string& ip, int port) {
  if (port <= 0 || port > 65535) return std::nullopt;
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &v4.sin_addr) == 1) {
    if (v4.sin_addr.s_addr == 0) return std::nullopt;  // 0.0.0.0: "no address yet"
    return webrtc::SocketAddress::from(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4));
  }
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET6, ip.c_str(), &v6.sin6_addr) == 1) {
    return webrtc::SocketAddress::from(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6));
  }
  return std::nullopt;  // e.g. an mDNS .local name: we cannot resolve those
}

// "foundation component transport priority address port typ type ...": UDP component 1 only.
std::optional<webrtc::SocketAddress> parseCandidate(const std::string& value) {
  std::istringstream in(value);
  std::string foundation, transport, ip, typ;
  int component = 0, port = 0;
  uint64_t priority = 0;
  if (!(in >> foundation >> component >> transport >> priority >> ip >> port)) return std::nullopt;
  if (component != 1 || lowercase(transport) != "udp") return std::nullopt;
  return makeAddress(ip, port);
}

}  // namespace

std::string buildWhepOffer(const OfferParams& p) {
  SessionDescription sdp;
  uint64_t sessionId = ((uint64_t{core::random32()} << 30) ^ core::random32()) | 1;
  sdp.origin = "- " + std::to_string(sessionId) + " 2 IN IP4 127.0.0.1";
  sdp.addAttribute("group", p.audio ? "BUNDLE 0 1" : "BUNDLE 0");
  sdp.addAttribute("msid-semantic", " WMS");

  // What both sections share (BUNDLE: one transport).
  auto section = [&](std::string type, std::string mid) {
    MediaDescription m;
    m.type = std::move(type);
    m.port = p.port;
    m.proto = "UDP/TLS/RTP/SAVPF";
    m.connection = media::SdpConnection{"IN", p.ip.find(':') != std::string::npos ? "IP6" : "IP4", p.ip};
    m.addAttribute("mid", mid);
    m.addAttribute("ice-ufrag", p.iceUfrag);
    m.addAttribute("ice-pwd", p.icePwd);
    m.addAttribute("fingerprint", "sha-256 " + p.fingerprintSha256);
    m.addAttribute("setup", "actpass");
    m.addAttribute("recvonly");
    m.addAttribute("rtcp-mux");
    return m;
  };
  auto candidates = [&](MediaDescription& m) {
    // Host priority as a browser computes it (RFC 8445 5.1.2.1: type 126, local 65535, component 1).
    m.addAttribute("candidate", "1 1 udp 2130706431 " + p.ip + " " + std::to_string(p.port) + " typ host");
    m.addAttribute("end-of-candidates");
  };

  MediaDescription m = section("video", "0");
  m.addAttribute("rtcp-rsize");
  auto feedback = [&](const std::string& pt) {
    m.addAttribute("rtcp-fb", pt + " nack");
    m.addAttribute("rtcp-fb", pt + " nack pli");
    m.addAttribute("rtcp-fb", pt + " ccm fir");
  };
  const std::string pt = std::to_string(kOfferPayloadType);
  if (p.h265) {
    const std::string hpt = std::to_string(kOfferH265PayloadType);
    m.formats.push_back(hpt);
    m.addAttribute("rtpmap", hpt + " H265/90000");
    feedback(hpt);
    m.addAttribute("fmtp", hpt + " level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST");
  }
  m.formats.push_back(pt);
  m.addAttribute("rtpmap", pt + " H264/90000");
  feedback(pt);
  m.addAttribute("fmtp", pt + " level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  candidates(m);
  sdp.media.push_back(std::move(m));

  if (!p.audio) return media::serializeSdp(sdp);
  MediaDescription a = section("audio", "1");
  const std::string opus = std::to_string(kOfferOpusPayloadType);
  a.formats = {opus, "0", "8"};
  a.addAttribute("rtpmap", opus + " opus/48000/2");
  a.addAttribute("fmtp", opus + " minptime=10;useinbandfec=1");
  a.addAttribute("rtpmap", "0 PCMU/8000");
  a.addAttribute("rtpmap", "8 PCMA/8000");
  candidates(a);
  sdp.media.push_back(std::move(a));
  return media::serializeSdp(sdp);
}

std::optional<WhepAnswerInfo> parseWhepAnswer(std::string_view text, std::string& error) {
  auto sdp = media::parseSdp(text, error);
  if (!sdp) return std::nullopt;
  const MediaDescription* video = nullptr;
  for (const auto& m : sdp->media) {
    if (m.type == "video" && m.port != 0) {
      video = &m;
      break;
    }
  }
  if (!video) {
    error = "answer accepts no video section";
    return std::nullopt;
  }
  WhepAnswerInfo info;
  info.iceUfrag = attribute(*sdp, *video, "ice-ufrag").value_or("");
  info.icePwd = attribute(*sdp, *video, "ice-pwd").value_or("");
  if (info.iceUfrag.empty() || info.icePwd.empty()) {
    error = "answer has no ICE credentials";
    return std::nullopt;
  }
  // Prefer sha-256 when several fingerprints are listed.
  std::vector<std::string> fingerprints = video->attributeValues("fingerprint");
  if (fingerprints.empty()) fingerprints = sdp->attributeValues("fingerprint");
  for (const auto& f : fingerprints) {
    size_t space = f.find(' ');
    if (space == std::string::npos) continue;
    std::string algorithm = lowercase(f.substr(0, space));
    if (info.fingerprint.empty() || algorithm == "sha-256") {
      info.fingerprintAlgorithm = algorithm;
      info.fingerprint = f.substr(space + 1);
    }
  }
  if (info.fingerprint.empty()) {
    error = "answer has no DTLS fingerprint";
    return std::nullopt;
  }
  // RFC 5763 5: the answerer picks; a missing a=setup means active (RFC 4145 4).
  info.setup = lowercase(attribute(*sdp, *video, "setup").value_or("active"));
  if (info.setup == "passive") {
    info.dtlsRole = webrtc::DtlsRole::Client;
  } else if (info.setup == "active") {
    info.dtlsRole = webrtc::DtlsRole::Server;
  } else {
    error = "answer has a=setup:" + info.setup + " (must be active or passive)";
    return std::nullopt;
  }
  info.iceLite = sdp->hasAttribute("ice-lite");

  // With BUNDLE every section shares one transport; candidates may sit in any of them.
  for (const auto& value : video->attributeValues("candidate")) {
    if (auto a = parseCandidate(value)) info.candidates.push_back(*a);
  }
  for (const auto& m : sdp->media) {
    if (&m == video || m.port == 0) continue;
    for (const auto& value : m.attributeValues("candidate")) {
      auto a = parseCandidate(value);
      if (a && std::find(info.candidates.begin(), info.candidates.end(), *a) == info.candidates.end()) {
        info.candidates.push_back(*a);
      }
    }
  }
  if (info.candidates.empty()) {  // no a=candidate: the default address of the m= and c= lines
    const auto& c = video->connection ? video->connection : sdp->connection;
    if (c) {
      if (auto a = makeAddress(c->address, video->port)) info.candidates.push_back(*a);
    }
  }
  if (info.candidates.empty()) {
    error = "answer has no usable UDP candidate";
    return std::nullopt;
  }
  // The answer lists the codecs it will send; the first one we know is the one.
  for (const auto& codec : video->codecs()) {
    bool h265 = media::sdpTokenEquals(codec.name, "H265");
    if (h265 || media::sdpTokenEquals(codec.name, "H264")) {
      info.payloadType = codec.payloadType;
      info.h265 = h265;
      break;
    }
  }
  auto firstSsrc = [](const MediaDescription& m) -> uint32_t {
    for (const auto& value : m.attributeValues("ssrc")) {
      if (auto ssrc = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10))) return ssrc;
    }
    return 0;
  };
  info.videoSsrc = firstSsrc(*video);
  for (const auto& m : sdp->media) {
    if (m.type != "audio" || m.port == 0 || info.audioPayloadType >= 0) continue;
    for (const auto& codec : m.codecs()) {
      if (media::sdpTokenEquals(codec.name, "opus") || media::sdpTokenEquals(codec.name, "PCMU") ||
          media::sdpTokenEquals(codec.name, "PCMA")) {
        info.audioPayloadType = codec.payloadType;
        info.audioCodec = codec.name;
        info.audioClockRate = static_cast<uint32_t>(codec.clockRate);
        info.audioSsrc = firstSsrc(m);
        break;
      }
    }
  }
  return info;
}

}  // namespace sluice::load
