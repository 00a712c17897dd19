// The packet path stays allocation-free across a source's restart: ingesting, dropping the
// packets before a resumed segment's keyframe, rebasing timestamps and fanning out allocate
// nothing (suspend() and start() are control-plane calls and may); so does carrying packets to
// a stream's mirror on another worker. Counts global operator new calls (replaced for this
// test binary), except on a thread that asked not to be counted (a test driving workers).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <future>
#include <new>
#include <vector>

#include "core/WorkerPool.h"
#include "media/RtpPacket.h"
#include "stream/Stream.h"
#include "stream/StreamMirror.h"

namespace {
std::atomic<size_t> gAllocations{0};
thread_local bool tUncounted = false;
}  // namespace

void* operator new(size_t size) {
  if (!tUncounted) ++gAllocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

using namespace sluice;
using namespace sluice::stream;

namespace {

struct CountingReader : StreamReader {
  size_t packets = 0;
  void onStreamPacket(size_t, const HistoryPacket&) override { ++packets; }
  void onStreamEnded(const std::string&) override {}
};

std::vector<std::vector<uint8_t>> cameraPackets(uint16_t seq, uint32_t ts, int frames) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < frames; ++i) {
    std::vector<uint8_t> p(12 + 2000, 0x5a);  // re-fragmented into two FU-As
    media::RtpHeader h;
    h.sequence = static_cast<uint16_t>(seq + i);
    h.timestamp = ts + static_cast<uint32_t>(i) * 3000;
    h.marker = true;
    media::writeRtpHeader(p.data(), h);
    p[12] = i % 10 == 2 ? 0x65 : 0x41;  // starts mid-GOP, an IDR at frame 2
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

TEST(StreamAllocation, IngestAcrossASourceRestartNeverAllocates) {
  const std::vector<uint8_t> sps = {0x67, 0x42, 0xc0, 0x1f, 0xd9}, pps = {0x68, 0xce, 0x3c, 0x80};
  Stream s("cam", 1024);
  CountingReader r;
  s.start(sps, pps);
  s.addReader(&r);
  auto first = cameraPackets(100, 1000, 20);
  auto second = cameraPackets(9000, 777777, 20);

  size_t before = gAllocations.load();
  for (const auto& p : first) s.ingestRtp(p.data(), p.size());
  EXPECT_EQ(gAllocations.load(), before) << "allocation on the packet path";

  s.suspend("camera gone", 10'000'000);
  s.start(sps, pps);  // resumed: continues at the next keyframe

  before = gAllocations.load();
  for (const auto& p : second) s.ingestRtp(p.data(), p.size());
  EXPECT_EQ(gAllocations.load(), before) << "allocation on the resumed packet path";
  EXPECT_EQ(s.stats().packetsBeforeKeyframe.load(), 4u);  // two mid-GOP frames, two FU-As each
  EXPECT_GT(r.packets, 40u);
}

TEST(StreamAllocation, CarryingPacketsToAMirrorOnAnotherWorkerNeverAllocates) {
  const std::vector<uint8_t> sps = {0x67, 0x42, 0xc0, 0x1f, 0xd9}, pps = {0x68, 0xce, 0x3c, 0x80};
  core::WorkerPool pool(2);
  pool.start();
  tUncounted = true;  // this thread only drives the workers (its posts and waits allocate)
  auto runOn = [](core::Worker& w, auto fn) {
    std::promise<void> done;
    boost::asio::post(w.io(), [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  };
  auto origin = std::make_shared<Stream>("cam", 1024);
  runOn(pool.at(0), [&] { origin->start(sps, pps); });
  auto mirror = StreamMirror::create(origin, pool.at(0), pool.at(1));
  std::shared_ptr<Stream> replica = mirror->replica();
  CountingReader there;
  runOn(pool.at(1), [&] { replica->addReader(&there); });
  // Warm up: the histories learn the keyframe interval (they may grow meanwhile).
  auto warm = cameraPackets(100, 1000, 60);
  runOn(pool.at(0), [&] {
    for (const auto& p : warm) origin->ingestRtp(p.data(), p.size());
  });
  runOn(pool.at(1), [] {});
  auto more = cameraPackets(160, 1000 + 60 * 3000, 60);
  size_t received = 0;
  runOn(pool.at(1), [&] { received = there.packets; });

  const size_t before = gAllocations.load();
  for (size_t i = 0; i < more.size(); i += 3) {
    runOn(pool.at(0), [&] {  // a few frames per turn, as a camera's reads bring them
      for (size_t k = i; k < i + 3 && k < more.size(); ++k) origin->ingestRtp(more[k].data(), more[k].size());
    });
  }
  runOn(pool.at(1), [] {});
  EXPECT_EQ(gAllocations.load(), before) << "allocation carrying packets to the mirror";
  // Two FU-As per frame, and the parameter sets before each of the 6 keyframes.
  runOn(pool.at(1), [&] { EXPECT_EQ(there.packets, received + 126u); });
  EXPECT_EQ(mirror->dropped(), 0u);
  runOn(pool.at(0), [&] { origin->stop("test over"); });
  runOn(pool.at(1), [] {});
  pool.stop();
  tUncounted = false;
}
