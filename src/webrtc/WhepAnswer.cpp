#include "webrtc/WhepAnswer.h"

#include <algorithm>
#include <climits>

#include "core/Random.h"
#include "media/Sdp.h"

namespace sluice::webrtc {
namespace {

using media::MediaDescription;
using media::SdpCodec;
using media::SessionDescription;

// Feedback the server's RTCP handling understands; anything else the browser offers
// (transport-cc, goog-remb) would promise feedback we never send or act on.
constexpr const char* kSupportedFeedback[] = {"nack", "nack pli", "ccm fir"};

// RFC 8445 §5.1.2.1: type preference 126 (host), local preference decreasing with list
// order, component 1. The first candidate gets the usual 2130706431.
uint32_t hostCandidatePriority(size_t index) {
  uint32_t localPreference = 65535 - static_cast<uint32_t>(std::min<size_t>(index, 65535));
  return (126u << 24) | (localPreference << 8) | 255u;
}

// RFC 6544 §4.2: for TCP candidates the local preference is 2^13 * direction preference
// (passive host: 4) + other preference. That keeps every TCP candidate below the UDP ones
// (local preference >= 0xFFFF - count), so a viewer that can use UDP ranks UDP first.
uint32_t tcpCandidatePriority(size_t index) {
  uint32_t localPreference = (4u << 13) + 8191 - static_cast<uint32_t>(std::min<size_t>(index, 8191));
  return (126u << 24) | (localPreference << 8) | 255u;
}

std::string addressType(const std::string& ip) { return ip.find(':') != std::string::npos ? "IP6" : "IP4"; }

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return s;
}

bool canReceive(const WhepOffer::Media& m) {
  return m.port != 0 && m.rtcpMux && (m.direction == "recvonly" || m.direction == "sendrecv");
}

bool inBundle(const WhepOffer& offer, const std::string& mid) {
  return !mid.empty() &&
         std::find(offer.bundleMids.begin(), offer.bundleMids.end(), mid) != offer.bundleMids.end();
}

std::string rtpmapValue(const SdpCodec& c) {
  std::string v = std::to_string(c.payloadType) + " " + c.name + "/" + std::to_string(c.clockRate);
  if (c.channels > 1) v += "/" + std::to_string(c.channels);
  return v;
}

std::optional<SdpCodec> findCodec(const WhepOffer::Media& m, int payloadType) {
  for (const auto& c : m.codecs) {
    if (c.payloadType == payloadType) return c;
  }
  return std::nullopt;
}

void addTransportAttributes(media::SdpAttributes& attrs, const WhepAnswerParams& params) {
  attrs.addAttribute("ice-ufrag", params.iceUfrag);
  attrs.addAttribute("ice-pwd", params.icePwd);
  attrs.addAttribute("fingerprint", "sha-256 " + params.fingerprintSha256);
  attrs.addAttribute("setup", params.setup);
}

MediaDescription acceptedSection(const WhepOffer::Media& offered, const SdpCodec& codec, const char* trackId,
                                 uint32_t ssrc, bool carriesTransport, const WhepAnswerParams& params) {
  MediaDescription m;
  m.type = offered.type;
  m.proto = offered.proto;
  m.formats = {std::to_string(codec.payloadType)};
  // The default candidate (RFC 8839 §4.2.1.2) goes in the m= and c= lines.
  const auto& defaults = params.hostCandidates.empty() ? params.tcpCandidates : params.hostCandidates;
  if (defaults.empty()) {
    m.port = 9;
    m.connection = media::SdpConnection{};
  } else {
    const auto& [ip, port] = defaults.front();
    m.port = port;
    m.connection = media::SdpConnection{"IN", addressType(ip), ip};
  }
  if (!offered.mid.empty()) m.addAttribute("mid", offered.mid);
  addTransportAttributes(m, params);
  m.addAttribute("sendonly");
  m.addAttribute("rtcp-mux");
  m.addAttribute("rtpmap", rtpmapValue(codec));
  if (!codec.fmtp.empty()) m.addAttribute("fmtp", std::to_string(codec.payloadType) + " " + codec.fmtp);
  for (const char* feedback : kSupportedFeedback) {
    if (std::find(codec.rtcpFeedback.begin(), codec.rtcpFeedback.end(), feedback) !=
        codec.rtcpFeedback.end()) {
      m.addAttribute("rtcp-fb", std::to_string(codec.payloadType) + " " + feedback);
    }
  }
  std::string cname = params.cname.empty() ? params.streamId : params.cname;
  m.addAttribute("msid", params.streamId + " " + trackId);
  m.addAttribute("ssrc", std::to_string(ssrc) + " cname:" + cname);
  m.addAttribute("ssrc", std::to_string(ssrc) + " msid:" + params.streamId + " " + trackId);
  // With BUNDLE only the first accepted section's transport is used, as in pion's answers.
  if (carriesTransport) {
    for (size_t i = 0; i < params.hostCandidates.size(); ++i) {
      const auto& [ip, port] = params.hostCandidates[i];
      m.addAttribute("candidate", std::to_string(i + 1) + " 1 udp " +
                                      std::to_string(hostCandidatePriority(i)) + " " + ip + " " +
                                      std::to_string(port) + " typ host");
    }
    // A different transport is a different foundation (RFC 8445 §5.1.1.3).
    for (size_t i = 0; i < params.tcpCandidates.size(); ++i) {
      const auto& [ip, port] = params.tcpCandidates[i];
      m.addAttribute("candidate", std::to_string(params.hostCandidates.size() + i + 1) + " 1 tcp " +
                                      std::to_string(tcpCandidatePriority(i)) + " " + ip + " " +
                                      std::to_string(port) + " typ host tcptype passive");
    }
    m.addAttribute("end-of-candidates");
  }
  return m;
}

MediaDescription rejectedSection(const WhepOffer::Media& offered) {
  MediaDescription m;
  m.type = offered.type;
  m.port = 0;
  m.proto = offered.proto;
  m.connection = media::SdpConnection{};
  // Formats of a rejected section are ignored (RFC 3264 §6) but one must be present. aiortc
  // still insists on recognising a codec and on rtcp-mux in every audio/video section, so an
  // RTP section keeps the first offered codec and echoes rtcp-mux.
  const SdpCodec* codec = offered.codecs.empty() ? nullptr : &offered.codecs.front();
  if (codec) {
    m.formats = {std::to_string(codec->payloadType)};
  } else if (!offered.formats.empty()) {
    m.formats = {offered.formats.front()};
  } else {
    m.formats = {"0"};
  }
  if (!offered.mid.empty()) m.addAttribute("mid", offered.mid);
  if (m.isRtp()) {
    m.addAttribute("inactive");
    if (offered.rtcpMux) m.addAttribute("rtcp-mux");
    if (codec) m.addAttribute("rtpmap", rtpmapValue(*codec));
  }
  return m;
}

}  // namespace

std::optional<int> chooseH264PayloadType(const WhepOffer::Media& media) {
  std::optional<int> best;
  int bestRank = INT_MAX;
  for (const auto& c : media.codecs) {
    if (!media::sdpTokenEquals(c.name, "H264") || c.clockRate != 90000) continue;
    auto params = media::parseFmtp(c.fmtp);
    auto mode = params.find("packetization-mode");
    if (mode == params.end() || mode->second != "1") continue;
    auto found = params.find("profile-level-id");
    std::string profile = found == params.end() ? std::string{} : lowercase(found->second);
    bool wellFormed = profile.size() == 6;
    int rank = profile == "42e01f"                       ? 0
               : profile == "42001f"                     ? 1
               : wellFormed && profile.starts_with("42") ? 2
               : wellFormed && profile.starts_with("4d") ? 3
                                                         : 4;
    if (rank < bestRank) {
      bestRank = rank;
      best = c.payloadType;
    }
  }
  return best;
}

std::optional<WhepMediaChoice> chooseWhepMedia(const WhepOffer& offer, std::string& error) {
  WhepMediaChoice choice;
  bool haveVideo = false;
  for (size_t i = 0; i < offer.media.size() && !haveVideo; ++i) {
    const auto& m = offer.media[i];
    if (m.type != "video" || !canReceive(m)) continue;
    if (auto pt = chooseH264PayloadType(m)) {
      choice.videoIndex = i;
      choice.videoPayloadType = *pt;
      haveVideo = true;
    }
  }
  if (!haveVideo) {
    error = "codecs not supported by client";
    return std::nullopt;
  }
  auto audio = std::find_if(offer.media.begin(), offer.media.end(),
                            [](const WhepOffer::Media& m) { return m.type == "audio"; });
  const auto& video = offer.media[choice.videoIndex];
  if (audio != offer.media.end() && canReceive(*audio) && inBundle(offer, video.mid) &&
      inBundle(offer, audio->mid)) {
    for (const auto& c : audio->codecs) {
      if (media::sdpTokenEquals(c.name, "PCMU") && c.clockRate == 8000 && c.channels == 1) {
        choice.audioIndex = static_cast<size_t>(audio - offer.media.begin());
        choice.audioPayloadType = c.payloadType;
        break;
      }
    }
  }
  return choice;
}

std::string buildWhepAnswer(const WhepOffer& offer, const WhepMediaChoice& choice,
                            const WhepAnswerParams& params) {
  SessionDescription sdp;
  // sess-id only has to be unique; 62 bits keep it positive for peers that parse it signed.
  uint64_t sessionId = params.sessionId != 0
                           ? params.sessionId
                           : ((uint64_t{core::random32()} << 30) ^ uint64_t{core::random32()}) | 1;
  sdp.origin = "- " + std::to_string(sessionId) + " 2 IN IP4 127.0.0.1";
  sdp.sessionName = "-";
  sdp.addAttribute("ice-lite");

  // The codec each accepted section sends; a choice that does not match the offer rejects
  // the section rather than answering with a payload type the client never offered.
  std::vector<std::optional<SdpCodec>> codecs(offer.media.size());
  if (choice.videoIndex < offer.media.size()) {
    codecs[choice.videoIndex] = findCodec(offer.media[choice.videoIndex], choice.videoPayloadType);
  }
  if (choice.audioIndex && *choice.audioIndex < offer.media.size() &&
      *choice.audioIndex != choice.videoIndex) {
    codecs[*choice.audioIndex] = findCodec(offer.media[*choice.audioIndex], choice.audioPayloadType);
  }
  std::string bundle;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    if (codecs[i] && inBundle(offer, offer.media[i].mid)) bundle += " " + offer.media[i].mid;
  }
  if (!bundle.empty()) sdp.addAttribute("group", "BUNDLE" + bundle);
  sdp.addAttribute("msid-semantic", "WMS " + params.streamId);
  // Also at session level, where they cover the rejected sections: aiortc demands ICE
  // credentials and a DTLS role for every section of an answer and inherits session values.
  addTransportAttributes(sdp, params);

  bool transportPlaced = false;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const auto& offered = offer.media[i];
    if (!codecs[i]) {
      sdp.media.push_back(rejectedSection(offered));
      continue;
    }
    bool isVideo = i == choice.videoIndex;
    sdp.media.push_back(acceptedSection(offered, *codecs[i], isVideo ? "video" : "audio",
                                        isVideo ? params.videoSsrc : params.audioSsrc, !transportPlaced,
                                        params));
    transportPlaced = true;
  }
  return media::serializeSdp(sdp);
}

}  // namespace sluice::webrtc
