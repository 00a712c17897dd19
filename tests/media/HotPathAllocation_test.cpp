// The video shapers and the audio depacketizers are on the per-packet hot path: after
// construction they must never allocate. Counts global operator new calls (replaced for this
// test binary) around push().
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "media/H264RtpIngest.h"
#include "media/H265RtpIngest.h"
#include "media/LatmDepacketizer.h"
#include "media/Mpeg4GenericDepacketizer.h"
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

struct NullAudioSink : AacAccessUnitSink {
  size_t units = 0;
  void onAccessUnit(const AacAccessUnit&) override { ++units; }
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

TEST(H265RtpIngestAllocation, PushNeverAllocates) {
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint8_t> ap = {96, 1, 0, 4, 0x40, 0x01, 0x0c, 0x01, 0, 4, 0x42, 0x01, 0x01, 0x01,
                             0, 3, 0x44, 0x01, 0xc1, 0, 4, 0x26, 0x01, 0xaf, 0x01};
  packets.push_back(packetWith(1, 0, true, ap));  // parameter sets + IDR: prefix rebuilt
  std::vector<uint8_t> big(3000, 0x5a);
  big[0] = 0x28;  // CRA
  big[1] = 0x01;
  packets.push_back(packetWith(2, 3000, true, big));  // single NAL -> FUs
  std::vector<uint8_t> fu(1400, 0x33);
  fu[0] = 98;
  fu[1] = 1;
  fu[2] = 0x81;
  packets.push_back(packetWith(3, 6000, false, fu));  // camera FUs carried across packets
  fu[2] = 0x01;
  packets.push_back(packetWith(4, 6000, false, fu));
  packets.push_back(packetWith(5, 6000, true, {98, 1, 0x41, 1, 2, 3}));
  packets.push_back(packetWith(7, 9000, false, fu));  // a continuation after a gap: dropped

  H265RtpIngest ingest(1188);
  NullSink sink;
  size_t before = gAllocations.load();
  for (int round = 0; round < 10; ++round) {
    for (auto& p : packets) {
      setSequence(p.data(), static_cast<uint16_t>(readSequence(p.data()) + 8));
      ingest.push(p.data(), p.size(), sink);
    }
  }
  EXPECT_EQ(gAllocations.load(), before);
  EXPECT_GT(sink.packets, 50u);
}

TEST(AacDepacketizerAllocation, PushNeverAllocates) {
  std::string error;
  Mpeg4GenericParams params;
  ASSERT_TRUE(parseMpeg4GenericFmtp("mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190",
                                    params, error));
  LatmConfig latm;
  ASSERT_TRUE(parseLatmFmtp("cpresent=0;config=400023203fc0", latm, error));
  Mpeg4GenericDepacketizer generic(params, 1024);
  LatmDepacketizer latmDepacketizer(latm, 1024);
  std::vector<uint8_t> two = {0, 32, 0x03, 0x20, 0x03, 0x20};  // 2 AUs of 100 bytes
  two.resize(two.size() + 200, 7);
  std::vector<uint8_t> fragment = {0, 16, 0x5d, 0xc0};  // 1 AU of 3000 bytes, 1000 here
  fragment.resize(fragment.size() + 1000, 9);
  std::vector<uint8_t> element = {255, 45};  // LATM: one AU of 300 bytes
  element.resize(element.size() + 300, 5);
  NullAudioSink sink;
  size_t before = gAllocations.load();
  uint16_t seq = 0;
  for (uint32_t round = 0; round < 10; ++round) {
    uint32_t ts = round * 10000;
    generic.push(two.data(), two.size(), ts, seq++, true, sink);
    for (int i = 0; i < 3; ++i)
      generic.push(fragment.data(), fragment.size(), ts + 5000, seq++, i == 2, sink);
    latmDepacketizer.push(element.data(), element.size(), ts, seq, true, sink);
    latmDepacketizer.push(element.data(), 100, ts + 5000, seq + 1, false, sink);  // fragments
    latmDepacketizer.push(element.data() + 100, element.size() - 100, ts + 5000, seq + 2, true, sink);
  }
  EXPECT_EQ(gAllocations.load(), before);
  EXPECT_EQ(sink.units, 10u * (2 + 1 + 1 + 1));
}
