// module: webrtc
// Feeds arbitrary bytes to the WHEP offer and trickle-fragment parsers. Every accepted offer
// goes through the media choice for a few fixed stream track sets; a choice must produce an
// answer our own parser reads back, with one m= line per offered one and exactly the chosen
// sections accepted; a refusal must be one of the documented, bounded errors.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "media/Sdp.h"
#include "webrtc/WhepAnswer.h"
#include "webrtc/WhepOffer.h"

using namespace sluice::webrtc;

namespace {

const std::vector<std::vector<SendableTrack>>& streams() {
  static const std::vector<std::vector<SendableTrack>> sets = {
      {{0, "H264", 90000, 0}},
      {{0, "H265", 90000, 0}, {1, "PCMU", 8000, 1}},
      {{0, "H264", 90000, 0}, {1, "Opus", 48000, 2}},
      {{0, "PCMA", 8000, 1}},
      {{3, "AAC", 44100, 2},
       {0, "H265", 90000, 0},
       {1, "H264", 90000, 0},
       {2, "Opus", 48000, 1},
       {4, "PCMU", 8000, 1}},
  };
  return sets;
}

void checkChoice(const WhepOffer& offer, const WhepMediaChoice& choice) {
  if (choice.tracks.empty() || choice.tracks.size() > 2) std::abort();
  size_t videos = 0;
  for (size_t i = 0; i < choice.tracks.size(); ++i) {
    const auto& t = choice.tracks[i];
    if (t.offerIndex >= offer.media.size()) std::abort();
    if (i > 0 && t.offerIndex <= choice.tracks[i - 1].offerIndex) std::abort();
    if (offer.media[t.offerIndex].type != (t.video ? "video" : "audio")) std::abort();
    videos += t.video;
  }
  if (videos > 1 || choice.tracks.size() - videos > 1) std::abort();
  if (choice.transportIndex() != choice.tracks.front().offerIndex) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto offer = parseWhepOffer(text, error)) {
    if (offer->iceUfrag.empty() || offer->icePwd.empty() || offer->fingerprint.empty()) std::abort();
    for (const auto& tracks : streams()) {
      auto choice = chooseWhepMedia(*offer, tracks, error);
      if (!choice) {
        if (!error.starts_with("codecs not supported by client: the stream has ") &&
            !error.starts_with("offer has duplicate a=mid '"))
          std::abort();
        if (error.size() > 1024) std::abort();
        continue;
      }
      checkChoice(*offer, *choice);
      WhepAnswerParams params;
      params.iceUfrag = "fuzzUfrag";
      params.icePwd = "fuzzPasswordfuzzPassword";
      params.fingerprintSha256 = "AB:CD:EF";
      params.hostCandidates = {{"127.0.0.1", 8189}};
      params.ssrcs = {1, 2};
      params.sessionId = 42;
      std::string answer = buildWhepAnswer(*offer, *choice, params);
      auto parsed = sluice::media::parseSdp(answer, error);
      if (!parsed || parsed->media.size() != offer->media.size()) std::abort();
      size_t acceptedSections = 0;
      for (const auto& m : parsed->media) acceptedSections += m.port != 0;
      if (acceptedSections != choice->tracks.size()) std::abort();
      auto back = parseWhepOffer(answer, error);
      if (!back || back->iceUfrag != params.iceUfrag) std::abort();
    }
  } else if (error.empty() || error.size() > 1024) {
    std::abort();
  }
  if (auto fragment = parseTrickleFragment(text, error)) {
    if (fragment->iceUfrag.empty() != fragment->icePwd.empty()) std::abort();
  }
  return 0;
}
