// The video accounting sluice-load's WHEP viewers and RTSP readers share: a keyframe counts
// (TTFF) only when complete with its parameter sets, duplicates are counted and go no further,
// latency of first transmissions comes from the sender report's wall clock, and a keyframe is
// waited for again when asked.
#include "load/VideoTrackReception.h"

#include <gtest/gtest.h>

#include "load/H264PayloadFlags.h"

namespace sluice::load {
namespace {

using Outcome = VideoTrackReception::Outcome;
namespace pf = payload_flags;

constexpr int64_t kNow = 1'000'000'000;           // monotonic µs
constexpr int64_t kWall = 1'800'000'000'000'000;  // Unix µs

uint64_t unixUsToNtp(int64_t us) {
  const uint64_t seconds = static_cast<uint64_t>(us / 1'000'000) + 2208988800ULL;
  const uint64_t fraction = (static_cast<uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

Outcome packet(VideoTrackReception& v, uint16_t seq, uint32_t ts, bool marker, uint8_t flags,
               int64_t wallUs = kWall) {
  return v.onPacket(v.sequences().extend(seq), ts, marker, flags, true, 1000, wallUs, kNow);
}

TEST(VideoTrackReception, AKeyframeCountsOnlyWhenCompleteWithItsParameterSets) {
  SessionResult counters;
  VideoTrackReception v(counters, 90000);
  // An IDR alone, no SPS/PPS seen yet: complete but not decodable.
  EXPECT_EQ(packet(v, 100, 1000, true, pf::kKnown | pf::kStartsAccessUnit | pf::kIdr), Outcome::Counted);
  EXPECT_TRUE(v.waitingKeyframe());
  // The next access unit: SPS+PPS (STAP-A) then the IDR in two fragments.
  EXPECT_EQ(packet(v, 101, 4000, false, pf::kKnown | pf::kStartsAccessUnit | pf::kSps | pf::kPps),
            Outcome::Counted);
  EXPECT_EQ(packet(v, 102, 4000, false, pf::kKnown | pf::kIdr), Outcome::Counted);
  EXPECT_EQ(packet(v, 103, 4000, true, pf::kKnown | pf::kIdr), Outcome::KeyframeCompleted);
  EXPECT_FALSE(v.waitingKeyframe());
  EXPECT_EQ(counters.keyframes, 1u);
  EXPECT_EQ(counters.packets, 4u);
  EXPECT_EQ(counters.bytes, 4000u);
  // Not waiting: a later keyframe is counted as a packet only.
  EXPECT_EQ(packet(v, 104, 7000, true, pf::kKnown | pf::kStartsAccessUnit | pf::kSps | pf::kPps | pf::kIdr),
            Outcome::Counted);
  v.waitForKeyframe();
  EXPECT_EQ(packet(v, 105, 10000, true, pf::kKnown | pf::kStartsAccessUnit | pf::kIdr),
            Outcome::KeyframeCompleted)
      << "parameter sets seen earlier count";
  EXPECT_EQ(counters.keyframes, 2u);
}

TEST(VideoTrackReception, AKeyframeWithAnUnreadPacketDoesNotComplete) {
  SessionResult counters;
  VideoTrackReception v(counters, 90000);
  packet(v, 1, 1000, false, pf::kKnown | pf::kStartsAccessUnit | pf::kSps | pf::kPps);
  const int64_t ext = v.sequences().extend(2);
  EXPECT_EQ(v.onPacket(ext, 1000, true, pf::kKnown | pf::kIdr, false, 1000, kWall, kNow), Outcome::Counted)
      << "not read (--sample): cannot complete";
  EXPECT_TRUE(v.waitingKeyframe());
}

TEST(VideoTrackReception, DuplicatesAreCountedAndGoNoFurther) {
  SessionResult counters;
  VideoTrackReception v(counters, 90000);
  packet(v, 7, 1000, true, pf::kKnown);
  EXPECT_EQ(packet(v, 7, 1000, true, pf::kKnown), Outcome::Duplicate);
  EXPECT_EQ(counters.duplicates, 1u);
  EXPECT_EQ(counters.packets, 1u);
}

TEST(VideoTrackReception, LatencyIsTheSenderReportsWallClockOfTheTimestamp) {
  SessionResult counters;
  VideoTrackReception v(counters, 90000);
  int64_t sent = 0;
  EXPECT_FALSE(v.senderWallUs(0, sent)) << "no sender report yet";
  packet(v, 1, 90000, true, pf::kKnown);  // before any SR: no latency sample
  EXPECT_EQ(counters.latency.count(), 0u);
  v.onSenderReport(unixUsToNtp(kWall), 90000);
  ASSERT_TRUE(v.senderWallUs(90000 + 9000, sent));
  EXPECT_NEAR(static_cast<double>(sent), static_cast<double>(kWall + 100'000), 1.0);  // 9,000 ticks = 100 ms
  // Sent 100 ms after the SR's instant, received 5 ms after that.
  packet(v, 2, 90000 + 9000, true, pf::kKnown, kWall + 105'000);
  ASSERT_EQ(counters.latency.count(), 1u);
  EXPECT_NEAR(counters.latency.percentileUs(50), 5000.0, 5000.0 / 50);
  // A clock rate other than 90 kHz (set from an RTSP track's SDP).
  v.setClockRate(1000);
  ASSERT_TRUE(v.senderWallUs(90000 + 10, sent));
  EXPECT_NEAR(static_cast<double>(sent), static_cast<double>(kWall + 10'000), 1.0);
}

}  // namespace
}  // namespace sluice::load
