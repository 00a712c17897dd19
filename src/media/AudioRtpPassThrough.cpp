#include "media/AudioRtpPassThrough.h"

#include <algorithm>
#include <variant>

namespace sluice::media {

AudioRtpPassThrough::AudioRtpPassThrough(const TrackDescription& track, size_t maxPayload)
    : maxPayload_(maxPayload) {
  if (std::holds_alternative<G711Codec>(track.codec)) {
    sampleBytes_ = std::max<uint32_t>(track.channels, 1);
  } else if (const auto* aac = std::get_if<Mpeg4AudioCodec>(&track.codec);
             aac && !aac->latm && Mpeg4GenericSplitter::supports(aac->generic)) {
    aac_.emplace(aac->generic, aac->config().timestampIncrement(track.clockRate ? track.clockRate : 90000),
                 maxPayload);
  }
}

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
  if (payloadSize > maxPayload_ && sampleBytes_ == 0 && !aac_) {
    ++oversize_;
    return IngestError::Oversize;  // before the sequence is counted: the next packet shows the gap
  }
  if (sequence_.track(header.sequence) == RtpSequenceTracker::Order::LateOrDuplicate) {
    ++late_;
    return IngestError::None;
  }
  const uint16_t lost = static_cast<uint16_t>(
      std::min<uint32_t>(uint32_t{sequence_.takePendingLost()} + droppedSinceLastOut_, 0xffff));
  if (payloadSize > maxPayload_) {
    if (!cut(payload, payloadSize, header, lost, sink)) {
      ++oversize_;
      droppedSinceLastOut_ = lost == 0xffff ? lost : static_cast<uint16_t>(lost + 1);
      return IngestError::Oversize;
    }
  } else {
    sink.onShapedPacket({payload, payloadSize, header.timestamp, header.marker, false, lost});
  }
  droppedSinceLastOut_ = 0;
  ++packetsOut_;
  return IngestError::None;
}

bool AudioRtpPassThrough::cut(const uint8_t* payload, size_t size, const RtpHeader& header,
                              uint16_t lostBefore, ShapedPacketSink& sink) {
  if (aac_) {
    if (!aac_->split(payload, size, header.timestamp, header.marker, lostBefore, sink)) return false;
  } else {
    // G.711: one byte per sample and channel; the marker (a talkspurt's start) on the first part.
    const size_t chunk = maxPayload_ / sampleBytes_ * sampleBytes_;
    if (chunk == 0 || size % sampleBytes_ != 0) return false;
    for (size_t off = 0; off < size; off += chunk) {
      const size_t n = std::min(chunk, size - off);
      const auto ts = header.timestamp + static_cast<uint32_t>(off / sampleBytes_);
      sink.onShapedPacket(
          {payload + off, n, ts, header.marker && off == 0, false, off == 0 ? lostBefore : uint16_t{0}});
    }
  }
  ++cut_;
  return true;
}

}  // namespace sluice::media
