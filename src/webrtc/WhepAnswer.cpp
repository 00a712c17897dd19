#include "webrtc/WhepAnswer.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <initializer_list>

#include "core/AsciiText.h"
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

// Bounds on what an error message echoes from the stream and from the (untrusted) offer.
constexpr size_t kMaxListedCodecs = 16;
constexpr size_t kMaxCodecNameSize = 32;

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

// The codecs the server sends, in the form it sends them.
enum class SendCodec { None, H265, H264, Opus, Pcmu, Pcma };

SendCodec sendCodec(const SendableTrack& t) {
  using media::sdpTokenEquals;
  bool monoOrStereo = t.channels == 1 || t.channels == 2;
  if (sdpTokenEquals(t.codec, "H265")) return t.clockRate == 90000 ? SendCodec::H265 : SendCodec::None;
  if (sdpTokenEquals(t.codec, "H264")) return t.clockRate == 90000 ? SendCodec::H264 : SendCodec::None;
  if (sdpTokenEquals(t.codec, "Opus"))
    return t.clockRate == 48000 && monoOrStereo ? SendCodec::Opus : SendCodec::None;
  if (sdpTokenEquals(t.codec, "PCMU"))
    return t.clockRate == 8000 && monoOrStereo ? SendCodec::Pcmu : SendCodec::None;
  if (sdpTokenEquals(t.codec, "PCMA"))
    return t.clockRate == 8000 && monoOrStereo ? SendCodec::Pcma : SendCodec::None;
  return SendCodec::None;
}

const char* codecName(SendCodec c) {
  switch (c) {
    case SendCodec::H265:
      return "H265";
    case SendCodec::H264:
      return "H264";
    case SendCodec::Opus:
      return "Opus";
    case SendCodec::Pcmu:
      return "PCMU";
    case SendCodec::Pcma:
      return "PCMA";
    case SendCodec::None:
      break;
  }
  return "";
}

bool canReceive(const WhepOffer::Media& m) {
  return m.port != 0 && m.rtcpMux && (m.direction == "recvonly" || m.direction == "sendrecv");
}

bool inBundle(const WhepOffer& offer, const std::string& mid) {
  return !mid.empty() &&
         std::find(offer.bundleMids.begin(), offer.bundleMids.end(), mid) != offer.bundleMids.end();
}

// Printable, bounded text from the offer or the stream for an error message.
std::string printable(std::string_view s) {
  std::string out(s.substr(0, kMaxCodecNameSize));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return out;
}

// Appends `name` to a ", "-separated list unless it is there already (case-insensitively).
void addName(std::vector<std::string>& names, std::string name) {
  for (const auto& n : names) {
    if (media::sdpTokenEquals(n, name)) return;
  }
  names.push_back(std::move(name));
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxListedCodecs; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kMaxListedCodecs) out += ", ...";
  return out;
}

std::string streamCodecs(std::span<const SendableTrack> tracks) {
  std::vector<std::string> names;
  for (const auto& t : tracks) {
    SendCodec c = sendCodec(t);
    if (c == SendCodec::Pcmu || c == SendCodec::Pcma) {
      addName(names, std::string("G711 (") + codecName(c) + ")");
    } else if (c != SendCodec::None) {
      addName(names, codecName(c));
    } else {
      addName(names, t.codec.empty() ? "?" : printable(t.codec));
    }
  }
  return names.empty() ? "no track" : joined(names);
}

// The media codecs of the sections the client can receive on, as it spells them; the
// retransmission, redundancy, comfort-noise and DTMF formats say nothing about what it decodes.
std::string offeredCodecs(const WhepOffer& offer) {
  std::vector<std::string> names;
  for (const auto& m : offer.media) {
    if (!canReceive(m) || (m.type != "video" && m.type != "audio")) continue;
    for (const auto& c : m.codecs) {
      bool auxiliary = false;
      for (const char* aux : {"rtx", "red", "ulpfec", "flexfec-03", "CN", "telephone-event"}) {
        auxiliary = auxiliary || media::sdpTokenEquals(c.name, aux);
      }
      if (!auxiliary) addName(names, printable(c.name));
      // One more than is listed is enough to know the list is cut short.
      if (names.size() > kMaxListedCodecs) return joined(names);
    }
  }
  return names.empty() ? "no audio or video section it can receive" : joined(names);
}

std::optional<int> audioPayloadType(const WhepOffer::Media& m, SendCodec codec, uint32_t channels) {
  for (const auto& c : m.codecs) {
    bool match = false;
    switch (codec) {
      case SendCodec::Opus:
        // RFC 7587 §7: always opus/48000/2, whatever the source's channel count.
        match = media::sdpTokenEquals(c.name, "opus") && c.clockRate == 48000 && c.channels == 2;
        break;
      case SendCodec::Pcmu:
      case SendCodec::Pcma:
        match = media::sdpTokenEquals(c.name, codecName(codec)) && c.clockRate == 8000 &&
                c.channels == static_cast<int>(channels);
        break;
      default:
        break;
    }
    if (match) return c.payloadType;
  }
  return std::nullopt;
}

WhepTrackChoice trackChoice(size_t streamTrack, size_t offerIndex, int payloadType, SendCodec codec,
                            uint32_t clockRate, uint32_t channels) {
  WhepTrackChoice t;
  t.streamTrack = streamTrack;
  t.offerIndex = offerIndex;
  t.payloadType = payloadType;
  t.codec = codecName(codec);
  t.clockRate = clockRate;
  t.channels = channels;
  t.video = codec == SendCodec::H265 || codec == SendCodec::H264;
  return t;
}

std::optional<WhepTrackChoice> chooseVideo(const WhepOffer& offer, std::span<const SendableTrack> tracks) {
  for (SendCodec want : {SendCodec::H265, SendCodec::H264}) {
    auto track = std::find_if(tracks.begin(), tracks.end(),
                              [&](const SendableTrack& t) { return sendCodec(t) == want; });
    if (track == tracks.end()) continue;
    // What the offer can take does not depend on which track of a codec is sent: the
    // stream's first one of the codec is it.
    for (size_t i = 0; i < offer.media.size(); ++i) {
      const auto& m = offer.media[i];
      if (m.type != "video" || !canReceive(m)) continue;
      auto pt = want == SendCodec::H265 ? chooseH265PayloadType(m) : chooseH264PayloadType(m);
      if (pt) return trackChoice(track->streamTrack, i, *pt, want, 90000, 0);
    }
  }
  return std::nullopt;
}

// An audio section that can carry the session's audio: it receives, and shares the video's
// BUNDLE group when there is video (one ICE/DTLS transport for the session).
bool audioSectionUsable(const WhepOffer& offer, size_t index, const WhepTrackChoice* video) {
  const auto& m = offer.media[index];
  if (m.type != "audio" || !canReceive(m)) return false;
  return !video || (inBundle(offer, offer.media[video->offerIndex].mid) && inBundle(offer, m.mid));
}

std::optional<WhepTrackChoice> chooseAudio(const WhepOffer& offer, std::span<const SendableTrack> tracks,
                                           const WhepTrackChoice* video) {
  // Priority: Opus first, then G.711 (µ-law or A-law, whichever the stream lists first and
  // the offer can take).
  auto priority = [](SendCodec c) {
    return c == SendCodec::Opus ? 0 : c == SendCodec::Pcmu || c == SendCodec::Pcma ? 1 : -1;
  };
  for (int wanted = 0; wanted <= 1; ++wanted) {
    for (const auto& t : tracks) {
      SendCodec codec = sendCodec(t);
      if (priority(codec) != wanted) continue;
      for (size_t i = 0; i < offer.media.size(); ++i) {
        if (!audioSectionUsable(offer, i, video)) continue;
        if (auto pt = audioPayloadType(offer.media[i], codec, t.channels)) {
          return trackChoice(t.streamTrack, i, *pt, codec, t.clockRate, t.channels);
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<WhepTrackChoice> chooseDummyAudio(const WhepOffer& offer, const WhepTrackChoice& video) {
  for (size_t i = 0; i < offer.media.size(); ++i) {
    if (!audioSectionUsable(offer, i, &video)) continue;
    if (auto pt = audioPayloadType(offer.media[i], SendCodec::Pcmu, 1)) {
      return trackChoice(kDummyAudioTrack, i, *pt, SendCodec::Pcmu, 8000, 1);
    }
  }
  return std::nullopt;
}

// RFC 5888 §4: a mid identifies one section. With two alike, BUNDLE and the client's own
// demultiplexing would be ambiguous.
std::optional<std::string> duplicateMid(const WhepOffer& offer) {
  for (size_t i = 0; i < offer.media.size(); ++i) {
    if (offer.media[i].mid.empty()) continue;
    for (size_t j = i + 1; j < offer.media.size(); ++j) {
      if (offer.media[j].mid == offer.media[i].mid) return offer.media[i].mid;
    }
  }
  return std::nullopt;
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

// The offered Opus fmtp with stereo=1;sprop-stereo=1 (RFC 7587 §6.1): the client may send
// and is sent stereo. Other parameters keep the offer's order and spelling.
std::string stereoOpusFmtp(std::string_view fmtp) {
  std::string out;
  size_t pos = 0;
  while (pos <= fmtp.size()) {
    size_t end = std::min(fmtp.find(';', pos), fmtp.size());
    std::string_view param = fmtp.substr(pos, end - pos);
    while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
    while (!param.empty() && param.back() == ' ') param.remove_suffix(1);
    std::string key = core::toLowerAscii(std::string(param.substr(0, param.find('='))));
    if (!param.empty() && key != "stereo" && key != "sprop-stereo") {
      out += (out.empty() ? "" : ";") + std::string(param);
    }
    pos = end + 1;
  }
  return out + (out.empty() ? "" : ";") + "stereo=1;sprop-stereo=1";
}

void addTransportAttributes(media::SdpAttributes& attrs, const WhepAnswerParams& params) {
  attrs.addAttribute("ice-ufrag", params.iceUfrag);
  attrs.addAttribute("ice-pwd", params.icePwd);
  attrs.addAttribute("fingerprint", "sha-256 " + params.fingerprintSha256);
  attrs.addAttribute("setup", params.setup);
}

// What one accepted section sends.
struct AcceptedTrack {
  SdpCodec codec;  // as offered, fmtp possibly amended
  uint32_t ssrc = 0;
  bool video = false;
};

MediaDescription acceptedSection(const WhepOffer::Media& offered, const AcceptedTrack& track,
                                 bool carriesTransport, const WhepAnswerParams& params) {
  const SdpCodec& codec = track.codec;
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
  // Audio gets no NACK (no retransmission history for it) nor keyframe requests.
  for (const char* feedback : kSupportedFeedback) {
    if (track.video && std::find(codec.rtcpFeedback.begin(), codec.rtcpFeedback.end(), feedback) !=
                           codec.rtcpFeedback.end()) {
      m.addAttribute("rtcp-fb", std::to_string(codec.payloadType) + " " + feedback);
    }
  }
  const char* trackId = track.video ? "video" : "audio";
  std::string cname = params.cname.empty() ? params.streamId : params.cname;
  m.addAttribute("msid", params.streamId + " " + trackId);
  m.addAttribute("ssrc", std::to_string(track.ssrc) + " cname:" + cname);
  m.addAttribute("ssrc", std::to_string(track.ssrc) + " msid:" + params.streamId + " " + trackId);
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

bool SendableTrack::video() const {
  return media::sdpTokenEquals(codec, "H264") || media::sdpTokenEquals(codec, "H265");
}

const WhepTrackChoice* WhepMediaChoice::video() const {
  auto it = std::find_if(tracks.begin(), tracks.end(), [](const WhepTrackChoice& t) { return t.video; });
  return it == tracks.end() ? nullptr : &*it;
}

const WhepTrackChoice* WhepMediaChoice::audio() const {
  auto it = std::find_if(tracks.begin(), tracks.end(), [](const WhepTrackChoice& t) { return !t.video; });
  return it == tracks.end() ? nullptr : &*it;
}

std::optional<int> chooseH264PayloadType(const WhepOffer::Media& media) {
  std::optional<int> best;
  int bestRank = INT_MAX;
  for (const auto& c : media.codecs) {
    if (!media::sdpTokenEquals(c.name, "H264") || c.clockRate != 90000) continue;
    auto params = media::parseFmtp(c.fmtp);
    auto mode = params.find("packetization-mode");
    if (mode == params.end() || mode->second != "1") continue;
    auto found = params.find("profile-level-id");
    std::string profile = found == params.end() ? std::string{} : core::toLowerAscii(found->second);
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

std::optional<int> chooseH265PayloadType(const WhepOffer::Media& media) {
  std::optional<int> best;
  int bestRank = INT_MAX;
  for (const auto& c : media.codecs) {
    if (!media::sdpTokenEquals(c.name, "H265") || c.clockRate != 90000) continue;
    auto params = media::parseFmtp(c.fmtp);
    auto txMode = params.find("tx-mode");
    if (txMode != params.end() && !media::sdpTokenEquals(txMode->second, "SRST")) continue;
    auto found = params.find("profile-id");
    // RFC 7798 §7.1: profile-id defaults to 1 (Main).
    std::string profile = found == params.end() ? "1" : found->second;
    int rank = profile == "1" ? 0 : profile == "2" ? 1 : 2;
    if (rank < bestRank) {
      bestRank = rank;
      best = c.payloadType;
    }
  }
  return best;
}

std::optional<WhepMediaChoice> chooseWhepMedia(const WhepOffer& offer, std::span<const SendableTrack> tracks,
                                               std::string& error) {
  if (std::none_of(tracks.begin(), tracks.end(),
                   [](const SendableTrack& t) { return sendCodec(t) != SendCodec::None; })) {
    error = "the stream doesn't contain any supported codec, which are currently H265, H264, Opus, G711";
    return std::nullopt;
  }
  if (auto mid = duplicateMid(offer)) {
    error = "offer has duplicate a=mid '" + printable(*mid) + "'";
    return std::nullopt;
  }
  bool streamHasVideo = std::any_of(tracks.begin(), tracks.end(), [](const SendableTrack& t) {
    SendCodec c = sendCodec(t);
    return c == SendCodec::H265 || c == SendCodec::H264;
  });
  std::optional<WhepTrackChoice> video = chooseVideo(offer, tracks);
  std::optional<WhepTrackChoice> audio = chooseAudio(offer, tracks, video ? &*video : nullptr);
  if (video && !audio) audio = chooseDummyAudio(offer, *video);
  // Video the client cannot take fails the request even if it could take the audio.
  if (streamHasVideo ? !video : !audio) {
    error = "codecs not supported by client: the stream has " + streamCodecs(tracks) + "; the offer has " +
            offeredCodecs(offer);
    return std::nullopt;
  }
  WhepMediaChoice choice;
  if (video) choice.tracks.push_back(*video);
  if (audio) choice.tracks.push_back(*audio);
  std::sort(choice.tracks.begin(), choice.tracks.end(),
            [](const WhepTrackChoice& a, const WhepTrackChoice& b) { return a.offerIndex < b.offerIndex; });
  return choice;
}

std::string buildWhepAnswer(const WhepOffer& offer, const WhepMediaChoice& choice,
                            const WhepAnswerParams& params) {
  assert(params.ssrcs.size() >= choice.tracks.size());
  SessionDescription sdp;
  // sess-id only has to be unique; 62 bits keep it positive for peers that parse it signed.
  uint64_t sessionId = params.sessionId != 0
                           ? params.sessionId
                           : ((uint64_t{core::random32()} << 30) ^ uint64_t{core::random32()}) | 1;
  sdp.origin = "- " + std::to_string(sessionId) + " 2 IN IP4 127.0.0.1";
  sdp.sessionName = "-";
  sdp.addAttribute("ice-lite");

  // What each accepted section sends. A choice that does not match the offer (payload type
  // not offered, section taken twice, no SSRC given) rejects the section rather than
  // answering with something the client never offered.
  std::vector<std::optional<AcceptedTrack>> accepted(offer.media.size());
  for (size_t k = 0; k < choice.tracks.size() && k < params.ssrcs.size(); ++k) {
    const WhepTrackChoice& t = choice.tracks[k];
    if (t.offerIndex >= offer.media.size() || accepted[t.offerIndex]) continue;
    auto codec = findCodec(offer.media[t.offerIndex], t.payloadType);
    if (!codec) continue;
    if (media::sdpTokenEquals(t.codec, "Opus") && t.channels == 2) codec->fmtp = stereoOpusFmtp(codec->fmtp);
    accepted[t.offerIndex] = AcceptedTrack{std::move(*codec), params.ssrcs[k], t.video};
  }
  std::string bundle;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    if (accepted[i] && inBundle(offer, offer.media[i].mid)) bundle += " " + offer.media[i].mid;
  }
  if (!bundle.empty()) sdp.addAttribute("group", "BUNDLE" + bundle);
  sdp.addAttribute("msid-semantic", "WMS " + params.streamId);
  // Also at session level, where they cover the rejected sections: aiortc demands ICE
  // credentials and a DTLS role for every section of an answer and inherits session values.
  addTransportAttributes(sdp, params);

  bool transportPlaced = false;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const auto& offered = offer.media[i];
    if (!accepted[i]) {
      sdp.media.push_back(rejectedSection(offered));
      continue;
    }
    sdp.media.push_back(acceptedSection(offered, *accepted[i], !transportPlaced, params));
    transportPlaced = true;
  }
  return media::serializeSdp(sdp);
}

}  // namespace sluice::webrtc
