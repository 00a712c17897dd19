#include "webrtc/WebrtcCodecs.h"

#include "stream/Stream.h"

namespace sluice::webrtc {

std::string webrtcCodecName(const media::TrackDescription& t) {
  if (std::holds_alternative<media::H264Codec>(t.codec)) return "H264";
  if (std::holds_alternative<media::H265Codec>(t.codec)) return "H265";
  if (const auto* g = std::get_if<media::G711Codec>(&t.codec)) {
    // Browsers take G.711 at 8 kHz mono only (RFC 3551's static payload types 0 and 8).
    if (t.clockRate == 8000 && t.channels <= 1) return g->muLaw ? "PCMU" : "PCMA";
    return "";
  }
  if (std::holds_alternative<media::OpusCodec>(t.codec)) return "Opus";
  return "";
}

std::vector<SendableTrack> sendableTracks(const stream::StreamFormat& format) {
  std::vector<SendableTrack> out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (stream::AudioTranscoding::needed(format[i]) && i < stream::kMaxSourceTracks) {
      // AAC, and G.711 not at 8 kHz mono, go out as Opus, transcoded once per stream while
      // someone listens.
      SendableTrack t;
      t.streamTrack = stream::StreamTrack::kTranscodedBase + i;
      t.codec = "Opus";
      t.clockRate = 48000;
      t.channels = stream::AudioTranscoding::outputFormat(format[i]).channels;
      out.push_back(std::move(t));
      continue;
    }
    std::string codec = webrtcCodecName(format[i]);
    if (codec.empty()) continue;
    SendableTrack t;
    t.streamTrack = i;
    t.codec = codec;
    t.clockRate = format[i].isVideo() ? 90000 : format[i].clockRate;
    t.channels = format[i].isVideo() ? 0 : std::max<uint32_t>(1, format[i].channels);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace sluice::webrtc
