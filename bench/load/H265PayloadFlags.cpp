#include "load/H265PayloadFlags.h"

#include "media/H265.h"
#include "media/RtpPacket.h"

namespace sluice::load {
namespace {

namespace h265 = media::h265;

uint8_t flagOf(uint8_t type) {
  if (type == h265::kSps) return payload_flags::kSps;
  if (type == h265::kPps) return payload_flags::kPps;
  if (h265::isIrap(type)) return payload_flags::kIdr;
  return 0;
}

bool beginsAccessUnit(uint8_t type) { return type == h265::kVps || type == h265::kAud; }

}  // namespace

uint8_t h265PayloadFlags(const uint8_t* p, size_t size) {
  uint8_t flags = payload_flags::kKnown;
  if (size < h265::kNalHeaderSize) return flags;
  const uint8_t type = h265::nalType(p);
  if (h265::isSingleNal(type)) {
    flags |= flagOf(type);
    if (beginsAccessUnit(type)) flags |= payload_flags::kStartsAccessUnit;
  } else if (type == h265::kAp) {
    size_t offset = h265::kNalHeaderSize;
    bool first = true;
    while (offset + 2 <= size) {
      const size_t length = media::readBe16(p + offset);
      offset += 2;
      if (length < h265::kNalHeaderSize || offset + length > size) break;
      const uint8_t inner = h265::nalType(p + offset);
      flags |= flagOf(inner);
      if (first && beginsAccessUnit(inner)) flags |= payload_flags::kStartsAccessUnit;
      first = false;
      offset += length;
    }
  } else if (type == h265::kFu && size >= 3) {
    const uint8_t inner = p[2] & 0x3f;
    flags |= flagOf(inner);
    if ((p[2] & h265::kFuStart) && beginsAccessUnit(inner)) flags |= payload_flags::kStartsAccessUnit;
  }
  return flags;
}

}  // namespace sluice::load
