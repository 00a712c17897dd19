#include "media/H264RtpIngest.h"

#include <algorithm>
#include <cstring>

#include "media/H264.h"
#include "media/RtpPacket.h"

namespace sluice::media {

namespace {

constexpr size_t kFuAHeaderSize = 2;  // FU indicator + FU header

// STAP-A header byte for a set of NAL units: F is OR-ed, NRI is the maximum (RFC 6184 §5.7.1).
uint8_t mergeStapHeader(uint8_t stapHeader, uint8_t nalHeader) {
  uint8_t f = static_cast<uint8_t>((stapHeader | nalHeader) & 0x80);
  uint8_t nri = std::max<uint8_t>(stapHeader & 0x60, nalHeader & 0x60);
  return static_cast<uint8_t>(f | nri | h264::kStapA);
}

bool isAbsorbed(uint8_t type) { return h264::isParameterSet(type) || type == h264::kAud; }

}  // namespace

H264RtpIngest::H264RtpIngest(size_t maxPayload)
    : maxPayload_(std::max<size_t>(maxPayload, NalFragmenter::fuOverhead(NalCodec::H264) + 1)),
      scratch_(maxPayload_),
      fragmenter_(NalCodec::H264, maxPayload_) {}

void H264RtpIngest::setParameterSets(const uint8_t* sps, size_t spsSize, const uint8_t* pps, size_t ppsSize) {
  if (spsSize > kMaxParameterSetSize || ppsSize > kMaxParameterSetSize) {
    ++oversizeParameterSets_;
    return;
  }
  if (spsSize > 0) std::memcpy(sps_.data(), sps, spsSize);
  if (ppsSize > 0) std::memcpy(pps_.data(), pps, ppsSize);
  spsSize_ = spsSize;
  ppsSize_ = ppsSize;
}

IngestError H264RtpIngest::push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink) {
  ++packetsIn_;
  RtpHeader header;
  const uint8_t* payload;
  size_t payloadSize;
  if (parseRtp(rtp, size, header, payload, payloadSize) != RtpError::None) {
    ++malformed_;
    return IngestError::MalformedRtp;
  }
  RtpSequenceTracker::Order order = sequence_.track(header.sequence);
  bool isFragment = payloadSize > 0 && h264::nalType(payload[0]) == h264::kFuA;
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

void H264RtpIngest::interruptFragmentedNal() {
  if (!fragmenter_.active()) return;
  fragmenter_.abandon();
  ++truncatedNals_;
}

void H264RtpIngest::trackAccessUnit(uint32_t timestamp, bool marker) {
  if (!haveAccessUnit_ || accessUnitEnded_ || timestamp != timestamp_) {
    haveAccessUnit_ = true;
    timestamp_ = timestamp;
    idrSeenInAccessUnit_ = false;
  }
  accessUnitEnded_ = marker;
}

IngestError H264RtpIngest::dispatch(const uint8_t* payload, size_t size, bool marker) {
  if (size == 0) return IngestError::EmptyPayload;
  uint8_t type = h264::nalType(payload[0]);
  if (type == h264::kStapA) return handleStapA(payload, size, marker);
  if (type == h264::kFuA) return handleFuA(payload, size, marker);
  if (!h264::isSingleNal(type)) return IngestError::UnsupportedPacketization;
  if (h264::isParameterSet(type)) {
    absorbParameterSet(payload, size);
    return IngestError::None;
  }
  if (type == h264::kAud) return IngestError::None;
  if (type == h264::kIdr) beforeIdr();
  emitNal(payload, size, marker, false);
  return IngestError::None;
}

IngestError H264RtpIngest::handleStapA(const uint8_t* payload, size_t size, bool marker) {
  // Pass 1: validate every length before acting on any NAL unit, and plan the output.
  size_t count = 0, kept = 0, keptStapSize = 1;
  bool removed = false, hasIdr = false;
  uint8_t keptHeader = h264::kStapA;
  for (size_t offset = 1; offset < size;) {
    if (offset + 2 > size) return IngestError::MalformedStapA;
    size_t n = readBe16(payload + offset);
    if (n == 0 || offset + 2 + n > size) return IngestError::MalformedStapA;
    uint8_t header = payload[offset + 2];
    uint8_t type = h264::nalType(header);
    if (isAbsorbed(type)) {
      removed = true;
    } else {
      ++kept;
      keptStapSize += 2 + n;
      keptHeader = mergeStapHeader(keptHeader, header);
      if (type == h264::kIdr) hasIdr = true;
    }
    offset += 2 + n;
    ++count;
  }
  if (count == 0) return IngestError::MalformedStapA;

  // Pass 2: absorb parameter sets first so an IDR in the same packet is prefixed by them.
  if (removed) {
    for (size_t offset = 1; offset < size;) {
      size_t n = readBe16(payload + offset);
      if (h264::isParameterSet(h264::nalType(payload[offset + 2])))
        absorbParameterSet(payload + offset + 2, n);
      offset += 2 + n;
    }
  }
  if (hasIdr) beforeIdr();
  if (kept == 0) return IngestError::None;
  if (!removed && size <= maxPayload_) {
    emit(payload, size, marker, false);
    return IngestError::None;
  }
  if (kept >= 2 && keptStapSize <= maxPayload_) {
    uint8_t* out = scratch_.data();
    out[0] = keptHeader;
    size_t w = 1;
    for (size_t offset = 1; offset < size;) {
      size_t n = readBe16(payload + offset);
      if (!isAbsorbed(h264::nalType(payload[offset + 2]))) {
        std::memcpy(out + w, payload + offset, 2 + n);
        w += 2 + n;
      }
      offset += 2 + n;
    }
    emit(out, w, marker, false);
    return IngestError::None;
  }
  size_t index = 0;
  for (size_t offset = 1; offset < size;) {
    size_t n = readBe16(payload + offset);
    const uint8_t* nal = payload + offset + 2;
    if (!isAbsorbed(h264::nalType(nal[0]))) {
      ++index;
      emitNal(nal, n, marker && index == kept, false);
    }
    offset += 2 + n;
  }
  return IngestError::None;
}

// Every FU-A goes through the fragmenter, so the camera's fragment size does not matter:
// the NAL unit leaves in full payloads, the remainder of each fragment carried to the next.
IngestError H264RtpIngest::handleFuA(const uint8_t* payload, size_t size, bool marker) {
  if (size < kFuAHeaderSize + 1) return IngestError::MalformedFuA;
  uint8_t fuHeader = payload[1];
  uint8_t type = h264::nalType(fuHeader);
  if (!h264::isSingleNal(type)) return IngestError::MalformedFuA;
  bool start = (fuHeader & h264::kFuStart) != 0, end = (fuHeader & h264::kFuEnd) != 0;
  if (start) {
    interruptFragmentedNal();  // a new start while one was open: the open one lost its end
    if (type == h264::kIdr) beforeIdr();
    uint8_t nalHeader = static_cast<uint8_t>((payload[0] & 0xe0) | type);
    fragmenter_.begin(&nalHeader);
  } else if (!fragmenter_.active()) {
    return IngestError::FragmentWithoutStart;
  } else if (fragmenter_.nalType() != type) {
    interruptFragmentedNal();
    return IngestError::FragmentTypeMismatch;
  }
  auto out = [&](const uint8_t* p, size_t n, bool last) { emit(p, n, marker && last, false); };
  fragmenter_.append(payload + kFuAHeaderSize, size - kFuAHeaderSize, out);
  if (end) {
    fragmenter_.end(out);
  } else if (marker) {
    fragmenter_.flush(out);  // keep the marker where the camera put it
  }
  return IngestError::None;
}

void H264RtpIngest::absorbParameterSet(const uint8_t* nal, size_t size) {
  bool isSps = h264::nalType(nal[0]) == h264::kSps;
  auto& stored = isSps ? sps_ : pps_;
  size_t& storedSize = isSps ? spsSize_ : ppsSize_;
  if (size > kMaxParameterSetSize) {
    ++oversizeParameterSets_;
    return;
  }
  if (size == storedSize && std::memcmp(stored.data(), nal, size) == 0) return;
  if (storedSize > 0) ++parameterSetChanges_;
  std::memcpy(stored.data(), nal, size);
  storedSize = size;
}

// Called before the first IDR packet of an access unit is emitted.
void H264RtpIngest::beforeIdr() {
  if (idrSeenInAccessUnit_) return;
  idrSeenInAccessUnit_ = true;
  ++keyframes_;
  if (!hasParameterSets()) {
    ++idrWithoutParameterSets_;
    return;
  }
  size_t stapSize = 1 + 2 + spsSize_ + 2 + ppsSize_;
  if (stapSize > maxPayload_) {
    emitNal(sps_.data(), spsSize_, false, true);
    emitNal(pps_.data(), ppsSize_, false, false);
    return;
  }
  uint8_t* out = scratch_.data();
  out[0] = mergeStapHeader(mergeStapHeader(h264::kStapA, sps_[0]), pps_[0]);
  writeBe16(out + 1, static_cast<uint16_t>(spsSize_));
  std::memcpy(out + 3, sps_.data(), spsSize_);
  writeBe16(out + 3 + spsSize_, static_cast<uint16_t>(ppsSize_));
  std::memcpy(out + 5 + spsSize_, pps_.data(), ppsSize_);
  emit(out, stapSize, false, true);
}

void H264RtpIngest::emitNal(const uint8_t* nal, size_t size, bool marker, bool keyframeStart) {
  if (size <= maxPayload_) {
    emit(nal, size, marker, keyframeStart);
    return;
  }
  bool first = true;
  auto out = [&](const uint8_t* p, size_t n, bool last) {
    emit(p, n, marker && last, keyframeStart && first);
    first = false;
  };
  fragmenter_.begin(nal);
  fragmenter_.append(nal + 1, size - 1, out);
  fragmenter_.end(out);
}

void H264RtpIngest::emit(const uint8_t* payload, size_t size, bool marker, bool keyframeStart) {
  ShapedPacket packet{payload, size, timestamp_, marker, keyframeStart, sequence_.takePendingLost()};
  ++packetsOut_;
  sink_->onShapedPacket(packet);
}

}  // namespace sluice::media
