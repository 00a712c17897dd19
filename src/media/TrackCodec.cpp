#include "media/TrackCodec.h"

#include "media/Sdp.h"

namespace sluice::media {

namespace {

bool is(std::string_view a, std::string_view b) { return sdpTokenEquals(a, b); }

// MediaMTX (gortsplib) format names of codecs Sluice does not carry.
std::string apiNameOf(std::string_view encoding, std::string_view mediaType) {
  struct Name {
    const char* encoding;
    const char* api;
  };
  static constexpr Name kNames[] = {
      {"H264", "H264"},
      {"H265", "H265"},
      {"PCMU", "G711"},
      {"PCMA", "G711"},
      {"opus", "Opus"},
      {"mpeg4-generic", "MPEG-4 Audio"},
      {"MP4A-LATM", "MPEG-4 Audio"},
      {"JPEG", "M-JPEG"},
      {"MP4V-ES", "MPEG-4 Video"},
      {"MPV", "MPEG-1/2 Video"},
      {"MPA", "MPEG-1/2 Audio"},
      {"MP2T", "MPEG-TS"},
      {"L16", "LPCM"},
      {"L24", "LPCM"},
      {"L8", "LPCM"},
      {"G722", "G722"},
      {"G726-16", "G726"},
      {"G726-24", "G726"},
      {"G726-32", "G726"},
      {"G726-40", "G726"},
      {"VP8", "VP8"},
      {"VP9", "VP9"},
      {"AV1", "AV1"},
      {"AC3", "AC-3"},
      {"speex", "Speex"},
      {"vorbis", "Vorbis"},
      {"smpte336m", "KLV"},
  };
  for (const auto& n : kNames) {
    if (is(encoding, n.encoding)) return n.api;
  }
  (void)mediaType;
  return "Generic";
}

std::string fmtpValue(const std::map<std::string, std::string>& p, const char* key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

CodecParameters describeH264(uint32_t clockRate, std::string_view fmtp) {
  if (clockRate != 90000) return UnsupportedCodec{"H264 with clock rate " + std::to_string(clockRate)};
  auto p = parseFmtp(fmtp);
  H264Codec c;
  std::string mode = fmtpValue(p, "packetization-mode");
  if (!mode.empty() && mode != "0" && mode != "1")
    return UnsupportedCodec{"H264 with packetization-mode=" + mode};
  c.packetizationMode = mode == "1" ? 1 : 0;
  c.profileLevelId = fmtpValue(p, "profile-level-id");
  if (p.count("sprop-parameter-sets")) {
    H264ParameterSets sets;
    if (parseSpropParameterSets(p["sprop-parameter-sets"], sets, c.spropError)) c.sets = std::move(sets);
  }
  return c;
}

CodecParameters describeH265(uint32_t clockRate, std::string_view fmtp) {
  if (clockRate != 90000) return UnsupportedCodec{"H265 with clock rate " + std::to_string(clockRate)};
  auto p = parseFmtp(fmtp);
  // With DONL (RFC 7798 §4.4) every AP/FU carries decoding order numbers the shaper does not
  // parse; sprop-depack-buf-nalus > 0 implies it too.
  for (const char* key : {"sprop-max-don-diff", "sprop-depack-buf-nalus"}) {
    std::string v = fmtpValue(p, key);
    if (!v.empty() && v.find_first_not_of('0') != std::string::npos)
      return UnsupportedCodec{std::string("H265 with DONL (") + key + "=" + v + ")"};
  }
  H265Codec c;
  if (p.count("sprop-vps") || p.count("sprop-sps") || p.count("sprop-pps")) {
    H265ParameterSets sets;
    if (parseH265Sprop(p["sprop-vps"], p["sprop-sps"], p["sprop-pps"], sets, c.spropError))
      c.sets = std::move(sets);
  }
  return c;
}

}  // namespace

TrackDescription describeTrack(std::string_view mediaType, int payloadType, std::string_view encodingName,
                               uint32_t clockRate, uint32_t channels, std::string_view fmtp) {
  TrackDescription t;
  t.mediaType = std::string(mediaType);
  t.payloadType = payloadType;
  t.encodingName = std::string(encodingName);
  t.clockRate = clockRate;
  t.channels = channels;
  // RFC 3551 static audio payload types, for SDPs that give no rtpmap.
  if (t.encodingName.empty() && (payloadType == 0 || payloadType == 8)) {
    t.encodingName = payloadType == 0 ? "PCMU" : "PCMA";
    t.clockRate = 8000;
  }
  if (is(mediaType, "audio") && t.channels == 0) t.channels = 1;

  const std::string& e = t.encodingName;
  if (is(mediaType, "video") && is(e, "H264")) {
    t.codec = describeH264(t.clockRate, fmtp);
  } else if (is(mediaType, "video") && (is(e, "H265") || is(e, "HEVC"))) {
    t.codec = describeH265(t.clockRate, fmtp);
  } else if (is(mediaType, "audio") && (is(e, "PCMU") || is(e, "PCMA"))) {
    if (t.clockRate == 0) t.clockRate = 8000;
    t.codec = G711Codec{is(e, "PCMU")};
  } else if (is(mediaType, "audio") && is(e, "opus")) {
    // RFC 7587: always opus/48000/2 in the rtpmap, whatever the encoder's channels; the
    // sender says stereo with sprop-stereo=1, mono (the default) otherwise, as MediaMTX reads it.
    if (t.clockRate != 48000) {
      t.codec = UnsupportedCodec{"Opus with clock rate " + std::to_string(t.clockRate)};
    } else {
      t.codec = OpusCodec{};
      t.channels = fmtpValue(parseFmtp(fmtp), "sprop-stereo") == "1" ? 2 : 1;
    }
  } else if (is(mediaType, "audio") && is(e, "mpeg4-generic")) {
    Mpeg4AudioCodec c;
    std::string error;
    if (parseMpeg4GenericFmtp(fmtp, c.generic, error)) {
      t.codec = std::move(c);
    } else {
      t.codec = UnsupportedCodec{"MPEG-4 Audio: " + error};
    }
  } else if (is(mediaType, "audio") && is(e, "MP4A-LATM")) {
    Mpeg4AudioCodec c;
    c.latm = true;
    std::string error;
    if (parseLatmFmtp(fmtp, c.latmConfig, error)) {
      t.codec = std::move(c);
    } else {
      t.codec = UnsupportedCodec{"MPEG-4 Audio: " + error};
    }
  } else {
    std::string name = e.empty() ? "payload type " + std::to_string(payloadType) : e;
    t.codec = UnsupportedCodec{std::string(mediaType) + " " + name};
  }
  if (t.clockRate == 0 && t.supported()) t.codec = UnsupportedCodec{e + " without a clock rate"};
  return t;
}

TrackDescription describeTrack(const MediaDescription& media) {
  auto codecs = media.codecs();
  if (codecs.empty()) {
    int pt = -1;
    if (!media.formats.empty() && media.formats[0].size() <= 3 &&
        media.formats[0].find_first_not_of("0123456789") == std::string::npos)
      pt = std::stoi(media.formats[0]);
    return describeTrack(media.type, pt, "", 0, 0, "");
  }
  const SdpCodec& c = codecs.front();
  return describeTrack(media.type, c.payloadType, c.name, static_cast<uint32_t>(c.clockRate),
                       static_cast<uint32_t>(c.channels), c.fmtp);
}

std::string TrackDescription::apiName() const { return apiNameOf(encodingName, mediaType); }

std::string TrackDescription::describe() const {
  if (const auto* u = std::get_if<UnsupportedCodec>(&codec)) return "unsupported: " + u->reason;
  std::string name = apiName();
  if (std::holds_alternative<H264Codec>(codec) || std::holds_alternative<H265Codec>(codec)) return name;
  std::string rate = std::to_string(clockRate) + " Hz " + std::to_string(channels) + " ch";
  if (const auto* g = std::get_if<G711Codec>(&codec))
    return name + (g->muLaw ? " (PCMU) " : " (PCMA) ") + rate;
  if (const auto* m = std::get_if<Mpeg4AudioCodec>(&codec))
    return name + " (" + m->config().describe() + (m->latm ? ", LATM)" : ")");
  return name + " " + rate;
}

}  // namespace sluice::media
