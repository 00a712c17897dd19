#pragma once
// The few SDP facts an RTSP player needs from a DESCRIBE answer: per media its type, first
// payload type, rtpmap, fmtp and a=control. Deliberately private to the RTSP client (the
// full SDP model lives in media/), tolerant of the sloppy SDP cameras send, and bounded.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::rtsp {

struct RtspSdpTrack {
  std::string mediaType;  // "video", "audio", "application"...
  std::string control;    // a=control value as written (resolve with resolveControlUrl)
  int payloadType = -1;   // the first format of the m= line
  std::string codecName;  // rtpmap encoding name ("H264"), or the static payload type's name
  uint32_t clockRate = 0;
  uint32_t channels = 0;     // 0 when not given
  std::string fmtp;          // the parameters after "a=fmtp:<pt> "
  bool backchannel = false;  // a=sendonly: an ONVIF talk channel the player must not set up
};

struct RtspSdpTracks {
  std::string sessionControl;  // session-level a=control, if any
  std::vector<RtspSdpTrack> tracks;
};

// Media with port 0 or a non-numeric format are left out. Fails when the text has no
// "v=" line, has no usable media, or exceeds 64 media / 1 MiB.
std::optional<RtspSdpTracks> parseRtspSdpTracks(std::string_view sdp, std::string* error = nullptr);

// Human codec name as MediaMTX logs it ("H264", "H265", "Opus", "G711", "MPEG-4 Audio"...).
std::string rtspTrackCodecLabel(const RtspSdpTrack& track);

}  // namespace sluice::rtsp
