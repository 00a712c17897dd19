#pragma once
// RTP fixed header (RFC 3550 §5.1): in-place parsing and writing, plus helpers that patch
// single fields of a packet being forwarded, so relaying never copies or re-serializes.
#include <cstddef>
#include <cstdint>

namespace sluice::media {

constexpr size_t kRtpFixedHeaderSize = 12;

// Big-endian wire access shared by the RTP/RTCP/H.264 code. Callers check bounds.
inline uint16_t readBe16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t readBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline void writeBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void writeBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

struct RtpHeader {
  bool padding = false, extension = false, marker = false;
  uint8_t csrcCount = 0, payloadType = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0, ssrc = 0;
  size_t headerSize = kRtpFixedHeaderSize;  // fixed header + CSRCs + extension
  size_t paddingSize = 0;                   // trailing padding, including its count byte
};

enum class RtpError { None, TooShort, BadVersion, CsrcOverrun, ExtensionOverrun, BadPadding };
const char* describe(RtpError error);

// Parses in place. On success `payload` points into `data`: the bytes after the header,
// minus padding (may be empty). Outputs are unspecified on error.
RtpError parseRtp(const uint8_t* data, size_t size, RtpHeader& header, const uint8_t*& payload,
                  size_t& payloadSize);

// Writes the 12-byte fixed header only (no CSRCs/extension; csrcCount/extension/padding
// flags are written as 0). Returns kRtpFixedHeaderSize; `out` must hold that many bytes.
size_t writeRtpHeader(uint8_t* out, const RtpHeader& header);

// RFC 5761 §4 demultiplexing of RTP and RTCP on one port: RTCP packet types 192..223
// occupy the byte where RTP has marker+payload type.
inline bool looksLikeRtcp(const uint8_t* data, size_t size) {
  return size >= 4 && (data[0] >> 6) == 2 && data[1] >= 192 && data[1] <= 223;
}

// Field accessors on a packet already known to hold at least the 12-byte fixed header.
inline bool readMarker(const uint8_t* packet) { return (packet[1] & 0x80) != 0; }
inline uint8_t readPayloadType(const uint8_t* packet) { return packet[1] & 0x7f; }
inline uint16_t readSequence(const uint8_t* packet) { return readBe16(packet + 2); }
inline uint32_t readTimestamp(const uint8_t* packet) { return readBe32(packet + 4); }
inline uint32_t readSsrc(const uint8_t* packet) { return readBe32(packet + 8); }

inline void setMarker(uint8_t* packet, bool marker) {
  packet[1] = static_cast<uint8_t>((packet[1] & 0x7f) | (marker ? 0x80 : 0));
}
inline void setPayloadType(uint8_t* packet, uint8_t payloadType) {
  packet[1] = static_cast<uint8_t>((packet[1] & 0x80) | (payloadType & 0x7f));
}
inline void setSequence(uint8_t* packet, uint16_t sequence) { writeBe16(packet + 2, sequence); }
inline void setTimestamp(uint8_t* packet, uint32_t timestamp) { writeBe32(packet + 4, timestamp); }
inline void setSsrc(uint8_t* packet, uint32_t ssrc) { writeBe32(packet + 8, ssrc); }

// Length of the header (fixed part, CSRCs, extension) of a packet of `size` bytes, or 0 when
// it is not RTP version 2 or the header does not fit.
inline size_t rtpHeaderSize(const uint8_t* packet, size_t size) {
  if (size < kRtpFixedHeaderSize || (packet[0] >> 6) != 2) return 0;
  size_t header = kRtpFixedHeaderSize + 4 * size_t{packet[0] & 0x0fu};
  if (packet[0] & 0x10) {
    if (header + 4 > size) return 0;
    header += 4 + 4 * size_t{readBe16(packet + header + 2)};
  }
  return header <= size ? header : 0;
}

}  // namespace sluice::media
