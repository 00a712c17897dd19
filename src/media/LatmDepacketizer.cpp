#include "media/LatmDepacketizer.h"

#include <cstring>
#include <utility>

#include "media/BitReader.h"
#include "media/RtpPacket.h"
#include "media/Sdp.h"

namespace sluice::media {

namespace {

// LatmGetValue() (§1.7.3.1): 2 bits of byte count - 1, then that many bytes.
uint32_t latmGetValue(BitReader& r) {
  uint32_t bytes = r.readBits(2) + 1;
  uint32_t value = 0;
  for (uint32_t i = 0; i < bytes; ++i) value = (value << 8) | r.readBits(8);
  return value;
}

}  // namespace

bool parseStreamMuxConfig(const uint8_t* data, size_t size, LatmConfig& config, std::string& error) {
  BitReader r(data, size);
  LatmConfig out;
  uint32_t version = r.readBit();
  if (version == 1) {
    if (r.readBit()) {
      error = "StreamMuxConfig: audioMuxVersionA 1 is not supported";
      return false;
    }
    latmGetValue(r);  // taraBufferFullness
  }
  bool sameTimeFraming = r.readBit() != 0;
  out.subFrames = static_cast<uint8_t>(r.readBits(6) + 1);
  uint32_t programs = r.readBits(4) + 1, layers = r.readBits(3) + 1;
  if (r.failed()) {
    error = "StreamMuxConfig truncated";
    return false;
  }
  if (!sameTimeFraming || programs != 1 || layers != 1) {
    error = "StreamMuxConfig: only one program and layer with allStreamsSameTimeFraming are supported";
    return false;
  }
  if (version == 0) {
    const size_t ascStart = r.position();
    if (!parseAudioSpecificConfig(r, out.audio, error)) return false;
    parseSyncExtension(r, ascStart, out.audio);
  } else {
    uint32_t ascBits = latmGetValue(r);
    size_t start = r.position();
    if (!parseAudioSpecificConfig(r, out.audio, error)) return false;
    if (r.position() - start > ascBits) {
      error = "StreamMuxConfig: AudioSpecificConfig longer than its ascLen";
      return false;
    }
    r.skipBits(ascBits - (r.position() - start));  // fill bits
  }
  uint32_t frameLengthType = r.readBits(3);
  if (frameLengthType != 0) {
    error = "StreamMuxConfig: frameLengthType " + std::to_string(frameLengthType) + " is not AAC (0)";
    return false;
  }
  if (r.failed()) {
    error = "StreamMuxConfig truncated";
    return false;
  }
  // What follows may be cut short (GStreamer's rtpmp4apay ends its config inside
  // latmBufferFullness): missing bits read as zero, as decoders read them.
  r.readBits(8);      // latmBufferFullness
  if (r.readBit()) {  // otherDataPresent
    if (version == 1) {
      out.otherDataBits = latmGetValue(r);
    } else {
      bool escape = true;
      for (int i = 0; escape && i < 4; ++i) {
        escape = r.readBit() != 0;
        out.otherDataBits = (out.otherDataBits << 8) | r.readBits(8);
      }
      if (escape) {
        error = "StreamMuxConfig: otherDataLenBits too large";
        return false;
      }
    }
    if (r.failed()) {
      error = "StreamMuxConfig truncated (otherDataLenBits)";
      return false;
    }
  }
  if (r.readBit()) r.readBits(8);  // crcCheckSum
  config = std::move(out);
  return true;
}

bool parseLatmFmtp(std::string_view fmtp, LatmConfig& config, std::string& error) {
  auto p = parseFmtp(fmtp);
  auto cpresent = p.find("cpresent");
  if (cpresent == p.end() || cpresent->second != "0") {
    error = "MP4A-LATM: in-band StreamMuxConfig (cpresent=1, the default) is not supported";
    return false;
  }
  auto hex = p.find("config");
  if (hex == p.end()) {
    error = "MP4A-LATM: config missing";
    return false;
  }
  auto bytes = decodeHex(hex->second);
  if (!bytes || bytes->empty()) {
    error = "MP4A-LATM: config is not a hex string";
    return false;
  }
  if (!parseStreamMuxConfig(bytes->data(), bytes->size(), config, error)) return false;
  config.streamMuxConfig = std::move(*bytes);
  for (auto [key, field] :
       {std::pair{"profile-level-id", &config.profileLevelId}, {"object", &config.object}}) {
    auto it = p.find(key);
    *field = it == p.end() ? std::string() : it->second;
  }
  return true;
}

LatmDepacketizer::LatmDepacketizer(const LatmConfig& config, uint32_t timestampIncrement)
    : config_(config), increment_(timestampIncrement), buffer_(kMaxElementSize) {}

AacRtpError LatmDepacketizer::pushRtp(const uint8_t* packet, size_t size, AacAccessUnitSink& sink) {
  RtpHeader header;
  const uint8_t* payload;
  size_t payloadSize;
  if (parseRtp(packet, size, header, payload, payloadSize) != RtpError::None) {
    ++errors_;
    return AacRtpError::MalformedRtp;
  }
  return push(payload, payloadSize, header.timestamp, header.sequence, header.marker, sink);
}

AacRtpError LatmDepacketizer::push(const uint8_t* payload, size_t size, uint32_t timestamp, uint16_t sequence,
                                   bool marker, AacAccessUnitSink& sink) {
  bool afterGap = haveSequence_ && sequence != static_cast<uint16_t>(lastSequence_ + 1);
  haveSequence_ = true;
  lastSequence_ = sequence;
  if (afterGap) {
    dropPending();
    synced_ = false;
  }
  AacRtpError error = handle(payload, size, timestamp, marker, sink);
  if (error != AacRtpError::None) ++errors_;
  if (marker) synced_ = true;
  return error;
}

void LatmDepacketizer::dropPending() {
  if (!pending_) return;
  pending_ = false;
  fill_ = 0;
  ++droppedFragments_;
}

AacRtpError LatmDepacketizer::handle(const uint8_t* payload, size_t size, uint32_t timestamp, bool marker,
                                     AacAccessUnitSink& sink) {
  if (size == 0) return AacRtpError::EmptyPayload;
  if (pending_ && timestamp != pendingTimestamp_) dropPending();  // its last fragment never came
  if (pending_) {
    if (size > buffer_.size() - fill_) {
      dropPending();
      return AacRtpError::TooLarge;
    }
    std::memcpy(buffer_.data() + fill_, payload, size);
    fill_ += size;
    Scan s = scan(buffer_.data(), fill_, pendingTimestamp_, nullptr);
    if (s == Scan::Incomplete && !marker) return AacRtpError::None;
    if (s != Scan::Complete) {
      dropPending();
      return AacRtpError::MalformedLatm;
    }
    scan(buffer_.data(), fill_, pendingTimestamp_, &sink);
    pending_ = false;
    fill_ = 0;
    synced_ = true;
    return AacRtpError::None;
  }
  Scan s = scan(payload, size, timestamp, nullptr);
  if (!synced_ && (s != Scan::Complete || !marker)) {
    // After loss this may be the middle or end of an element whose start was lost.
    return AacRtpError::FragmentWithoutStart;
  }
  if (s == Scan::Malformed) return AacRtpError::MalformedLatm;
  if (s == Scan::Incomplete) {
    if (marker) return AacRtpError::MalformedLatm;
    if (size > buffer_.size()) return AacRtpError::TooLarge;
    std::memcpy(buffer_.data(), payload, size);
    fill_ = size;
    pending_ = true;
    pendingTimestamp_ = timestamp;
    return AacRtpError::None;
  }
  scan(payload, size, timestamp, &sink);
  synced_ = true;
  return AacRtpError::None;
}

LatmDepacketizer::Scan LatmDepacketizer::scan(const uint8_t* data, size_t size, uint32_t timestamp,
                                              AacAccessUnitSink* sink) {
  size_t offset = 0;
  uint32_t index = 0;
  const size_t otherDataBytes = (config_.otherDataBits + 7) / 8;
  while (offset < size) {
    for (uint8_t sub = 0; sub < config_.subFrames; ++sub) {
      size_t length = 0;
      uint8_t b;
      do {  // PayloadLengthInfo: bytes of 255 continue the length
        if (offset >= size) return Scan::Incomplete;
        b = data[offset++];
        length += b;
      } while (b == 255);
      if (length == 0) return Scan::Malformed;
      if (length > size - offset) return Scan::Incomplete;
      if (length > kMaxAacAccessUnitSize) return Scan::Malformed;
      if (sink) {
        ++accessUnits_;
        sink->onAccessUnit({data + offset, length, timestamp + index * increment_});
      }
      ++index;
      offset += length;
    }
    if (otherDataBytes > size - offset) return Scan::Incomplete;
    offset += otherDataBytes;
  }
  return Scan::Complete;
}

}  // namespace sluice::media
