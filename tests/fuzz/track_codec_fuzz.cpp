// module: media
// Describes a track from fuzzed SDP fields: input is "<media>|<pt>|<encoding>|<rate>|<fmtp>"
// (fields may be missing), and also the whole input as an SDP whose media are described;
// plus the raw bytes as an AudioSpecificConfig and a StreamMuxConfig.
#include <cstdlib>
#include <string>
#include <string_view>

#include "media/AacConfig.h"
#include "media/LatmDepacketizer.h"
#include "media/Sdp.h"
#include "media/TrackCodec.h"

using namespace sluice::media;

namespace {
std::string_view field(std::string_view& rest) {
  size_t bar = rest.find('|');
  std::string_view f = rest.substr(0, bar);
  rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  return f;
}

void check(const TrackDescription& t) {
  if (t.describe().empty() || t.apiName().empty()) std::abort();
  if (const auto* m = std::get_if<Mpeg4AudioCodec>(&t.codec)) {
    const AacConfig& c = m->config();
    if (c.sampleRate == 0 || c.channels == 0 || c.bytes.empty()) std::abort();
    (void)c.timestampIncrement(t.clockRate);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view rest = text;
  std::string_view media = field(rest), pt = field(rest), encoding = field(rest), rate = field(rest);
  uint32_t clock = 0;
  for (char ch : rate.substr(0, 7))
    clock = clock * 10 + static_cast<uint32_t>(ch >= '0' && ch <= '9' ? ch - '0' : 0);
  check(describeTrack(media, pt.empty() ? -1 : static_cast<uint8_t>(pt[0]) % 128, encoding, clock, 2, rest));

  std::string error;
  if (auto sdp = parseSdp(text, error)) {
    for (const auto& m : sdp->media) check(describeTrack(m));
  }
  AacConfig config;
  if (auto c = parseAudioSpecificConfig(data, size, error)) {
    if (c->sampleRate == 0 || c->channels == 0) std::abort();
  }
  LatmConfig latm;
  if (parseStreamMuxConfig(data, size, latm, error) && (latm.subFrames == 0 || latm.audio.bytes.empty()))
    std::abort();
  return 0;
}
