// module: media
// Parses arbitrary bytes as RTP and checks the payload stays inside the input, and that the
// forwarding path's rtpHeaderSize never reads past it and agrees with the parser.
#include <cstdlib>

#include "media/RtpPacket.h"

using namespace sluice::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RtpHeader header;
  const uint8_t* payload = nullptr;
  size_t payloadSize = 0;
  const size_t headerSize = rtpHeaderSize(data, size);
  if (headerSize > size) std::abort();
  if (parseRtp(data, size, header, payload, payloadSize) != RtpError::None) return 0;
  if (headerSize != header.headerSize) std::abort();
  if (payload < data || payload + payloadSize > data + size) std::abort();
  if (header.headerSize + payloadSize + header.paddingSize != size) std::abort();
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < payloadSize; ++i) sink = sink + payload[i];
  uint8_t copy[kRtpFixedHeaderSize];
  writeRtpHeader(copy, header);
  if (readSequence(copy) != header.sequence || readMarker(copy) != header.marker) std::abort();
  (void)looksLikeRtcp(data, size);
  return 0;
}
