#include "media/AudioRtpPassThrough.h"

#include "media/RtpPacket.h"

namespace sluice::media {

IngestError AudioRtpPassThrough::push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink) {
  ++packetsIn_;
  RtpHeader header;
  const uint8_t* payload;
  size_t payloadSize;
  if (parseRtp(rtp, size, header, payload, payloadSize) != RtpError::None) {
    ++malformed_;
    return IngestError::MalformedRtp;
  }
  if (payloadSize == 0) return IngestError::EmptyPayload;
  if (payloadSize > maxPayload_) {
    ++oversize_;
    return IngestError::Oversize;
  }
  if (sequence_.track(header.sequence) == RtpSequenceTracker::Order::LateOrDuplicate) {
    ++late_;
    return IngestError::None;
  }
  ShapedPacket out{payload, payloadSize, header.timestamp, header.marker, false, sequence_.takePendingLost()};
  ++packetsOut_;
  sink.onShapedPacket(out);
  return IngestError::None;
}

}  // namespace sluice::media
