#include "stream/StreamFormat.h"

#include <algorithm>

namespace sluice::stream {

media::TrackDescription h264Track(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps) {
  media::TrackDescription t;
  t.mediaType = "video";
  t.payloadType = -1;  // our own packets: any payload type is accepted
  t.encodingName = "H264";
  t.clockRate = 90000;
  media::H264Codec codec;
  codec.packetizationMode = 1;
  if (!sps.empty() && !pps.empty()) codec.sets = media::H264ParameterSets{sps, pps};
  t.codec = std::move(codec);
  return t;
}

std::string describeFormat(const StreamFormat& format) {
  std::string out;
  for (const auto& t : format) out += (out.empty() ? "" : ", ") + t.apiName();
  return out.empty() ? "no track" : out;
}

namespace {
// What must not change under a reader's decoder: the codec (G.711's law included), its clock
// rate and channel count.
std::string codecKey(const media::TrackDescription& t) {
  std::string name = t.apiName();
  if (const auto* g = std::get_if<media::G711Codec>(&t.codec)) name += g->muLaw ? " (PCMU)" : " (PCMA)";
  if (!t.isVideo()) name += " " + std::to_string(t.clockRate) + " Hz " + std::to_string(t.channels) + " ch";
  return name;
}
}  // namespace

bool canContinue(const StreamFormat& current, const StreamFormat& next, std::string& why) {
  const size_t common = std::min(current.size(), next.size());
  for (size_t i = 0; i < common; ++i) {
    std::string was = codecKey(current[i]), now = codecKey(next[i]);
    if (was != now) {
      why = "track " + std::to_string(i + 1);
      why.append(" is now ").append(now).append(", the readers were receiving ").append(was);
      return false;
    }
  }
  return true;
}

}  // namespace sluice::stream
