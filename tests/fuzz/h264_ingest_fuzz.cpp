// module: media
// Feeds a sequence of RTP packets to H264RtpIngest. Input: byte 0 picks maxPayload, then
// records of [u16 length][packet]. Every emitted payload is read in full and size-checked.
#include <cstdlib>

#include "media/H264RtpIngest.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {
struct CheckingSink : ShapedPacketSink {
  size_t maxPayload = 0;
  void onShapedPacket(const ShapedPacket& p) override {
    if (p.size == 0 || p.size > maxPayload) std::abort();
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < p.size; ++i) sum = sum + p.payload[i];
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  H264RtpIngest ingest(3 + data[0] * 8u);
  CheckingSink sink;
  sink.maxPayload = ingest.maxPayload();
  if (data[0] & 1) {
    const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1f, 0xd9, 0x00, 0x78}, pps[] = {0x68, 0xce, 0x3c, 0x80};
    ingest.setParameterSets(sps, sizeof sps, pps, sizeof pps);
  }
  size_t offset = 1;
  while (offset + 2 <= size) {
    size_t n = readBe16(data + offset);
    offset += 2;
    if (n > size - offset) n = size - offset;
    (void)describe(ingest.push(data + offset, n, sink));
    offset += n;
  }
  return 0;
}
