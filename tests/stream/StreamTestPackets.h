#pragma once
// What the stream tests feed a Stream: an H.264 track's parameter sets and RTP packets of one
// NAL unit (or audio frame) each.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/RtpPacket.h"

namespace sluice::stream_test {

inline const std::vector<uint8_t> kSps = {0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8};
inline const std::vector<uint8_t> kPps = {0x68, 0xce, 0x3c, 0x80};

// An RTP packet (marker set) whose payload is `payload` bytes starting with `first` (a NAL
// header: 0x65 IDR, 0x41 P slice), the rest 0x55.
inline std::vector<uint8_t> rtpPacket(uint8_t pt, uint16_t seq, uint32_t ts, size_t payload, uint8_t first,
                                      uint32_t ssrc = 42) {
  std::vector<uint8_t> p(12 + payload, 0x55);
  media::RtpHeader h;
  h.marker = true;
  h.payloadType = pt;
  h.sequence = seq;
  h.timestamp = ts;
  h.ssrc = ssrc;
  media::writeRtpHeader(p.data(), h);
  p[12] = first;
  return p;
}

}  // namespace sluice::stream_test
