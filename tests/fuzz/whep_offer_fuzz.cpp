// module: webrtc
// Feeds arbitrary bytes to the WHEP offer and trickle-fragment parsers. Any accepted offer
// that yields a media choice must produce an answer our own parser reads back, with one
// m= line per offered one.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "media/Sdp.h"
#include "webrtc/WhepAnswer.h"
#include "webrtc/WhepOffer.h"

using namespace sluice::webrtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto offer = parseWhepOffer(text, error)) {
    if (offer->iceUfrag.empty() || offer->icePwd.empty() || offer->fingerprint.empty()) std::abort();
    if (auto choice = chooseWhepMedia(*offer, error)) {
      if (choice->videoIndex >= offer->media.size() || choice->transportIndex() >= offer->media.size())
        std::abort();
      WhepAnswerParams params;
      params.iceUfrag = "fuzzUfrag";
      params.icePwd = "fuzzPasswordfuzzPassword";
      params.fingerprintSha256 = "AB:CD:EF";
      params.hostCandidates = {{"127.0.0.1", 8189}};
      params.videoSsrc = 1;
      params.audioSsrc = 2;
      params.sessionId = 42;
      std::string answer = buildWhepAnswer(*offer, *choice, params);
      auto parsed = sluice::media::parseSdp(answer, error);
      if (!parsed || parsed->media.size() != offer->media.size()) std::abort();
      auto back = parseWhepOffer(answer, error);
      if (!back || back->iceUfrag != params.iceUfrag) std::abort();
    } else if (error != "codecs not supported by client") {
      std::abort();
    }
  } else if (error.empty() || error.size() > 1024) {
    std::abort();
  }
  if (auto fragment = parseTrickleFragment(text, error)) {
    if (fragment->iceUfrag.empty() != fragment->icePwd.empty()) std::abort();
  }
  return 0;
}
