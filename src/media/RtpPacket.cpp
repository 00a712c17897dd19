#include "media/RtpPacket.h"

namespace sluice::media {

const char* describe(RtpError error) {
  switch (error) {
    case RtpError::None:
      return "ok";
    case RtpError::TooShort:
      return "RTP packet shorter than the 12-byte fixed header";
    case RtpError::BadVersion:
      return "RTP version is not 2";
    case RtpError::CsrcOverrun:
      return "RTP CSRC list runs past the end of the packet";
    case RtpError::ExtensionOverrun:
      return "RTP header extension runs past the end of the packet";
    case RtpError::BadPadding:
      return "RTP padding count is zero or larger than the payload";
  }
  return "unknown RTP error";
}

RtpError parseRtp(const uint8_t* data, size_t size, RtpHeader& header, const uint8_t*& payload,
                  size_t& payloadSize) {
  if (size < kRtpFixedHeaderSize) return RtpError::TooShort;
  if ((data[0] >> 6) != 2) return RtpError::BadVersion;
  header.padding = (data[0] & 0x20) != 0;
  header.extension = (data[0] & 0x10) != 0;
  header.csrcCount = data[0] & 0x0f;
  header.marker = readMarker(data);
  header.payloadType = readPayloadType(data);
  header.sequence = readSequence(data);
  header.timestamp = readTimestamp(data);
  header.ssrc = readSsrc(data);

  size_t offset = kRtpFixedHeaderSize + size_t{header.csrcCount} * 4;
  if (offset > size) return RtpError::CsrcOverrun;
  if (header.extension) {
    // 16-bit profile, 16-bit length in 32-bit words (RFC 3550 §5.3.1).
    if (offset + 4 > size) return RtpError::ExtensionOverrun;
    size_t words = readBe16(data + offset + 2);
    offset += 4 + words * 4;
    if (offset > size) return RtpError::ExtensionOverrun;
  }
  header.headerSize = offset;

  header.paddingSize = 0;
  if (header.padding) {
    // The last byte counts the padding including itself, so it can be neither 0 nor
    // reach into the header.
    if (offset == size) return RtpError::BadPadding;
    size_t pad = data[size - 1];
    if (pad == 0 || pad > size - offset) return RtpError::BadPadding;
    header.paddingSize = pad;
  }
  payload = data + offset;
  payloadSize = size - offset - header.paddingSize;
  return RtpError::None;
}

size_t writeRtpHeader(uint8_t* out, const RtpHeader& header) {
  out[0] = 0x80;
  out[1] = static_cast<uint8_t>((header.marker ? 0x80 : 0) | (header.payloadType & 0x7f));
  writeBe16(out + 2, header.sequence);
  writeBe32(out + 4, header.timestamp);
  writeBe32(out + 8, header.ssrc);
  return kRtpFixedHeaderSize;
}

}  // namespace sluice::media
