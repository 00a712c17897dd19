#include "media/H265RtpIngest.h"

#include <algorithm>
#include <cstring>

#include "media/H265.h"
#include "media/RtpPacket.h"

namespace sluice::media {

namespace {

constexpr size_t kFuHeaderSize = 3;  // payload header + FU header
constexpr size_t kApLengthSize = 2;

bool isAbsorbed(uint8_t type) { return h265::isParameterSet(type) || type == h265::kAud; }

// A NAL unit header this shaper can forward: forbidden bit clear, base layer, TID >= 1.
IngestError checkHeader(const uint8_t* header) {
  if (h265::forbiddenBit(header)) return IngestError::ForbiddenBitSet;
  if (h265::layerId(header) != 0) return IngestError::NonBaseLayer;
  if (h265::temporalIdPlus1(header) == 0) return IngestError::BadTemporalId;
  return IngestError::None;
}

// AP payload header (RFC 7798 §4.4.2): F is the OR of the units' F bits (all 0 here), type 48,
// the lowest LayerId (0) and the lowest TID of the aggregated units.
void writeApHeader(uint8_t* out, uint8_t lowestTidPlus1) {
  out[0] = static_cast<uint8_t>(h265::kAp << 1);
  out[1] = lowestTidPlus1;
}

}  // namespace

H265RtpIngest::H265RtpIngest(size_t maxPayload)
    : fragmenter_(NalCodec::H265, maxPayload), scratch_(fragmenter_.maxPayload()) {}

bool H265RtpIngest::setParameterSets(std::span<const uint8_t> vps, std::span<const uint8_t> sps,
                                     std::span<const uint8_t> pps) {
  const std::span<const uint8_t> in[3] = {vps, sps, pps};
  for (size_t i = 0; i < 3; ++i) {
    if (in[i].size() > kMaxParameterSetSize) {
      ++oversizeParameterSets_;
      return false;
    }
    if (in[i].size() < h265::kNalHeaderSize || h265::nalType(in[i].data()) != h265::kVps + i ||
        checkHeader(in[i].data()) != IngestError::None)
      return false;
  }
  for (size_t i = 0; i < 3; ++i) {
    if (!in[i].empty()) std::memcpy(sets_[i].data(), in[i].data(), in[i].size());
    sizes_[i] = in[i].size();
  }
  return true;
}

IngestError H265RtpIngest::push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink) {
  ++packetsIn_;
  RtpHeader header;
  const uint8_t* payload;
  size_t payloadSize;
  if (parseRtp(rtp, size, header, payload, payloadSize) != RtpError::None) {
    ++malformed_;
    return IngestError::MalformedRtp;
  }
  RtpSequenceTracker::Order order = sequence_.track(header.sequence);
  bool isFragment = payloadSize >= h265::kNalHeaderSize && h265::nalType(payload) == h265::kFu;
  if (order == RtpSequenceTracker::Order::LateOrDuplicate && isFragment) {
    ++lateFragments_;  // already given up as lost, or already carried: splicing it would corrupt
    return IngestError::None;
  }
  // A fragmented NAL unit continues only with the next sequence number in the same access unit.
  if (order != RtpSequenceTracker::Order::InOrder || header.timestamp != timestamp_ ||
      (haveAccessUnit_ && accessUnitEnded_) || !isFragment)
    interruptFragmentedNal();
  trackAccessUnit(header.timestamp, header.marker);
  sink_ = &sink;
  IngestError error = dispatch(payload, payloadSize, header.marker);
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

void H265RtpIngest::trackAccessUnit(uint32_t timestamp, bool marker) {
  if (!haveAccessUnit_ || accessUnitEnded_ || timestamp != timestamp_) {
    haveAccessUnit_ = true;
    timestamp_ = timestamp;
    irapSeenInAccessUnit_ = false;
  }
  accessUnitEnded_ = marker;
}

void H265RtpIngest::interruptFragmentedNal() {
  if (!fragmenter_.active()) return;
  fragmenter_.abandon();
  ++truncatedNals_;
}

IngestError H265RtpIngest::dispatch(const uint8_t* payload, size_t size, bool marker) {
  if (size < h265::kNalHeaderSize) return IngestError::EmptyPayload;
  if (IngestError e = checkHeader(payload); e != IngestError::None) return e;
  uint8_t type = h265::nalType(payload);
  if (type == h265::kAp) return handleAp(payload, size, marker);
  if (type == h265::kFu) return handleFu(payload, size, marker);
  if (!h265::isSingleNal(type)) return IngestError::UnsupportedPacketization;  // PACI, 51..63
  if (h265::isParameterSet(type)) {
    absorbParameterSet(payload, size);
    return IngestError::None;
  }
  if (type == h265::kAud) return IngestError::None;
  if (h265::isIrap(type)) beforeIrap();
  emitNal(payload, size, marker, false);
  return IngestError::None;
}

IngestError H265RtpIngest::handleAp(const uint8_t* payload, size_t size, bool marker) {
  // Pass 1: validate every unit before acting on any, and plan the output.
  size_t count = 0, kept = 0, keptApSize = h265::kNalHeaderSize;
  bool removed = false, hasIrap = false;
  uint8_t lowestTid = 7;
  for (size_t offset = h265::kNalHeaderSize; offset < size;) {
    if (offset + kApLengthSize > size) return IngestError::MalformedAggregation;
    size_t n = readBe16(payload + offset);
    if (n < h265::kNalHeaderSize || offset + kApLengthSize + n > size)
      return IngestError::MalformedAggregation;
    const uint8_t* nal = payload + offset + kApLengthSize;
    if (IngestError e = checkHeader(nal); e != IngestError::None) return e;
    uint8_t type = h265::nalType(nal);
    if (!h265::isSingleNal(type)) return IngestError::MalformedAggregation;
    if (isAbsorbed(type)) {
      removed = true;
    } else {
      ++kept;
      keptApSize += kApLengthSize + n;
      lowestTid = std::min(lowestTid, h265::temporalIdPlus1(nal));
      if (h265::isIrap(type)) hasIrap = true;
    }
    offset += kApLengthSize + n;
    ++count;
  }
  if (count == 0) return IngestError::MalformedAggregation;

  // Pass 2: absorb parameter sets first so an IRAP in the same packet is prefixed by them.
  if (removed) {
    for (size_t offset = h265::kNalHeaderSize; offset < size;) {
      size_t n = readBe16(payload + offset);
      const uint8_t* nal = payload + offset + kApLengthSize;
      if (h265::isParameterSet(h265::nalType(nal))) absorbParameterSet(nal, n);
      offset += kApLengthSize + n;
    }
  }
  if (hasIrap) beforeIrap();
  if (kept == 0) return IngestError::None;
  if (!removed && size <= maxPayload()) {
    emit(payload, size, marker, false);
    return IngestError::None;
  }
  if (kept >= 2 && keptApSize <= maxPayload()) {
    uint8_t* out = scratch_.data();
    writeApHeader(out, lowestTid);
    size_t w = h265::kNalHeaderSize;
    for (size_t offset = h265::kNalHeaderSize; offset < size;) {
      size_t n = readBe16(payload + offset);
      if (!isAbsorbed(h265::nalType(payload + offset + kApLengthSize))) {
        std::memcpy(out + w, payload + offset, kApLengthSize + n);
        w += kApLengthSize + n;
      }
      offset += kApLengthSize + n;
    }
    emit(out, w, marker, false);
    return IngestError::None;
  }
  size_t index = 0;
  for (size_t offset = h265::kNalHeaderSize; offset < size;) {
    size_t n = readBe16(payload + offset);
    const uint8_t* nal = payload + offset + kApLengthSize;
    if (!isAbsorbed(h265::nalType(nal))) {
      ++index;
      emitNal(nal, n, marker && index == kept, false);
    }
    offset += kApLengthSize + n;
  }
  return IngestError::None;
}

// Every FU goes through the fragmenter, so the camera's fragment size does not matter.
IngestError H265RtpIngest::handleFu(const uint8_t* payload, size_t size, bool marker) {
  if (size < kFuHeaderSize + 1) return IngestError::MalformedFragment;
  uint8_t fuHeader = payload[2];
  uint8_t type = fuHeader & 0x3f;
  bool start = (fuHeader & h265::kFuStart) != 0, end = (fuHeader & h265::kFuEnd) != 0;
  if (!h265::isSingleNal(type) || (start && end)) return IngestError::MalformedFragment;
  if (start) {
    interruptFragmentedNal();  // a new start while one was open: the open one lost its end
    if (h265::isIrap(type)) beforeIrap();
    const uint8_t nalHeader[2] = {static_cast<uint8_t>((payload[0] & 0x81) | (type << 1)), payload[1]};
    fragmenter_.begin(nalHeader);
  } else if (!fragmenter_.active()) {
    return IngestError::FragmentWithoutStart;
  } else if (fragmenter_.nalType() != type) {
    interruptFragmentedNal();
    return IngestError::FragmentTypeMismatch;
  }
  auto out = [&](const uint8_t* p, size_t n, bool last) { emit(p, n, marker && last, false); };
  fragmenter_.append(payload + kFuHeaderSize, size - kFuHeaderSize, out);
  if (end) {
    fragmenter_.end(out);
  } else if (marker) {
    fragmenter_.flush(out);  // keep the marker where the camera put it
  }
  return IngestError::None;
}

void H265RtpIngest::absorbParameterSet(const uint8_t* nal, size_t size) {
  size_t slot = h265::nalType(nal) - h265::kVps;
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

// Called before the first IRAP packet of an access unit is emitted.
void H265RtpIngest::beforeIrap() {
  if (irapSeenInAccessUnit_) return;
  irapSeenInAccessUnit_ = true;
  ++keyframes_;
  if (!hasParameterSets()) {
    ++irapWithoutParameterSets_;
    return;
  }
  size_t apSize = h265::kNalHeaderSize;
  for (size_t s : sizes_) apSize += kApLengthSize + s;
  if (apSize > maxPayload()) {
    for (size_t i = 0; i < 3; ++i) emitNal(sets_[i].data(), sizes_[i], false, i == 0);
    return;
  }
  uint8_t* out = scratch_.data();
  uint8_t lowestTid = 7;
  for (size_t i = 0; i < 3; ++i) lowestTid = std::min(lowestTid, h265::temporalIdPlus1(sets_[i].data()));
  writeApHeader(out, lowestTid);
  size_t w = h265::kNalHeaderSize;
  for (size_t i = 0; i < 3; ++i) {
    writeBe16(out + w, static_cast<uint16_t>(sizes_[i]));
    std::memcpy(out + w + kApLengthSize, sets_[i].data(), sizes_[i]);
    w += kApLengthSize + sizes_[i];
  }
  emit(out, w, false, true);
}

void H265RtpIngest::emitNal(const uint8_t* nal, size_t size, bool marker, bool keyframeStart) {
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
  fragmenter_.append(nal + h265::kNalHeaderSize, size - h265::kNalHeaderSize, out);
  fragmenter_.end(out);
}

void H265RtpIngest::emit(const uint8_t* payload, size_t size, bool marker, bool keyframeStart) {
  ShapedPacket packet{payload, size, timestamp_, marker, keyframeStart, sequence_.takePendingLost()};
  ++packetsOut_;
  sink_->onShapedPacket(packet);
}

}  // namespace sluice::media
