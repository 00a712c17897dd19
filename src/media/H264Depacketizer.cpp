#include "media/H264Depacketizer.h"

#include "media/H264.h"
#include "media/RtpPacket.h"

namespace sluice::media {

namespace {
constexpr uint8_t kStartCode[] = {0, 0, 0, 1};
}

const char* describe(DepacketizeError error) {
  switch (error) {
    case DepacketizeError::None:
      return "ok";
    case DepacketizeError::MalformedRtp:
      return "malformed RTP packet";
    case DepacketizeError::EmptyPayload:
      return "empty RTP payload";
    case DepacketizeError::Unsupported:
      return "unsupported H.264 packetization (STAP-B, MTAP, FU-B or reserved type)";
    case DepacketizeError::MalformedStapA:
      return "malformed STAP-A";
    case DepacketizeError::MalformedFuA:
      return "malformed FU-A";
  }
  return "unknown depacketizer error";
}

H264Depacketizer::H264Depacketizer(Callback onAccessUnit) : onAccessUnit_(std::move(onAccessUnit)) {}

void H264Depacketizer::reset() {
  buffer_.clear();
  active_ = broken_ = keyframe_ = inFragment_ = false;
}

void H264Depacketizer::finish() {
  if (!active_) return;
  if (broken_ || inFragment_ || buffer_.empty()) {
    ++dropped_;
  } else {
    ++accessUnits_;
    onAccessUnit_({buffer_.data(), buffer_.size(), timestamp_, keyframe_});
  }
  reset();
}

void H264Depacketizer::flush() { finish(); }

void H264Depacketizer::appendNal(uint8_t header, const uint8_t* body, size_t bodySize) {
  buffer_.insert(buffer_.end(), std::begin(kStartCode), std::end(kStartCode));
  buffer_.push_back(header);
  buffer_.insert(buffer_.end(), body, body + bodySize);
  if (h264::nalType(header) == h264::kIdr) keyframe_ = true;
}

DepacketizeError H264Depacketizer::pushRtp(const uint8_t* packet, size_t size) {
  RtpHeader header;
  const uint8_t* payload;
  size_t payloadSize;
  if (parseRtp(packet, size, header, payload, payloadSize) != RtpError::None) {
    ++malformed_;
    return DepacketizeError::MalformedRtp;
  }
  return push(payload, payloadSize, header.timestamp, header.sequence, header.marker);
}

DepacketizeError H264Depacketizer::push(const uint8_t* payload, size_t size, uint32_t timestamp,
                                        uint16_t sequence, bool marker) {
  bool gap = haveSequence_ && sequence != static_cast<uint16_t>(lastSequence_ + 1);
  haveSequence_ = true;
  lastSequence_ = sequence;
  if (active_ && timestamp != timestamp_) finish();
  if (!active_) {
    active_ = true;
    timestamp_ = timestamp;
  }
  // The missing packets may have belonged to this access unit: it cannot be trusted.
  if (gap) broken_ = true;

  DepacketizeError error = append(payload, size);
  if (error != DepacketizeError::None) {
    ++malformed_;
    broken_ = true;
  }
  if (marker) finish();
  return error;
}

DepacketizeError H264Depacketizer::append(const uint8_t* payload, size_t size) {
  if (size == 0) return DepacketizeError::EmptyPayload;
  uint8_t type = h264::nalType(payload[0]);
  if (h264::isSingleNal(type)) {
    if (inFragment_) broken_ = true;  // the previous FU-A never ended
    inFragment_ = false;
    appendNal(payload[0], payload + 1, size - 1);
    return DepacketizeError::None;
  }
  if (type == h264::kStapA) {
    // Validate first so a malformed STAP-A adds nothing.
    size_t offset = 1, count = 0;
    while (offset < size) {
      if (offset + 2 > size) return DepacketizeError::MalformedStapA;
      size_t n = readBe16(payload + offset);
      if (n == 0 || offset + 2 + n > size) return DepacketizeError::MalformedStapA;
      offset += 2 + n;
      ++count;
    }
    if (count == 0) return DepacketizeError::MalformedStapA;
    if (inFragment_) broken_ = true;
    inFragment_ = false;
    for (offset = 1; offset < size;) {
      size_t n = readBe16(payload + offset);
      appendNal(payload[offset + 2], payload + offset + 3, n - 1);
      offset += 2 + n;
    }
    return DepacketizeError::None;
  }
  if (type == h264::kFuA) {
    if (size < 3) return DepacketizeError::MalformedFuA;
    uint8_t fuHeader = payload[1];
    uint8_t inner = h264::nalType(fuHeader);
    if (!h264::isSingleNal(inner)) return DepacketizeError::MalformedFuA;
    bool start = fuHeader & h264::kFuStart, end = fuHeader & h264::kFuEnd;
    if (start) {
      if (inFragment_) broken_ = true;
      appendNal(static_cast<uint8_t>((payload[0] & 0xe0) | inner), payload + 2, size - 2);
      inFragment_ = true;
    } else if (!inFragment_) {
      broken_ = true;  // its start was lost
      return DepacketizeError::None;
    } else {
      buffer_.insert(buffer_.end(), payload + 2, payload + size);
    }
    if (end) inFragment_ = false;
    return DepacketizeError::None;
  }
  return DepacketizeError::Unsupported;
}

}  // namespace sluice::media
