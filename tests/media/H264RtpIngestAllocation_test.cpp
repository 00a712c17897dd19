// The ingest is on the per-packet hot path: after construction it must never allocate.
// Counts global operator new calls (replaced for this test binary) around push().
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "media/H264RtpIngest.h"
#include "media/RtpPacket.h"

namespace {
std::atomic<size_t> gAllocations{0};
}

void* operator new(size_t size) {
  ++gAllocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

using namespace sluice::media;

namespace {

struct NullSink : ShapedPacketSink {
  size_t packets = 0;
  void onShapedPacket(const ShapedPacket&) override { ++packets; }
};

std::vector<uint8_t> packetWith(uint16_t seq, uint32_t ts, bool marker, std::vector<uint8_t> payload) {
  std::vector<uint8_t> p(12);
  RtpHeader h;
  h.sequence = seq;
  h.timestamp = ts;
  h.marker = marker;
  writeRtpHeader(p.data(), h);
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

}  // namespace

TEST(H264RtpIngestAllocation, PushNeverAllocates) {
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint8_t> sps = {0x67, 0x42, 0xc0, 0x1f, 0xd9}, pps = {0x68, 0xce, 0x3c, 0x80};
  std::vector<uint8_t> stap = {0x78, 0, 5};
  stap.insert(stap.end(), sps.begin(), sps.end());
  stap.insert(stap.end(), {0, 4});
  stap.insert(stap.end(), pps.begin(), pps.end());
  stap.insert(stap.end(), {0, 3, 0x65, 0x88, 0x80});
  packets.push_back(packetWith(1, 0, true, stap));
  std::vector<uint8_t> big(3000, 0x5a);
  big[0] = 0x65;
  packets.push_back(packetWith(2, 3000, true, big));  // single NAL -> FU-A
  std::vector<uint8_t> fu(2500, 0x33);
  fu[0] = 0x7c;
  fu[1] = 0x81;
  packets.push_back(packetWith(4, 6000, false, fu));  // oversize FU-A after a gap
  packets.push_back(packetWith(5, 6000, true, {0x7c, 0x41, 1, 2, 3}));
  packets.push_back(packetWith(6, 9000, true, {0x78, 0, 2, 0x09, 0xf0, 0, 2, 0x41, 0x9a, 0, 2, 0x41, 0x9b}));

  H264RtpIngest ingest(1188);
  NullSink sink;
  size_t before = gAllocations.load();
  for (int round = 0; round < 10; ++round) {
    for (const auto& p : packets) ingest.push(p.data(), p.size(), sink);
  }
  EXPECT_EQ(gAllocations.load(), before);
  EXPECT_GT(sink.packets, 50u);
}
