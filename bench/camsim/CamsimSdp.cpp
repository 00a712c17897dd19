#include "camsim/CamsimSdp.h"

#include <fmt/format.h>

#include "core/Base64.h"
#include "core/Random.h"
#include "media/H264.h"
#include "media/Sdp.h"

namespace sluice::camsim {

std::string buildCamsimSdp(const CamsimClip& clip, std::string_view name, int fps, std::string_view address) {
  media::SessionDescription sdp;
  sdp.origin = fmt::format("- {} 1 IN IP4 {}", core::random32(), address);
  sdp.sessionName = std::string(name);
  sdp.connection = media::SdpConnection{"IN", "IP4", "0.0.0.0"};
  sdp.addAttribute("tool", "sluice-camsim");
  // Session-level "*": the aggregate control URL is the Content-Base itself.
  sdp.addAttribute("control", "*");

  int pt = CamsimClip::kPayloadType;
  media::MediaDescription video;
  video.type = "video";
  video.port = 0;
  video.proto = "RTP/AVP";
  video.formats = {std::to_string(pt)};
  auto base64 = [](const std::vector<uint8_t>& nal) { return core::base64Encode(nal.data(), nal.size()); };
  if (clip.codec() == CamsimCodec::H265) {
    video.addAttribute("rtpmap", fmt::format("{} H265/90000", pt));
    video.addAttribute("fmtp", fmt::format("{} sprop-vps={}; sprop-sps={}; sprop-pps={}", pt,
                                           base64(clip.vps()), base64(clip.sps()), base64(clip.pps())));
  } else {
    video.addAttribute("rtpmap", fmt::format("{} H264/90000", pt));
    video.addAttribute("fmtp", fmt::format("{} packetization-mode=1; profile-level-id={}; "
                                           "sprop-parameter-sets={},{}",
                                           pt, media::profileLevelIdOf(clip.sps()), base64(clip.sps()),
                                           base64(clip.pps())));
  }
  video.addAttribute("framerate", std::to_string(fps));
  video.addAttribute("control", std::string(kTrackControl));
  sdp.media.push_back(std::move(video));
  return media::serializeSdp(sdp);
}

}  // namespace sluice::camsim
