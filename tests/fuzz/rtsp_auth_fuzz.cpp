// module: rtsp
// The small RTSP header parsers: WWW-Authenticate (and Authorization building from what it
// accepted), Transport, Session, rtsp:// URLs and the client's SDP track extraction.
#include <cstdint>
#include <string>
#include <string_view>

#include "rtsp/RtspAuthChallenge.h"
#include "rtsp/RtspDigestAuth.h"
#include "rtsp/RtspSdpTracks.h"
#include "rtsp/RtspSessionHeader.h"
#include "rtsp/RtspTransportHeader.h"
#include "rtsp/RtspUrl.h"

using namespace sluice::rtsp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;

  if (auto c = parseRtspAuthChallenge(text, &error)) {
    RtspAuthenticator auth("user", "pa\"ss");
    if (auth.acceptChallenges({text}, &error)) auth.authorize("DESCRIBE", "rtsp://h/x");
  }
  if (auto t = parseRtspTransport(text, &error)) {
    auto again = parseRtspTransport(t->serialize(), &error);
    (void)again;
  }
  (void)parseRtspSession(text, &error);
  if (auto u = parseRtspUrl(text, &error)) {
    (void)resolveControlUrl(u->withoutCredentials(), text.substr(0, 64));
  }
  if (auto s = parseRtspSdpTracks(text, &error)) {
    for (const auto& t : s->tracks) (void)rtspTrackCodecLabel(t);
  }
  return 0;
}
