#include "media/ShapedPacket.h"

namespace sluice::media {

const char* describe(IngestError error) {
  switch (error) {
    case IngestError::None:
      return "ok";
    case IngestError::MalformedRtp:
      return "malformed RTP packet";
    case IngestError::EmptyPayload:
      return "empty RTP payload";
    case IngestError::UnsupportedPacketization:
      return "unsupported packetization (H.264 STAP-B, MTAP, FU-B, NAL type 0/30/31; "
             "H.265 PACI or type > 50)";
    case IngestError::MalformedStapA:
      return "malformed STAP-A (bad NAL unit length)";
    case IngestError::MalformedFuA:
      return "malformed FU-A (no body or bad NAL type)";
    case IngestError::FragmentWithoutStart:
      return "fragment without its start (start lost or never sent): dropped";
    case IngestError::FragmentTypeMismatch:
      return "fragment NAL type differs from its start fragment: NAL unit dropped";
    case IngestError::MalformedAggregation:
      return "malformed aggregation packet (truncated, zero-length or fewer than 2 NAL units)";
    case IngestError::MalformedFragment:
      return "malformed fragmentation unit (no body, start and end together, or bad NAL type)";
    case IngestError::ForbiddenBitSet:
      return "NAL unit header forbidden bit set";
    case IngestError::NonBaseLayer:
      return "H.265 NAL unit with nuh_layer_id != 0 (only the base layer is carried)";
    case IngestError::BadTemporalId:
      return "H.265 NAL unit with nuh_temporal_id_plus1 = 0";
    case IngestError::Oversize:
      return "audio payload larger than the WebRTC payload size (1188 bytes) that its codec does not allow "
             "to cut "
             "(Opus, LATM, or AU-headers that do not describe it): dropped";
    case IngestError::UndeclaredPayloadType:
      return "RTP payload type not declared in the source's SDP for this track: dropped";
  }
  return "unknown ingest error";
}

}  // namespace sluice::media
