// module: media
// Parses arbitrary bytes as SDP (whole descriptions and fragments) and checks that whatever
// is accepted serializes to text that parses again to the same model, and that listing
// codecs and splitting their fmtp never fails.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "media/Sdp.h"

using namespace sluice::media;

namespace {

// Serialization adds the v=/o=/s=/t= lines a description may lack and turns LF into CRLF,
// so text near the bounds may legitimately not parse again.
bool withinBounds(const std::string& text) {
  return text.size() <= kMaxSdpSize &&
         static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) <= kMaxSdpLines;
}

void exerciseModel(const SessionDescription& sdp) {
  size_t total = 0;
  for (const auto& m : sdp.media) {
    for (const auto& codec : m.codecs()) {
      if (codec.payloadType < 0 || codec.payloadType > 127 || codec.name.empty()) std::abort();
      if (!m.codec(codec.payloadType)) std::abort();
      total += parseFmtp(codec.fmtp).size() + codec.rtcpFeedback.size();
    }
    total += m.attributeValues("candidate").size() + (m.attribute("mid") ? 1 : 0);
  }
  volatile size_t sink = total;
  (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto sdp = parseSdp(text, error)) {
    exerciseModel(*sdp);
    std::string out = serializeSdp(*sdp);
    auto again = parseSdp(out, error);
    // Serialization may reorder kept lines into RFC order, so compare text after one round.
    if (!again) {
      if (withinBounds(out)) std::abort();
    } else if (serializeSdp(*again) != out) {
      std::abort();
    }
  } else if (error.empty() || error.size() > 1024) {
    std::abort();
  }
  if (auto fragment = parseSdpFragment(text, error)) {
    exerciseModel(*fragment);
    std::string out = serializeSdpFragment(*fragment);
    auto again = parseSdpFragment(out, error);
    if (!again) {
      if (withinBounds(out)) std::abort();
    } else if (serializeSdpFragment(*again) != out) {
      std::abort();
    }
  }
  return 0;
}
