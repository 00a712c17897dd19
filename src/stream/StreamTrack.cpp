#include "stream/StreamTrack.h"

#include <cstring>

#include "media/RtpPacket.h"
#include "stream/AudioTranscoding.h"

namespace sluice::stream {

StreamTrack::StreamTrack(TrackOwner& owner, size_t index, const media::TrackDescription& format,
                         size_t historyCapacity, size_t maxPayload, uint32_t ssrc)
    : owner_(owner),
      index_(index),
      format_(format),
      maxPayload_(maxPayload),
      ssrc_(ssrc),
      history_(format.isVideo() ? historyCapacity : std::min(kAudioHistoryPackets, historyCapacity),
               std::min<size_t>(format.isVideo() ? 256 : kAudioHistoryPackets, historyCapacity)),
      timeline_(format.clockRate ? format.clockRate : 90000) {
  resetShaper();
  if (AudioTranscoding::needed(format_) && index_ < kTranscodedBase)
    transcoding_ = std::make_unique<AudioTranscoding>(owner_, kTranscodedBase + index_, format_,
                                                      historyCapacity, maxPayload_);
}

StreamTrack::~StreamTrack() = default;

bool StreamTrack::onSenderReport(uint64_t ntp, uint32_t rtpTimestamp) {
  const bool consistent = senderClock_.onSenderReport(ntp, rtpTimestamp, clockRate());
  if (transcoding_) transcoding_->onSenderReport(ntp, rtpTimestamp);
  return consistent;
}

void StreamTrack::resetShaper() {
  if (const auto* h264 = std::get_if<media::H264Codec>(&format_.codec)) {
    media::H264RtpIngest ingest(maxPayload_);
    if (h264->sets) {
      ingest.setParameterSets(h264->sets->sps.data(), h264->sets->sps.size(), h264->sets->pps.data(),
                              h264->sets->pps.size());
    }
    shaper_ = std::move(ingest);
  } else if (const auto* h265 = std::get_if<media::H265Codec>(&format_.codec)) {
    media::H265RtpIngest ingest(maxPayload_);
    if (h265->sets) ingest.setParameterSets(h265->sets->vps, h265->sets->sps, h265->sets->pps);
    shaper_ = std::move(ingest);
  } else if (format_.supported()) {
    shaper_ = media::AudioRtpPassThrough(format_, maxPayload_);
  } else {
    shaper_ = std::monostate{};
  }
}

void StreamTrack::beginSegment(const media::TrackDescription& format, bool resumed) {
  format_ = format;
  resetShaper();
  history_.clear();
  timeline_.beginSegment();
  senderClock_.reset();
  awaitingKeyframe_ = resumed && format_.isVideo();
  if (transcoding_) transcoding_->beginSegment(format_);
}

void StreamTrack::endSegment() {
  history_.clear();
  awaitingKeyframe_ = false;
  if (transcoding_) transcoding_->endSegment();
}

media::IngestError StreamTrack::ingest(const uint8_t* data, size_t size, int64_t arrivalUs,
                                       CaptureClock& clock) {
  ++stats_.packetsIn;
  stats_.bytesIn += size;
  if (format_.payloadType >= 0 && size >= 12 && media::readPayloadType(data) != format_.payloadType) {
    ++stats_.undeclaredPayloadType;
    ++stats_.ingestErrors;
    return media::IngestError::UndeclaredPayloadType;
  }
  clock_ = &clock;
  arrivalUs_ = arrivalUs;
  media::IngestError err = std::visit(
      [&](auto& shaper) -> media::IngestError {
        if constexpr (std::is_same_v<std::decay_t<decltype(shaper)>, std::monostate>) {
          return media::IngestError::None;
        } else {
          return shaper.push(data, size, *this);
        }
      },
      shaper_);
  clock_ = nullptr;
  if (err != media::IngestError::None) {
    ++stats_.ingestErrors;
    return err;
  }
  if (transcoding_) transcoding_->ingest(data, size, arrivalUs, clock);
  return err;
}

void StreamTrack::append(const media::ShapedPacket& packet, int64_t arrivalUs, CaptureClock& clock) {
  madeHere_ = true;
  ++stats_.packetsIn;
  stats_.bytesIn += packet.size;
  clock_ = &clock;
  arrivalUs_ = arrivalUs;
  onShapedPacket(packet);
  clock_ = nullptr;
}

void StreamTrack::onShapedPacket(const media::ShapedPacket& in) {
  if (in.size > kMaxRtpPayload) return;  // the shapers guarantee this; never overrun the room reserved
  if (awaitingKeyframe_) {
    // A resumed segment starts at its first keyframe: what comes before cannot be decoded by
    // the readers, and dropping it here (not skipping indexes) keeps their sequence gap-free.
    if (!in.keyframeStart) {
      ++stats_.packetsBeforeKeyframe;
      return;
    }
    awaitingKeyframe_ = false;
  } else if (in.lostBefore) {
    // Leave the gap in the sequence so receivers see the loss instead of decoding garbage.
    history_.skip(in.lostBefore);
    stats_.packetsLost += in.lostBefore;
  }
  const int64_t captureUs =
      senderClock_.valid()
          ? clock_->toLocal(senderClock_.captureUs(in.timestamp, clockRate()), arrivalUs_, !madeHere_)
          : arrivalUs_;
  HistoryPacket& p = history_.beginAppend();
  media::RtpHeader h;
  h.marker = in.marker;
  h.payloadType = static_cast<uint8_t>(format_.payloadType >= 0 ? format_.payloadType : 96);
  h.sequence = static_cast<uint16_t>(history_.head());
  h.timestamp = timeline_.map(in.timestamp, captureUs);
  h.ssrc = ssrc_;
  size_t hs = media::writeRtpHeader(p.data, h);
  std::memcpy(p.data + hs, in.payload, in.size);
  p.size = static_cast<uint16_t>(hs + in.size);
  p.timestamp = h.timestamp;
  p.marker = in.marker;
  p.keyframeStart = in.keyframeStart;
  p.arrivalUs = arrivalUs_;
  p.captureUs = captureUs;
  history_.commit();
  ++stats_.packetsStored;
  owner_.onTrackPacket(*this, p);
}

void StreamTrack::appendMirrored(const HistoryPacket& in, uint64_t lostBefore) {
  if (in.size > kMaxRtpPacket) return;
  ++stats_.packetsIn;
  stats_.bytesIn += in.size;
  if (lostBefore) {
    history_.skip(lostBefore);
    stats_.packetsLost += lostBefore;
  }
  HistoryPacket& p = history_.beginAppend();
  std::memcpy(p.data, in.data, in.size);
  p.size = in.size;
  p.timestamp = in.timestamp;
  p.marker = in.marker;
  p.keyframeStart = in.keyframeStart;
  p.arrivalUs = in.arrivalUs;
  p.captureUs = in.captureUs;
  timeline_.observe(in.timestamp, in.captureUs);
  history_.commit();
  ++stats_.packetsStored;
  owner_.onTrackPacket(*this, p);
}

uint64_t StreamTrack::startIndex(int64_t sinceUs) const {
  if (video()) return history_.lastKeyframe();
  // Audio: the oldest packet captured at or after the video keyframe (binary search would do;
  // a join is control-plane work over at most kAudioHistoryPackets packets).
  for (uint64_t i = history_.tail(); i < history_.head(); ++i) {
    const HistoryPacket* p = history_.at(i);
    if (p && p->captureUs >= sinceUs) return i;
  }
  return UINT64_MAX;
}

}  // namespace sluice::stream
