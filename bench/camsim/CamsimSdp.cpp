#include "camsim/CamsimSdp.h"

#include <fmt/format.h>

#include "core/Base64.h"
#include "core/Random.h"
#include "media/H264.h"
#include "media/Sdp.h"

namespace sluice::camsim {

std::string buildCamsimSdp(const CamsimClip& clip, const CamsimAudioClip* audio, std::string_view name,
                           int fps, std::string_view address) {
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
    video.addAttribute(
        "fmtp", fmt::format("{} packetization-mode=1; profile-level-id={}; "
                            "sprop-parameter-sets={},{}",
                            pt, media::profileLevelIdOf(clip.sps()), base64(clip.sps()), base64(clip.pps())));
  }
  video.addAttribute("framerate", std::to_string(fps));
  video.addAttribute("control", std::string(kTrackControls[0]));
  sdp.media.push_back(std::move(video));

  if (audio) {
    int apt = audio->payloadType();
    media::MediaDescription sound;
    sound.type = "audio";
    sound.port = 0;
    sound.proto = "RTP/AVP";
    sound.formats = {std::to_string(apt)};
    if (audio->codec() == CamsimAudioCodec::Aac) {
      sound.addAttribute("rtpmap",
                         fmt::format("{} mpeg4-generic/{}/{}", apt, audio->clockRate(), audio->channels()));
      std::string config;
      for (uint8_t b : audio->aacConfig()) config += fmt::format("{:02x}", b);
      sound.addAttribute("fmtp",
                         fmt::format("{} streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; "
                                     "indexlength=3; indexdeltalength=3; config={}",
                                     apt, config));
    } else {
      sound.addAttribute("rtpmap", fmt::format("{} PCMU/8000", apt));
    }
    sound.addAttribute("control", std::string(kTrackControls[1]));
    sdp.media.push_back(std::move(sound));
  }
  return media::serializeSdp(sdp);
}

}  // namespace sluice::camsim
