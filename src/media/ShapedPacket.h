#pragma once
// What a per-stream shaper (H264RtpIngest, H265RtpIngest, AudioRtpPassThrough) hands to its owner: one
// WebRTC-ready RTP payload at a time, plus the shapers' common error vocabulary, so a
// stream can own either shaper behind the same sink.
#include <cstddef>
#include <cstdint>

namespace sluice::media {

struct ShapedPacket {
  const uint8_t* payload;  // valid only during the sink call
  size_t size;
  uint32_t timestamp;   // the source packet's RTP timestamp
  bool marker;          // only on the last packet emitted for a source marker packet
  bool keyframeStart;   // the parameter-set packet that opens a keyframe (IDR / IRAP) access unit
  uint16_t lostBefore;  // source sequence numbers skipped before this packet (see push())
};

class ShapedPacketSink {
 public:
  virtual ~ShapedPacketSink() = default;
  virtual void onShapedPacket(const ShapedPacket& packet) = 0;
};

enum class IngestError {
  None,
  MalformedRtp,
  EmptyPayload,
  UnsupportedPacketization,  // H.264: STAP-B, MTAP16/24, FU-B, NAL types 0/30/31; H.265: PACI, types 51..63
  MalformedStapA,
  MalformedFuA,
  FragmentWithoutStart,   // a continuation fragment whose NAL unit start was lost or never sent
  FragmentTypeMismatch,   // a continuation fragment of another NAL type than its start
  MalformedAggregation,   // H.265 AP: truncated, zero-length or a single NAL unit
  MalformedFragment,      // H.265 FU: no body, start and end together, or an aggregation type
  ForbiddenBitSet,        // forbidden_zero_bit of a NAL unit header is 1
  NonBaseLayer,           // H.265 nuh_layer_id != 0 (scalable/multiview: browsers decode layer 0 only)
  BadTemporalId,          // H.265 nuh_temporal_id_plus1 == 0
  Oversize,               // audio payload larger than the WebRTC payload size that cannot be cut: dropped
  UndeclaredPayloadType,  // a payload type the source's SDP did not declare for the track
};
const char* describe(IngestError error);

}  // namespace sluice::media
