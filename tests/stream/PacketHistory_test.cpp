#include "stream/PacketHistory.h"

#include <gtest/gtest.h>

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
