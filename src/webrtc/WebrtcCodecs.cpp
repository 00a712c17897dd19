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

std::string sendableCodec(const stream::StreamFormat& format, size_t streamTrack) {
  const size_t base = stream::StreamTrack::kTranscodedBase;
  if (streamTrack >= base) {
    // AAC, and G.711 not at 8 kHz mono, go out as Opus, transcoded once per stream while
    // someone listens.
    const size_t source = streamTrack - base;
    return source < format.size() && stream::AudioTranscoding::needed(format[source]) ? "Opus" : "";
  }
  return streamTrack < format.size() ? webrtcCodecName(format[streamTrack]) : "";
}

std::vector<SendableTrack> sendableTracks(const stream::StreamFormat& format) {
  std::vector<SendableTrack> out;
  for (size_t i = 0; i < format.size() && i < stream::kMaxSourceTracks; ++i) {
    const bool transcoded = stream::AudioTranscoding::needed(format[i]);
    const size_t index = transcoded ? stream::StreamTrack::kTranscodedBase + i : i;
    std::string codec = sendableCodec(format, index);
    if (codec.empty()) continue;
    SendableTrack t;
    t.streamTrack = index;
    t.codec = codec;
    const media::TrackDescription sent =
        transcoded ? stream::AudioTranscoding::outputFormat(format[i]) : format[i];
    t.clockRate = sent.isVideo() ? 90000 : sent.clockRate;
    t.channels = sent.isVideo() ? 0 : std::max<uint32_t>(1, sent.channels);
    out.push_back(std::move(t));
  }
  return out;
}

std::string reorderedVideoReason(size_t streamTrack, const std::string& codec) {
  return "track " + std::to_string(streamTrack + 1) + " (" + codec +
         ") has B-frames (frames out of presentation order), which WebRTC does not carry; turn B-frames "
         "off at the source (ffmpeg: -bf 0; a camera: B-frames 0, or the Baseline profile)";
}

}  // namespace sluice::webrtc
