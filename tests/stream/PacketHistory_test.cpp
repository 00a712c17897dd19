#include "stream/PacketHistory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

using namespace sluice::stream;

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
// packet's data from another's after the ring wrapped or grew.
void appendBytes(PacketHistory& h, size_t size, bool keyframe) {
  HistoryPacket& p = h.beginAppend();
  std::memset(p.data, static_cast<int>(h.head() & 0xff), size);
  p.size = static_cast<uint16_t>(size);
  p.keyframeStart = keyframe;
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
  // short last one per frame, as the shapers emit them. The bytes held stay within 3 % of one
  // interval's bytes (fixed 1.2 KB slots for a power-of-two count cost twice that).
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
  // Packets of at most one RTP size plus the last growth step of 1/32.
  EXPECT_LE(h.byteCapacity(), gopBytes + gopBytes / 32 + 2 * kMaxRtpPacket + 4096);
}

TEST(PacketHistory, WithoutKeyframesHoldsWhatItsEntriesCan) {
  // Audio: 256 entries of 172 bytes (G.711, 20 ms) fit in the initial ring; the packets of
  // the last 256 indexes are all held and intact.
  PacketHistory h(256, 256);
  const size_t initialBytes = h.byteCapacity();
  for (int i = 0; i < 2000; ++i) appendBytes(h, 172, false);
  EXPECT_EQ(h.byteCapacity(), initialBytes);
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
  EXPECT_LE(h.byteCapacity(), 16 * kMaxRtpPacket + 4096);  // in whole pages
  EXPECT_EQ(h.lastKeyframe(), UINT64_MAX);                 // a keyframe interval longer than the maximum
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
  EXPECT_LE(h.byteCapacity(), 1024 * kMaxRtpPacket + 4096);
}

// A camera whose keyframe interval lengthens after the ring has wrapped many times: the ring
// grows while its oldest lap lies after the write position (that lap moves to the new end),
// and every packet since the keyframe stays intact through each growth.
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
  EXPECT_LE(h.byteCapacity(), held + held / 32 + 2 * kMaxRtpPacket + 16 * 1024 + 4096);
}
