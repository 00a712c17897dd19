// module: media
// Feeds RTP payloads to H264Depacketizer. Input: records of [flags][u16 length][payload];
// flags bit 7 = marker, bits 0-2 = sequence step, bits 3-4 = timestamp step.
#include <cstdlib>

#include "media/H264Depacketizer.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  H264Depacketizer depacketizer([](const H264AccessUnit& au) {
    if (au.size < 5) std::abort();  // at least a start code and a NAL header
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < au.size; ++i) sum = sum + au.data[i];
  });
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  size_t offset = 0;
  while (offset + 3 <= size) {
    uint8_t flags = data[offset];
    size_t n = readBe16(data + offset + 1);
    offset += 3;
    if (n > size - offset) n = size - offset;
    sequence = static_cast<uint16_t>(sequence + (flags & 7));
    timestamp += ((flags >> 3) & 3) * 3000u;
    (void)describe(depacketizer.push(data + offset, n, timestamp, sequence, (flags & 0x80) != 0));
    offset += n;
  }
  depacketizer.flush();
  return 0;
}
