#include "media/NalRtpIngest.h"

#include <algorithm>
#include <cstring>

#include "media/H264RtpIngest.h"
#include "media/H265RtpIngest.h"
#include "media/RtpPacket.h"

namespace sluice::media {

namespace {

constexpr size_t kAggregationLengthSize = 2;  // before every NAL unit of a STAP-A / AP
// The S and E bits sit at the same place in the FU-A (RFC 6184) and FU (RFC 7798) headers.
constexpr uint8_t kFuStart = 0x80;
constexpr uint8_t kFuEnd = 0x40;

template <class Format>
bool isAbsorbed(uint8_t type) {
  return Format::isParameterSet(type) || Format::isAud(type);
}

}  // namespace

template <NalPayloadFormat Format>
NalRtpIngest<Format>::NalRtpIngest(size_t maxPayload)
    : fragmenter_(Format::kCodec, maxPayload),
      scratch_(fragmenter_.maxPayload()),
      held_(fragmenter_.maxPayload()) {}

template <NalPayloadFormat Format>
bool NalRtpIngest<Format>::storeParameterSets(const ParameterSets& sets) {
  for (size_t i = 0; i < sets.size(); ++i) {
    if (sets[i].size() > kMaxParameterSetSize) {
      ++oversizeParameterSets_;
      return false;
    }
    if (!Format::acceptsSdpParameterSet(i, sets[i])) return false;
  }
  for (size_t i = 0; i < sets.size(); ++i) {
    if (!sets[i].empty()) std::memcpy(sets_[i].data(), sets[i].data(), sets[i].size());
    sizes_[i] = sets[i].size();
  }
  return true;
}

template <NalPayloadFormat Format>
bool NalRtpIngest<Format>::hasParameterSets() const {
  return std::all_of(sizes_.begin(), sizes_.end(), [](size_t s) { return s > 0; });
}

template <NalPayloadFormat Format>
IngestError NalRtpIngest<Format>::push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink) {
  ++packetsIn_;
  RtpHeader header;
  const uint8_t* payload;
  size_t payloadSize;
  if (parseRtp(rtp, size, header, payload, payloadSize) != RtpError::None) {
    ++malformed_;
    return IngestError::MalformedRtp;
  }
  sink_ = &sink;
  // A held NAL unit waits for the next packet of its access unit only: anything else sends it
  // first, before this packet's gap (if any) is counted.
  if (heldCount_ > 0 && (header.timestamp != timestamp_ || !sequence_.isNext(header.sequence))) {
    flushHeld(false);
  }
  RtpSequenceTracker::Order order = sequence_.track(header.sequence);
  bool isFragment = payloadSize >= Format::kNalHeaderSize && Format::nalType(payload) == Format::kFragment;
  if (order == RtpSequenceTracker::Order::LateOrDuplicate && isFragment) {
    ++lateFragments_;  // already given up as lost, or already carried: splicing it would corrupt
    sink_ = nullptr;
    return IngestError::None;
  }
  // A fragmented NAL unit continues only with the next sequence number in the same access unit.
  if (order != RtpSequenceTracker::Order::InOrder || header.timestamp != timestamp_ ||
      (haveAccessUnit_ && accessUnitEnded_) || !isFragment)
    interruptFragmentedNal();
  trackAccessUnit(header.timestamp, header.marker);
  IngestError error = dispatch(payload, payloadSize, header.marker);
  if (heldCount_ > 0 && header.marker) flushHeld(false);  // the access unit ended
  sink_ = nullptr;
  if (error == IngestError::UnsupportedPacketization) {
    ++unsupported_;
  } else if (error == IngestError::FragmentWithoutStart) {
    ++orphanFragments_;
  } else if (error != IngestError::None) {
    ++malformed_;
  }
  return error;
}

template <NalPayloadFormat Format>
void NalRtpIngest<Format>::trackAccessUnit(uint32_t timestamp, bool marker) {
  if (!haveAccessUnit_ || accessUnitEnded_ || timestamp != timestamp_) {
    haveAccessUnit_ = true;
    timestamp_ = timestamp;
    keyframeSeenInAccessUnit_ = false;
  }
  accessUnitEnded_ = marker;
}

template <NalPayloadFormat Format>
void NalRtpIngest<Format>::interruptFragmentedNal() {
  if (!fragmenter_.active()) return;
  fragmenter_.abandon();
  ++truncatedNals_;
}

template <NalPayloadFormat Format>
IngestError NalRtpIngest<Format>::dispatch(const uint8_t* payload, size_t size, bool marker) {
  if (size < Format::kNalHeaderSize) return IngestError::EmptyPayload;
  if (IngestError e = Format::checkHeader(payload); e != IngestError::None) return e;
  uint8_t type = Format::nalType(payload);
  if (type == Format::kAggregation) return handleAggregation(payload, size, marker);
  if (type == Format::kFragment) return handleFragment(payload, size, marker);
  if (!Format::isSingleNal(type)) return IngestError::UnsupportedPacketization;
  if (Format::isParameterSet(type)) {
    absorbParameterSet(payload, size);
    return IngestError::None;
  }
  if (Format::isAud(type)) return IngestError::None;
  if (Format::isKeyframe(type)) beforeKeyframe();
  if (!marker && Format::isPrefixSei(type) && hold(payload, size)) return IngestError::None;
  // A small last slice of a frame takes the held SEI along.
  if (heldCount_ > 0 && !Format::isKeyframe(type) && hold(payload, size)) {
    flushHeld(marker);
    return IngestError::None;
  }
  emitNal(payload, size, marker, false);
  return IngestError::None;
}

// STAP-A (H.264) or AP (H.265): a payload header, then [16-bit length][NAL unit] repeated.
template <NalPayloadFormat Format>
IngestError NalRtpIngest<Format>::handleAggregation(const uint8_t* payload, size_t size, bool marker) {
  constexpr size_t kHeaderSize = Format::kNalHeaderSize;
  // Pass 1: validate every unit before acting on any, and plan the output.
  size_t count = 0, kept = 0, keptSize = kHeaderSize;
  bool removed = false, hasKeyframe = false;
  typename Format::AggregationHeader keptHeader;
  for (size_t offset = kHeaderSize; offset < size;) {
    if (offset + kAggregationLengthSize > size) return Format::kMalformedAggregation;
    size_t n = readBe16(payload + offset);
    if (n < kHeaderSize || offset + kAggregationLengthSize + n > size) return Format::kMalformedAggregation;
    const uint8_t* nal = payload + offset + kAggregationLengthSize;
    if (IngestError e = Format::checkAggregated(nal); e != IngestError::None) return e;
    uint8_t type = Format::nalType(nal);
    if (isAbsorbed<Format>(type)) {
      removed = true;
    } else {
      ++kept;
      keptSize += kAggregationLengthSize + n;
      keptHeader.add(nal);
      if (Format::isKeyframe(type)) hasKeyframe = true;
    }
    offset += kAggregationLengthSize + n;
    ++count;
  }
  if (count == 0) return Format::kMalformedAggregation;

  // Pass 2: absorb parameter sets first so a keyframe in the same packet is prefixed by them.
  if (removed) {
    for (size_t offset = kHeaderSize; offset < size;) {
      size_t n = readBe16(payload + offset);
      const uint8_t* nal = payload + offset + kAggregationLengthSize;
      if (Format::isParameterSet(Format::nalType(nal))) absorbParameterSet(nal, n);
      offset += kAggregationLengthSize + n;
    }
  }
  if (hasKeyframe) beforeKeyframe();
  if (kept == 0) return IngestError::None;
  if (!removed && size <= maxPayload()) {
    emit(payload, size, marker, false);
    return IngestError::None;
  }
  if (kept >= 2 && keptSize <= maxPayload()) {
    uint8_t* out = scratch_.data();
    keptHeader.write(out);
    size_t w = kHeaderSize;
    for (size_t offset = kHeaderSize; offset < size;) {
      size_t n = readBe16(payload + offset);
      if (!isAbsorbed<Format>(Format::nalType(payload + offset + kAggregationLengthSize))) {
        std::memcpy(out + w, payload + offset, kAggregationLengthSize + n);
        w += kAggregationLengthSize + n;
      }
      offset += kAggregationLengthSize + n;
    }
    emit(out, w, marker, false);
    return IngestError::None;
  }
  size_t index = 0;
  for (size_t offset = kHeaderSize; offset < size;) {
    size_t n = readBe16(payload + offset);
    const uint8_t* nal = payload + offset + kAggregationLengthSize;
    if (!isAbsorbed<Format>(Format::nalType(nal))) {
      ++index;
      emitNal(nal, n, marker && index == kept, false);
    }
    offset += kAggregationLengthSize + n;
  }
  return IngestError::None;
}

// FU-A (H.264) or FU (H.265). Every one goes through the fragmenter, so the camera's fragment
// size does not matter: the NAL unit leaves in full payloads, the remainder of each fragment
// carried to the next.
template <NalPayloadFormat Format>
IngestError NalRtpIngest<Format>::handleFragment(const uint8_t* payload, size_t size, bool marker) {
  if (size < Format::kFuHeaderSize + 1) return Format::kMalformedFragment;
  uint8_t fuHeader = payload[Format::kFuHeaderSize - 1];
  uint8_t type = Format::fuNalType(fuHeader);
  bool start = (fuHeader & kFuStart) != 0, end = (fuHeader & kFuEnd) != 0;
  if (!Format::validFragment(type, start, end)) return Format::kMalformedFragment;
  if (start) {
    interruptFragmentedNal();  // a new start while one was open: the open one lost its end
    if (Format::isKeyframe(type)) beforeKeyframe();
    uint8_t nalHeader[Format::kNalHeaderSize];
    Format::restoreNalHeader(payload, type, nalHeader);
    fragmenter_.begin(nalHeader);
  } else if (!fragmenter_.active()) {
    return IngestError::FragmentWithoutStart;
  } else if (fragmenter_.nalType() != type) {
    interruptFragmentedNal();
    return IngestError::FragmentTypeMismatch;
  }
  auto out = [&](const uint8_t* p, size_t n, bool last) { emit(p, n, marker && last, false); };
  fragmenter_.append(payload + Format::kFuHeaderSize, size - Format::kFuHeaderSize, out);
  if (end) {
    fragmenter_.end(out);
  } else if (marker) {
    fragmenter_.flush(out);  // keep the marker where the camera put it
  }
  return IngestError::None;
}

template <NalPayloadFormat Format>
void NalRtpIngest<Format>::absorbParameterSet(const uint8_t* nal, size_t size) {
  size_t slot = Format::parameterSetSlot(Format::nalType(nal));
  if (size > kMaxParameterSetSize) {
    ++oversizeParameterSets_;
    return;
  }
  auto& stored = sets_[slot];
  size_t& storedSize = sizes_[slot];
  if (size == storedSize && std::memcmp(stored.data(), nal, size) == 0) return;
  if (storedSize > 0) ++parameterSetChanges_;
  std::memcpy(stored.data(), nal, size);
  storedSize = size;
}

// Called before the first keyframe packet of an access unit is emitted: one aggregation
// packet of all parameter sets, or each on its own when that would not fit.
template <NalPayloadFormat Format>
void NalRtpIngest<Format>::beforeKeyframe() {
  if (keyframeSeenInAccessUnit_) return;
  keyframeSeenInAccessUnit_ = true;
  ++keyframes_;
  if (!hasParameterSets()) {
    ++keyframesWithoutParameterSets_;
    return;
  }
  size_t aggregationSize = Format::kNalHeaderSize;
  for (size_t s : sizes_) aggregationSize += kAggregationLengthSize + s;
  if (aggregationSize > maxPayload()) {
    for (size_t i = 0; i < sets_.size(); ++i) emitNal(sets_[i].data(), sizes_[i], false, i == 0);
    return;
  }
  // The held SEI goes after the parameter sets it may refer to, in the same payload if it fits.
  const bool withHeld = heldCount_ > 0 && aggregationSize + heldBytes_ <= maxPayload();
  if (!withHeld) flushHeld(false);
  const size_t w = writeAggregate(true);
  heldCount_ = heldBytes_ = 0;
  emit(scratch_.data(), w, false, true);
}

template <NalPayloadFormat Format>
size_t NalRtpIngest<Format>::writeAggregate(bool withParameterSets) {
  typename Format::AggregationHeader header;
  if (withParameterSets) {
    for (const auto& set : sets_) header.add(set.data());
  }
  for (size_t offset = 0; offset < heldBytes_;) {
    header.add(held_.data() + offset + kAggregationLengthSize);
    offset += kAggregationLengthSize + readBe16(held_.data() + offset);
  }
  uint8_t* out = scratch_.data();
  header.write(out);
  size_t w = Format::kNalHeaderSize;
  if (withParameterSets) {
    for (size_t i = 0; i < sets_.size(); ++i) {
      writeBe16(out + w, static_cast<uint16_t>(sizes_[i]));
      std::memcpy(out + w + kAggregationLengthSize, sets_[i].data(), sizes_[i]);
      w += kAggregationLengthSize + sizes_[i];
    }
  }
  std::memcpy(out + w, held_.data(), heldBytes_);
  return w + heldBytes_;
}

// Holds a NAL unit if it fits (with the ones held already) in one aggregation packet.
template <NalPayloadFormat Format>
bool NalRtpIngest<Format>::hold(const uint8_t* nal, size_t size) {
  if (Format::kNalHeaderSize + heldBytes_ + kAggregationLengthSize + size > maxPayload()) return false;
  writeBe16(held_.data() + heldBytes_, static_cast<uint16_t>(size));
  std::memcpy(held_.data() + heldBytes_ + kAggregationLengthSize, nal, size);
  heldBytes_ += kAggregationLengthSize + size;
  ++heldCount_;
  return true;
}

// Sends the held NAL units: one alone as it came, several in one aggregation packet.
template <NalPayloadFormat Format>
void NalRtpIngest<Format>::flushHeld(bool marker) {
  if (heldCount_ == 0) return;
  const size_t count = heldCount_;
  heldCount_ = 0;  // before emit(), which flushes whatever is held
  if (count == 1) {
    emit(held_.data() + kAggregationLengthSize, heldBytes_ - kAggregationLengthSize, marker, false);
  } else {
    const size_t w = writeAggregate(false);
    emit(scratch_.data(), w, marker, false);
  }
  heldBytes_ = 0;
}

template <NalPayloadFormat Format>
void NalRtpIngest<Format>::emitNal(const uint8_t* nal, size_t size, bool marker, bool keyframeStart) {
  if (size <= maxPayload()) {
    emit(nal, size, marker, keyframeStart);
    return;
  }
  bool first = true;
  auto out = [&](const uint8_t* p, size_t n, bool last) {
    emit(p, n, marker && last, keyframeStart && first);
    first = false;
  };
  fragmenter_.begin(nal);
  fragmenter_.append(nal + Format::kNalHeaderSize, size - Format::kNalHeaderSize, out);
  fragmenter_.end(out);
}

template <NalPayloadFormat Format>
void NalRtpIngest<Format>::emit(const uint8_t* payload, size_t size, bool marker, bool keyframeStart) {
  flushHeld(false);  // what was held came first
  ShapedPacket packet{payload, size, timestamp_, marker, keyframeStart, sequence_.takePendingLost()};
  ++packetsOut_;
  sink_->onShapedPacket(packet);
}

template class NalRtpIngest<H264PayloadFormat>;
template class NalRtpIngest<H265PayloadFormat>;

}  // namespace sluice::media
