// module: media
// Feeds a sequence of RTP packets to H265RtpIngest. Input: byte 0 picks maxPayload (and, odd,
// SDP parameter sets), then records of [u16 length][packet]. Every emitted payload is read in
// full, size-checked, and must start with a valid base-layer NAL unit header.
#include <cstdlib>

#include "media/H265.h"
#include "media/H265RtpIngest.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {
struct CheckingSink : ShapedPacketSink {
  size_t maxPayload = 0;
  void onShapedPacket(const ShapedPacket& p) override {
    if (p.size < 2 || p.size > maxPayload) std::abort();
    if (h265::forbiddenBit(p.payload) || h265::layerId(p.payload) != 0 ||
        h265::temporalIdPlus1(p.payload) == 0)
      std::abort();
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < p.size; ++i) sum = sum + p.payload[i];
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  H265RtpIngest ingest(4 + data[0] * 8u);
  CheckingSink sink;
  sink.maxPayload = ingest.maxPayload();
  if (data[0] & 1) {
    const uint8_t vps[] = {0x40, 0x01, 0x0c, 0x01}, sps[] = {0x42, 0x01, 0x01, 0x01, 0x60};
    const uint8_t pps[] = {0x44, 0x01, 0xc1};
    if (!ingest.setParameterSets(vps, sps, pps)) std::abort();
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
