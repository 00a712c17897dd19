// module: media
// Parses arbitrary bytes as a compound RTCP datagram through a visitor that reads every field.
#include "media/Rtcp.h"

using namespace sluice::media;

namespace {
struct Touch : RtcpVisitor {
  uint64_t sum = 0;
  void onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t ts, uint32_t p, uint32_t o) override {
    sum += ssrc + ntp + ts + p + o;
  }
  void onReportBlock(uint32_t r, const RtcpReportBlock& b) override {
    sum += r + b.ssrc + b.fractionLost + static_cast<uint32_t>(b.cumulativeLost) + b.highestSeq + b.jitter;
  }
  void onNack(uint32_t s, uint32_t m, uint16_t pid, uint16_t blp) override { sum += s + m + pid + blp; }
  void onPli(uint32_t s, uint32_t m) override { sum += s + m; }
  void onFir(uint32_t s, uint32_t m, uint8_t n) override { sum += s + m + n; }
  void onBye(uint32_t ssrc) override { sum += ssrc; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Touch t;
  (void)describe(parseRtcpCompound(data, size, t));
  return 0;
}
