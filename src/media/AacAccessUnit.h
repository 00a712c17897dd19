#pragma once
// What the MPEG-4 Audio RTP depacketizers (Mpeg4GenericDepacketizer for RFC 3640,
// LatmDepacketizer for RFC 6416) hand on: raw AAC access units (no ADTS header) with their
// RTP timestamps, and their shared error vocabulary.
#include <cstddef>
#include <cstdint>

namespace sluice::media {

struct AacAccessUnit {
  const uint8_t* data;  // valid only during the sink call
  size_t size;
  uint32_t timestamp;  // RTP timestamp of this access unit (packet timestamp + index x increment)
};

class AacAccessUnitSink {
 public:
  virtual ~AacAccessUnitSink() = default;
  virtual void onAccessUnit(const AacAccessUnit& unit) = 0;
};

enum class AacRtpError {
  None,
  MalformedRtp,
  EmptyPayload,
  BadAuHeadersLength,    // RFC 3640: AU-headers-length beyond the packet or not whole headers
  AuSizeMismatch,        // RFC 3640: AU sizes do not add up to the data (headers lie)
  Interleaved,           // RFC 3640: AU-Index(-delta) != 0 (interleaving is not supported)
  FragmentMismatch,      // a fragment that does not continue the access unit in progress
  FragmentWithoutStart,  // after loss: a fragment whose start was not received, dropped
  TooLarge,              // an access unit over kMaxAccessUnitSize
  MalformedLatm,         // RFC 6416: PayloadLengthInfo beyond the element, or empty element
};
const char* describe(AacRtpError error);

// Larger AAC access units are rejected: 6144 bits per channel x 8 channels fit.
inline constexpr size_t kMaxAacAccessUnitSize = 8192;

}  // namespace sluice::media
