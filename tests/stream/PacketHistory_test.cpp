#include "stream/PacketHistory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/Clock.h"
#include "stream/HistoryChunkPool.h"

using namespace sluice::stream;

namespace {
constexpr size_t kChunk = HistoryChunkPool::kChunkBytes;
}  // namespace

namespace {
void append(PacketHistory& h, bool keyframe) {
  HistoryPacket& p = h.beginAppend();
  p.size = 12;
  p.keyframeStart = keyframe;
  h.commit();
}
}  // namespace

TEST(PacketHistory, RejectsNonPowerOfTwoCapacity) {
  EXPECT_THROW(PacketHistory(1000), std::invalid_argument);
  EXPECT_NO_THROW(PacketHistory(1024));
}

TEST(PacketHistory, HoldsTheLastCapacityPackets) {
  PacketHistory h(8);
  for (int i = 0; i < 20; ++i) append(h, false);
  EXPECT_EQ(h.head(), 20u);
  EXPECT_EQ(h.tail(), 12u);
  EXPECT_EQ(h.at(11), nullptr);
  ASSERT_NE(h.at(12), nullptr);
  EXPECT_EQ(h.at(12)->index, 12u);
  ASSERT_NE(h.at(19), nullptr);
  EXPECT_EQ(h.at(20), nullptr);
}

TEST(PacketHistory, TracksTheLastKeyframeUntilItIsOverwritten) {
  PacketHistory h(8);
  EXPECT_EQ(h.lastKeyframe(), UINT64_MAX);
  append(h, true);
  for (int i = 0; i < 5; ++i) append(h, false);
  EXPECT_EQ(h.lastKeyframe(), 0u);
  for (int i = 0; i < 5; ++i) append(h, false);
  EXPECT_EQ(h.lastKeyframe(), UINT64_MAX);  // slot 0 was reused
  append(h, true);
  EXPECT_EQ(h.lastKeyframe(), 11u);
}

TEST(PacketHistory, SkippedIndexesAreHoles) {
  PacketHistory h(16);
  append(h, false);
  h.skip(3);
  append(h, false);
  EXPECT_NE(h.at(0), nullptr);
  EXPECT_EQ(h.at(1), nullptr);
  EXPECT_EQ(h.at(3), nullptr);
  ASSERT_NE(h.at(4), nullptr);
  EXPECT_EQ(h.head(), 5u);
}

TEST(PacketHistory, ClearKeepsIndexesUnique) {
  PacketHistory h(8);
  append(h, true);
  append(h, false);
  h.clear();
  EXPECT_EQ(h.at(0), nullptr);
  EXPECT_EQ(h.lastKeyframe(), UINT64_MAX);
  append(h, false);
  EXPECT_EQ(h.head(), 3u);
  EXPECT_NE(h.at(2), nullptr);
}

TEST(PacketHistory, GrowsToHoldAWholeKeyframeIntervalUpToItsMaximum) {
  PacketHistory h(64, 8);
  EXPECT_EQ(h.capacity(), 8u);
  append(h, true);
  for (int i = 0; i < 20; ++i) append(h, false);
  EXPECT_EQ(h.capacity(), 32u);  // doubled until the keyframe's 21 packets fit
  EXPECT_EQ(h.lastKeyframe(), 0u);
  for (uint64_t i = 0; i < 21; ++i) {
    ASSERT_NE(h.at(i), nullptr);
    EXPECT_EQ(h.at(i)->index, i);
  }
  for (int i = 0; i < 200; ++i) append(h, false);
  EXPECT_EQ(h.capacity(), 64u);  // never beyond the maximum
  EXPECT_EQ(h.lastKeyframe(), UINT64_MAX);
}

TEST(PacketHistory, DoesNotGrowWhenKeyframesAreFrequent) {
  PacketHistory h(1024, 16);
  for (int gop = 0; gop < 50; ++gop) {
    append(h, true);
    for (int i = 0; i < 9; ++i) append(h, false);
  }
  EXPECT_EQ(h.capacity(), 16u);
}

namespace {
// Appends a packet of `size` bytes whose bytes all say its index, so a test can tell a
// packet's data from another's after the ring wrapped or grew; arrivalUs drives the drop of
// what precedes a keyframe (0 for all: nothing is dropped early).
void appendBytes(PacketHistory& h, size_t size, bool keyframe, int64_t arrivalUs = 0) {
  HistoryPacket& p = h.beginAppend();
  std::memset(p.data, static_cast<int>(h.head() & 0xff), size);
  p.size = static_cast<uint16_t>(size);
  p.keyframeStart = keyframe;
  p.arrivalUs = arrivalUs;
  h.commit();
}

bool intact(const HistoryPacket& p) {
  for (size_t i = 0; i < p.size; ++i) {
    if (p.data[i] != static_cast<uint8_t>(p.index & 0xff)) return false;
  }
  return true;
}
}  // namespace

TEST(PacketHistory, StoresAKeyframeIntervalByItsBytes) {
  // A 1 s GOP at 4 Mbit/s: one 60 KB keyframe then 29 frames of 14 KB, in full packets and a
  // short last one per frame, as the shapers emit them. The bytes held stay within 3 % and a
  // chunk of one interval's bytes (fixed 1.2 KB slots for a power-of-two count cost twice that).
  PacketHistory h(4096);
  size_t gopBytes = 0;
  for (int gop = 0; gop < 6; ++gop) {
    gopBytes = 0;
    for (int frame = 0; frame < 30; ++frame) {
      size_t left = frame == 0 ? 60'000 : 14'000;
      bool first = true;
      while (left > 0) {
        const size_t n = std::min(left, kMaxRtpPacket);
        appendBytes(h, n, frame == 0 && first);
        gopBytes += n;
        left -= n;
        first = false;
      }
    }
  }
  const uint64_t k = h.lastKeyframe();
  ASSERT_NE(k, UINT64_MAX);
  for (uint64_t i = k; i < h.head(); ++i) {
    ASSERT_NE(h.at(i), nullptr) << i;
    EXPECT_TRUE(intact(*h.at(i))) << i;
  }
  EXPECT_GE(h.byteCapacity(), gopBytes);
  // The chunks' unused ends (less than a packet each, ≈ 1 %) and the writer's partly filled chunk.
  EXPECT_LE(h.byteCapacity(), gopBytes + gopBytes / 32 + 2 * kChunk);
}

TEST(PacketHistory, WithoutKeyframesHoldsWhatItsEntriesCan) {
  // Audio: 256 entries of 172 bytes (G.711, 20 ms) take a chunk and a half; the ring spans
  // at most a chunk more, and the packets of the last 256 indexes are all held and intact.
  PacketHistory h(256, 256);
  for (int i = 0; i < 2000; ++i) appendBytes(h, 172, false);
  EXPECT_LE(h.byteCapacity(), 256 * 172 + 2 * kChunk);
  const size_t initialBytes = h.byteCapacity();
  EXPECT_EQ(h.tail(), 2000u - 256u);
  for (uint64_t i = h.tail(); i < h.head(); ++i) {
    ASSERT_NE(h.at(i), nullptr) << i;
    EXPECT_TRUE(intact(*h.at(i))) << i;
  }
  // AAC-sized packets need more bytes: the ring grows to hold all 256.
  for (int i = 0; i < 2000; ++i) appendBytes(h, 700, false);
  EXPECT_GT(h.byteCapacity(), initialBytes);
  EXPECT_EQ(h.tail(), h.head() - 256);
  for (uint64_t i = h.tail(); i < h.head(); ++i) EXPECT_TRUE(h.at(i) && intact(*h.at(i))) << i;
}

TEST(PacketHistory, BytesStopGrowingAtTheMaximumAndTheOldestGo) {
  PacketHistory h(16, 16);
  appendBytes(h, kMaxRtpPacket, true);
  for (int i = 0; i < 100; ++i) appendBytes(h, kMaxRtpPacket, false);
  EXPECT_LE(h.byteCapacity(), 2 * kChunk);  // the least a ring has
  EXPECT_EQ(h.lastKeyframe(), UINT64_MAX);  // a keyframe interval longer than the maximum
  for (uint64_t i = h.tail(); i < h.head(); ++i) EXPECT_TRUE(h.at(i) && intact(*h.at(i))) << i;
  EXPECT_GE(h.head() - h.tail(), 14u);  // at most the wrapped end of the ring is lost early
}

TEST(PacketHistory, RandomSizesKeyframesAndGapsKeepEveryHeldPacketIntact) {
  uint32_t seed = 12345;
  const auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  PacketHistory h(1024, 16);
  std::vector<uint64_t> sinceKeyframe;
  for (int i = 0; i < 50'000; ++i) {
    const uint32_t r = next();
    if (r % 97 == 0) h.skip(1 + (r >> 8) % 40);
    if (r % 1013 == 0) h.clear();
    const bool keyframe = (r >> 4) % 64 == 0;
    if (keyframe) sinceKeyframe.clear();
    sinceKeyframe.push_back(h.head());
    appendBytes(h, 12 + (r >> 12) % (kMaxRtpPacket - 11), keyframe);
    if (i % 257 == 0) {
      for (uint64_t j = h.tail(); j < h.head(); ++j) {
        if (const HistoryPacket* p = h.at(j)) {
          ASSERT_TRUE(intact(*p)) << j;
        }
      }
      // Everything since the last keyframe is held (intervals here are far below the maximum).
      if (h.lastKeyframe() != UINT64_MAX) {
        for (uint64_t j : sinceKeyframe) ASSERT_NE(h.at(j), nullptr) << j;
      }
    }
  }
  EXPECT_LE(h.byteCapacity(), 1024 * kMaxRtpPacket + kChunk);
}

// A camera whose keyframe interval lengthens after the ring has wrapped many times: the ring
// grows a chunk at a time between the writer and the oldest lap, and every packet since the
// keyframe stays intact through each growth.
TEST(PacketHistory, GrowingAWrappedRingKeepsTheIntervalIntact) {
  PacketHistory h(4096, 16);
  for (int gop = 0; gop < 50; ++gop) {
    for (int i = 0; i < 40; ++i) appendBytes(h, 1000, i == 0);
  }
  const size_t before = h.byteCapacity();
  const uint64_t keyframe = h.head();
  for (int i = 0; i < 600; ++i) {
    appendBytes(h, 1000 + i % 200, i == 0);
    for (uint64_t j = keyframe; j < h.head(); ++j) {
      const HistoryPacket* p = h.at(j);
      ASSERT_NE(p, nullptr) << i << " " << j;
      ASSERT_TRUE(intact(*p)) << i << " " << j;
    }
  }
  EXPECT_GT(h.byteCapacity(), before);
  size_t held = 0;
  for (uint64_t j = keyframe; j < h.head(); ++j) held += h.at(j)->size;
  EXPECT_LE(h.byteCapacity(), held + held / 32 + 2 * kChunk);
}

// A 2 s GOP at ≈ 4 Mbit/s (400 packets of 1,200 bytes a second): once a keyframe is in, what
// came before it stays only kRetainBeforeKeyframeUs, and the ring gives those chunks back. Every
// packet since the keyframe, and within the retention before it, stays intact, also in chunks
// that were given back and taken again.
TEST(PacketHistory, DropsWhatPrecedesTheKeyframeAfterTheRetentionAndReleasesItsChunks) {
  PacketHistory h(2048, 16);
  constexpr int64_t kStepUs = 2500;  // 400 packets a second
  constexpr int kGop = 800;
  int64_t now = 0;
  uint64_t keyframe = UINT64_MAX;
  for (int i = 0; i < 10 * kGop; ++i, now += kStepUs) {
    if (i % kGop == 0) keyframe = h.head();
    appendBytes(h, 1200, i % kGop == 0, now);
    if (i % 97 != 0) continue;
    ASSERT_EQ(h.lastKeyframe(), keyframe);
    for (uint64_t j = keyframe; j < h.head(); ++j) {
      const HistoryPacket* p = h.at(j);
      ASSERT_TRUE(p && intact(*p)) << i << " " << j;
    }
    for (uint64_t j = h.tail(); j < keyframe; ++j) {
      const HistoryPacket* p = h.at(j);
      ASSERT_TRUE(p && intact(*p)) << i << " " << j;
      ASSERT_LE(now - p->arrivalUs, PacketHistory::kRetainBeforeKeyframeUs) << i << " " << j;
    }
    // At most one packet's arrival step beyond the retention is kept before the keyframe.
    if (keyframe > 0 &&
        now - static_cast<int64_t>(h.head() - keyframe) * kStepUs > PacketHistory::kRetainBeforeKeyframeUs) {
      EXPECT_GE(h.tail(), keyframe - PacketHistory::kRetainBeforeKeyframeUs / kStepUs - 1) << i;
    }
  }
  // The ring spans a whole interval; each lap gives back what lay before the keyframe.
  EXPECT_GE(h.byteCapacity(), kGop * 1200u);
  EXPECT_GT(h.chunksReleased(), 8u * (kGop - 200) * 1200u / kChunk);
  // At the end of an interval (the last keyframe came kGop packets ago) it holds its packets,
  // the retention's and at most two partly used chunks.
  size_t held = 0;
  for (uint64_t j = h.tail(); j < h.head(); ++j) held += h.at(j) ? h.at(j)->size : 0;
  EXPECT_LE(h.heldBytes(), held + held / 32 + 2 * kChunk);
  // Half an interval after the next keyframe, the interval before it is gone.
  for (int i = 0; i < kGop / 2; ++i, now += kStepUs) appendBytes(h, 1200, i == 0, now);
  EXPECT_LE(h.heldBytes(), (kGop / 2 + 200) * 1200u * 33 / 32 + 2 * kChunk);
  EXPECT_LT(h.heldBytes(), h.byteCapacity() * 2 / 3);
}

namespace {
// One frame of `packets` packets, the last with the marker bit, arriving at arrivalUs.
void appendFrame(PacketHistory& h, int packets, bool keyframe, int64_t arrivalUs) {
  for (int i = 0; i < packets; ++i) {
    HistoryPacket& p = h.beginAppend();
    std::memset(p.data, static_cast<int>(h.head() & 0xff), 1000);
    p.size = 1000;
    p.keyframeStart = keyframe && i == 0;
    p.marker = i + 1 == packets;
    p.arrivalUs = arrivalUs;
    h.commit();
  }
}
}  // namespace

// The frame before the last keyframe stays with it, past the retention, for readers that start
// one frame early; what precedes that frame still goes.
TEST(PacketHistory, KeepsTheFrameBeforeTheKeyframeWithIt) {
  PacketHistory h(4096, 16);
  int64_t now = 0;
  appendFrame(h, 3, true, now);
  EXPECT_EQ(h.keyframeLead(), UINT64_MAX);  // the stream began at its keyframe
  for (int gop = 0; gop < 3; ++gop) {
    for (int f = 1; f < 30; ++f) appendFrame(h, 3, false, now += 33'333);
    const uint64_t lastFrame = h.head() - 3;
    appendFrame(h, 3, true, now += 33'333);
    EXPECT_EQ(h.keyframeLead(), lastFrame);
    for (int f = 1; f < 30; ++f) appendFrame(h, 3, false, now += 33'333);  // 1 s: past the retention
    ASSERT_EQ(h.keyframeLead(), lastFrame) << gop;
    EXPECT_EQ(h.tail(), lastFrame) << gop;
    for (uint64_t i = lastFrame; i < h.head(); ++i) ASSERT_TRUE(h.at(i) && intact(*h.at(i))) << i;
    appendFrame(h, 3, false, now += 33'333);
  }
  // A keyframe after lost packets has no lead: the frame before it is not whole.
  h.skip(2);
  appendFrame(h, 1, false, now += 33'333);
  appendFrame(h, 3, true, now += 33'333);
  EXPECT_EQ(h.keyframeLead(), UINT64_MAX);
  // Nor one that does not begin right after a marker (a camera without marker bits).
  appendFrame(h, 2, false, now += 33'333);
  HistoryPacket& p = h.beginAppend();
  p.size = 12;
  h.commit();  // no marker
  appendFrame(h, 3, true, now += 33'333);
  EXPECT_EQ(h.keyframeLead(), UINT64_MAX);
}

// Packets without arrival times (or arriving in one burst) are never dropped early, and a
// track without keyframes (audio) keeps what its entries hold.
TEST(PacketHistory, KeepsEverythingWithinTheRetentionOrWithoutKeyframes) {
  PacketHistory video(1024, 1024);
  for (int i = 0; i < 300; ++i) appendBytes(video, 200, i % 100 == 0, 1000 * i);  // 1 ms apart, 60 KB
  EXPECT_EQ(video.tail(), 0u);
  EXPECT_EQ(video.chunksReleased(), 0u);
  PacketHistory audio(256, 256);
  for (int i = 0; i < 1000; ++i) appendBytes(audio, 200, false, 20000 * i);
  EXPECT_EQ(audio.head() - audio.tail(), 256u);
  EXPECT_EQ(audio.chunksReleased(), 0u);
}

// clear() gives every chunk back without losing the index count, and nothing dropped is
// reachable.
TEST(PacketHistory, ClearReleasesTheRingAndKeepsCounting) {
  PacketHistory h(1024, 16);
  for (int i = 0; i < 500; ++i) appendBytes(h, 1200, i % 250 == 0, 2500 * i);
  const uint64_t head = h.head();
  h.clear();
  EXPECT_EQ(h.at(head - 1), nullptr);
  EXPECT_EQ(h.heldBytes(), 0u);
  for (int i = 0; i < 300; ++i) appendBytes(h, 1200, i % 250 == 0, 2500 * (500 + i));
  EXPECT_EQ(h.lastKeyframe(), head + 250);
  for (uint64_t j = h.tail(); j < h.head(); ++j) ASSERT_TRUE(h.at(j) && intact(*h.at(j))) << j;
}

// Two cameras on one worker, out of step: the chunks one history drops before its keyframe
// are the ones the other takes next, so together they hold about their bytes, and the pool
// maps nothing new once both have learnt their interval.
TEST(PacketHistory, HistoriesOnAThreadShareTheChunksTheyDrop) {
  HistoryChunkPool& pool = HistoryChunkPool::local();
  PacketHistory a(2048, 16), b(2048, 16);
  constexpr int64_t kStepUs = 2500;
  constexpr int kGop = 800;  // 2 s
  int64_t now = 0;
  size_t idleAfterWarmUp = 0;
  size_t mostIdle = 0;
  for (int i = 0; i < 8 * kGop; ++i, now += kStepUs) {
    appendBytes(a, 1200, i % kGop == 0, now);
    appendBytes(b, 1200, (i + kGop / 2) % kGop == 0, now);  // keyframes half an interval apart
    if (i == 3 * kGop) idleAfterWarmUp = pool.idleChunks();
    if (i > 3 * kGop) mostIdle = std::max(mostIdle, pool.idleChunks());
  }
  // Each history spans its 2 s interval, but together they hold about 2 × (1 s + 0.5 s) of it.
  const size_t interval = kGop * 1200;
  EXPECT_GE(a.byteCapacity() + b.byteCapacity(), 2 * interval);
  EXPECT_LE(a.heldBytes() + b.heldBytes(), 2 * interval * 3 / 4 * 33 / 32 + 4 * kChunk);
  // The pool's idle chunks never grow past what one history drops at a time.
  EXPECT_LE(mostIdle, idleAfterWarmUp + (interval * 3 / 4) / kChunk + 2);
}

TEST(HistoryChunkPool, ChunksAreAlignedReusedAndGoBackToTheKernelWhenIdle) {
  HistoryChunkPool& pool = HistoryChunkPool::local();
  uint8_t* c = pool.take();
  EXPECT_EQ(HistoryChunkPool::chunkOf(c), c);
  EXPECT_EQ(HistoryChunkPool::chunkOf(c + kChunk - 1), c);
  std::memset(c, 7, kChunk);
  const size_t warm = pool.warmChunks();
  pool.give(c);
  EXPECT_EQ(pool.warmChunks(), warm + 1);
  EXPECT_EQ(pool.take(), c);  // the last given is the first taken, still in memory
  pool.give(c);
  pool.trim(sluice::core::monotonicUs() + HistoryChunkPool::kIdleUs + 1);
  EXPECT_EQ(pool.warmChunks(), 0u);
  // Reused from the cold list (other tests' chunks may lie before it there).
  std::vector<uint8_t*> taken;
  for (size_t n = pool.idleChunks(); n > 0 && (taken.empty() || taken.back() != c); --n)
    taken.push_back(pool.take());
  ASSERT_EQ(taken.back(), c);
  EXPECT_EQ(c[kChunk - 1], 0);  // its pages were given back: zero again,
  EXPECT_EQ(c[100], 0);         // the first one too (an idle chunk's link is kept apart)
  for (uint8_t* t : taken) pool.give(t);
}

// A ring gives up its oldest chunk whole when the writer comes round, so it spans a chunk
// more than its bytes: the newest 64 KB (what a new ring holds) stay for NACKs whatever the
// packets' sizes, even before the last keyframe.
TEST(PacketHistory, GivingUpAChunkKeepsAtLeastTheInitialBytes) {
  PacketHistory h(1024);  // 256 entries, 64 KB to begin with
  for (int i = 0; i < 300; ++i) appendBytes(h, 912, i % 30 == 0);
  const uint64_t held = h.head() - h.tail();
  EXPECT_GE(held * 912, 256u * 256u - 912u);
  for (uint64_t j = h.tail(); j < h.head(); ++j) ASSERT_TRUE(h.at(j) && intact(*h.at(j))) << j;
}
