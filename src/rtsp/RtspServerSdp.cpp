#include "rtsp/RtspServerSdp.h"

#include "core/Base64.h"
#include "rtsp/RtspText.h"

namespace sluice::rtsp {

namespace {

std::string hexOf(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string b64(const std::vector<uint8_t>& v) { return core::base64Encode(v.data(), v.size()); }

// The fmtp parameters readers need, rebuilt from what the track's codec holds.
std::string fmtpOf(const media::TrackDescription& t) {
  if (const auto* h = std::get_if<media::H264Codec>(&t.codec)) {
    std::string f = "packetization-mode=1";
    if (h->sets && !h->sets->sps.empty() && !h->sets->pps.empty()) {
      f += "; sprop-parameter-sets=" + b64(h->sets->sps) + "," + b64(h->sets->pps);
      const std::string pli = media::profileLevelIdOf(h->sets->sps);
      if (!pli.empty()) f += "; profile-level-id=" + pli;
    } else if (!h->profileLevelId.empty()) {
      f += "; profile-level-id=" + h->profileLevelId;
    }
    return f;
  }
  if (const auto* h = std::get_if<media::H265Codec>(&t.codec)) {
    if (!h->sets) return {};
    return "sprop-vps=" + b64(h->sets->vps) + "; sprop-sps=" + b64(h->sets->sps) +
           "; sprop-pps=" + b64(h->sets->pps);
  }
  if (const auto* a = std::get_if<media::Mpeg4AudioCodec>(&t.codec)) {
    if (a->latm) {
      // RFC 6416 §7.1: profile-level-id defaults to 30 (AAC profile, level 1).
      const auto& l = a->latmConfig;
      std::string f = "profile-level-id=" + (l.profileLevelId.empty() ? std::string("30") : l.profileLevelId);
      if (!l.object.empty()) f += "; object=" + l.object;
      return f + "; cpresent=0; config=" + hexOf(l.streamMuxConfig);
    }
    const auto& g = a->generic;
    return "profile-level-id=1; mode=AAC-hbr; sizelength=" +
           std::to_string(g.sizeLength ? g.sizeLength : 13) +
           "; indexlength=" + std::to_string(g.indexLength) +
           "; indexdeltalength=" + std::to_string(g.indexDeltaLength) + "; config=" + hexOf(g.config.bytes);
  }
  if (std::holds_alternative<media::OpusCodec>(t.codec))
    return "sprop-stereo=" + std::string(t.channels == 2 ? "1" : "0");  // the rtpmap always says 2
  return {};
}

}  // namespace

std::string buildServerSdp(const stream::StreamFormat& format) {
  std::string s =
      "v=0\r\n"
      "o=- 0 0 IN IP4 127.0.0.1\r\n"
      "s=Stream\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "t=0 0\r\n";
  for (size_t i = 0; i < format.size(); ++i) {
    const media::TrackDescription& t = format[i];
    if (!t.supported()) continue;
    // Sluice's own tracks (demo, offline slate) accept any payload type and send 96.
    const std::string pt = std::to_string(t.payloadType < 0 ? 96 : t.payloadType);
    s += "m=" + (t.mediaType.empty() ? std::string(t.isVideo() ? "video" : "audio") : t.mediaType) +
         " 0 RTP/AVP " + pt + "\r\n";
    s += "a=control:trackID=" + std::to_string(i) + "\r\n";
    std::string rtpmap = pt + " " + t.encodingName + "/" + std::to_string(t.clockRate ? t.clockRate : 90000);
    if (std::holds_alternative<media::OpusCodec>(t.codec)) {
      rtpmap += "/2";  // RFC 7587 §7: whatever the channels; sprop-stereo tells them
    } else if (!t.isVideo() && t.channels > 1) {
      rtpmap += "/" + std::to_string(t.channels);
    }
    s += "a=rtpmap:" + rtpmap + "\r\n";
    const std::string fmtp = fmtpOf(t);
    if (!fmtp.empty()) s.append("a=fmtp:").append(pt).append(" ").append(fmtp).append("\r\n");
  }
  return s;
}

std::optional<size_t> trackIdOfUrl(std::string_view url) {
  const size_t at = url.rfind("/trackID=");
  if (at == std::string_view::npos) return std::nullopt;
  return parseDecimal<size_t>(url.substr(at + 9));
}

}  // namespace sluice::rtsp
