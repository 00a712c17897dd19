#include "load/H264PayloadFlags.h"

#include "media/H264.h"
#include "media/RtpPacket.h"

namespace sluice::load {
namespace {

uint8_t flagOf(uint8_t type) {
  switch (type) {
    case media::h264::kSps:
      return payload_flags::kSps;
    case media::h264::kPps:
      return payload_flags::kPps;
    case media::h264::kIdr:
      return payload_flags::kIdr;
    default:
      return 0;
  }
}

bool beginsAccessUnit(uint8_t type) { return type == media::h264::kSps || type == media::h264::kAud; }

}  // namespace

uint8_t h264PayloadFlags(const uint8_t* p, size_t size) {
  uint8_t flags = payload_flags::kKnown;
  if (size == 0) return flags;
  const uint8_t type = media::h264::nalType(p[0]);
  if (media::h264::isSingleNal(type)) {
    flags |= flagOf(type);
    if (beginsAccessUnit(type)) flags |= payload_flags::kStartsAccessUnit;
  } else if (type == media::h264::kStapA) {
    size_t offset = 1;
    bool first = true;
    while (offset + 2 <= size) {
      const size_t length = media::readBe16(p + offset);
      offset += 2;
      if (length == 0 || offset + length > size) break;
      const uint8_t inner = media::h264::nalType(p[offset]);
      flags |= flagOf(inner);
      if (first && beginsAccessUnit(inner)) flags |= payload_flags::kStartsAccessUnit;
      first = false;
      offset += length;
    }
  } else if (type == media::h264::kFuA && size >= 2) {
    const uint8_t inner = media::h264::nalType(p[1]);
    flags |= flagOf(inner);
    if ((p[1] & media::h264::kFuStart) && beginsAccessUnit(inner)) flags |= payload_flags::kStartsAccessUnit;
  }
  return flags;
}

}  // namespace sluice::load
