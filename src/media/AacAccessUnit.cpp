#include "media/AacAccessUnit.h"

namespace sluice::media {

const char* describe(AacRtpError error) {
  switch (error) {
    case AacRtpError::None:
      return "ok";
    case AacRtpError::MalformedRtp:
      return "malformed RTP packet";
    case AacRtpError::EmptyPayload:
      return "empty RTP payload";
    case AacRtpError::BadAuHeadersLength:
      return "AU-headers-length beyond the packet or not a whole number of AU-headers";
    case AacRtpError::AuSizeMismatch:
      return "AU sizes in the AU-headers do not match the packet's data";
    case AacRtpError::Interleaved:
      return "interleaved AUs (AU-Index != 0) are not supported";
    case AacRtpError::FragmentMismatch:
      return "AU fragment does not continue the AU in progress (size, timestamp or length)";
    case AacRtpError::FragmentWithoutStart:
      return "AU fragment whose start was lost: dropped";
    case AacRtpError::TooLarge:
      return "AAC access unit larger than 8192 bytes";
    case AacRtpError::MalformedLatm:
      return "malformed LATM audioMuxElement (PayloadLengthInfo beyond the payload or empty)";
  }
  return "unknown AAC RTP error";
}

}  // namespace sluice::media
