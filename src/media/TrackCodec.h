#pragma once
// What one SDP media section carries, decided once when a source is described: a codec
// Sluice can carry (H.264, H.265, G.711, Opus, MPEG-4 Audio in mpeg4-generic or LATM) with
// everything its shaper, depacketizer or SDP answer needs, or "unsupported" with a reason
// for the one-line log. Independent of which SDP parser produced the fields (the RTSP
// client's RtspSdpTracks or media/Sdp). Control plane: allocation is fine here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "media/H264.h"
#include "media/H265.h"
#include "media/LatmDepacketizer.h"
#include "media/Mpeg4GenericDepacketizer.h"

namespace sluice::media {

struct MediaDescription;

struct H264Codec {
  int packetizationMode = 0;              // 0 or 1 (2, interleaved, is unsupported)
  std::string profileLevelId;             // fmtp profile-level-id as written, may be empty
  std::optional<H264ParameterSets> sets;  // from sprop-parameter-sets, if present and valid
  std::string spropError;                 // why sprop-parameter-sets were not usable, if given
};

struct H265Codec {
  std::optional<H265ParameterSets> sets;  // from sprop-vps/sps/pps, if present and valid
  std::string spropError;
};

struct G711Codec {
  bool muLaw = true;  // PCMU; false: PCMA
};

struct OpusCodec {};

struct Mpeg4AudioCodec {
  bool latm = false;           // MP4A-LATM (RFC 6416); else mpeg4-generic (RFC 3640)
  Mpeg4GenericParams generic;  // when !latm
  LatmConfig latmConfig;       // when latm
  const AacConfig& config() const { return latm ? latmConfig.audio : generic.config; }
};

struct UnsupportedCodec {
  std::string reason;  // e.g. "JPEG", "H265 with DONL (sprop-max-don-diff=2)"
};

using CodecParameters =
    std::variant<UnsupportedCodec, H264Codec, H265Codec, G711Codec, OpusCodec, Mpeg4AudioCodec>;

struct TrackDescription {
  std::string mediaType;  // "video", "audio", "application"...
  int payloadType = -1;
  std::string encodingName;  // as written in the SDP ("H264", "PCMU", "mpeg4-generic")
  uint32_t clockRate = 0;
  uint32_t channels = 0;  // audio: 1 when the SDP does not say; Opus: from sprop-stereo
  CodecParameters codec;

  bool supported() const { return !std::holds_alternative<UnsupportedCodec>(codec); }
  bool isVideo() const {
    return std::holds_alternative<H264Codec>(codec) || std::holds_alternative<H265Codec>(codec);
  }
  // MediaMTX's codec name for the API and logs: "H264", "H265", "G711", "Opus",
  // "MPEG-4 Audio", "M-JPEG", "LPCM", ..., "Generic" for anything it does not know.
  std::string apiName() const;
  // One line for the log: "H265", "G711 (PCMU) 8000 Hz 1 ch", "MPEG-4 Audio (AAC LC 48000 Hz
  // 2 ch)", "unsupported: JPEG".
  std::string describe() const;
};

// From the fields of one media section: its first payload type's rtpmap (or the RFC 3551
// static table for PT 0 and 8) and fmtp.
TrackDescription describeTrack(std::string_view mediaType, int payloadType, std::string_view encodingName,
                               uint32_t clockRate, uint32_t channels, std::string_view fmtp);
// From a media/Sdp media section: its first codec in m= line order.
TrackDescription describeTrack(const MediaDescription& media);

}  // namespace sluice::media
