#include "media/H264Depacketizer.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {

struct Collected {
  std::vector<uint8_t> bytes;
  uint32_t timestamp;
  bool keyframe;
};

class DepacketizerTest : public ::testing::Test {
 protected:
  DepacketizeError push(std::vector<uint8_t> payload, uint32_t ts, bool marker) {
    return depacketizer.push(payload.data(), payload.size(), ts, seq++, marker);
  }
  std::vector<Collected> units;
  H264Depacketizer depacketizer{[this](const H264AccessUnit& au) {
    units.push_back({{au.data, au.data + au.size}, au.timestamp, au.keyframe});
  }};
  uint16_t seq = 100;
};

}  // namespace

TEST_F(DepacketizerTest, SingleNalsFormAnAccessUnitAtMarker) {
  EXPECT_EQ(push({0x06, 0x01}, 10, false), DepacketizeError::None);
  EXPECT_TRUE(units.empty());
  EXPECT_EQ(push({0x65, 0x88}, 10, true), DepacketizeError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].bytes, (std::vector<uint8_t>{0, 0, 0, 1, 0x06, 0x01, 0, 0, 0, 1, 0x65, 0x88}));
  EXPECT_EQ(units[0].timestamp, 10u);
  EXPECT_TRUE(units[0].keyframe);
  EXPECT_EQ(depacketizer.accessUnits(), 1u);
}

TEST_F(DepacketizerTest, TimestampChangeEndsAccessUnitWithoutMarker) {
  push({0x41, 0x01}, 10, false);
  push({0x41, 0x02}, 20, false);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_FALSE(units[0].keyframe);
  depacketizer.flush();
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[1].timestamp, 20u);
}

TEST_F(DepacketizerTest, UnpacksStapA) {
  EXPECT_EQ(push({0x78, 0, 2, 0x67, 0x42, 0, 1, 0x68, 0, 2, 0x65, 0x99}, 10, true), DepacketizeError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].bytes,
            (std::vector<uint8_t>{0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0, 0, 0, 1, 0x65, 0x99}));
}

TEST_F(DepacketizerTest, ReassemblesFuA) {
  push({0x7c, 0x85, 1, 2}, 10, false);
  push({0x7c, 0x05, 3}, 10, false);
  push({0x7c, 0x45, 4, 5}, 10, true);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].bytes, (std::vector<uint8_t>{0, 0, 0, 1, 0x65, 1, 2, 3, 4, 5}));
}

TEST_F(DepacketizerTest, DropsAccessUnitWithMissingFragment) {
  push({0x7c, 0x85, 1, 2}, 10, false);
  ++seq;  // the middle fragment is lost
  push({0x7c, 0x45, 4, 5}, 10, true);
  EXPECT_TRUE(units.empty());
  EXPECT_EQ(depacketizer.droppedAccessUnits(), 1u);
  push({0x41, 1}, 20, true);
  EXPECT_EQ(units.size(), 1u);
}

TEST_F(DepacketizerTest, DropsFuAWithoutStartOrEnd) {
  push({0x7c, 0x05, 3}, 10, true);  // stream joined mid-fragment
  push({0x7c, 0x85, 1}, 20, true);  // never ended
  EXPECT_TRUE(units.empty());
  EXPECT_EQ(depacketizer.droppedAccessUnits(), 2u);
}

TEST_F(DepacketizerTest, DropsAccessUnitAfterSequenceGap) {
  push({0x41, 1}, 10, false);
  seq += 3;
  push({0x41, 2}, 10, true);
  EXPECT_TRUE(units.empty());
  EXPECT_EQ(depacketizer.droppedAccessUnits(), 1u);
}

TEST_F(DepacketizerTest, RejectsMalformedPayloads) {
  EXPECT_EQ(push({}, 10, false), DepacketizeError::EmptyPayload);
  EXPECT_EQ(push({0x78}, 10, false), DepacketizeError::MalformedStapA);
  EXPECT_EQ(push({0x78, 0, 5, 0x67}, 10, false), DepacketizeError::MalformedStapA);
  EXPECT_EQ(push({0x78, 0, 1, 0x67, 0}, 10, false), DepacketizeError::MalformedStapA);
  EXPECT_EQ(push({0x78, 0, 0}, 10, false), DepacketizeError::MalformedStapA);
  EXPECT_EQ(push({0x7c, 0x85}, 10, false), DepacketizeError::MalformedFuA);
  EXPECT_EQ(push({0x7c}, 10, false), DepacketizeError::MalformedFuA);
  EXPECT_EQ(push({0x7c, 0x9c, 1}, 10, false), DepacketizeError::MalformedFuA);
  for (uint8_t type : {0, 25, 26, 27, 29, 30, 31}) {
    EXPECT_EQ(push({type, 1, 2, 3}, 10, false), DepacketizeError::Unsupported) << int(type);
  }
  push({0x41, 1}, 10, true);
  EXPECT_TRUE(units.empty());  // the access unit had malformed packets
  EXPECT_EQ(depacketizer.malformedPayloads(), 15u);
  EXPECT_STRNE(describe(DepacketizeError::MalformedFuA), describe(DepacketizeError::MalformedStapA));
}

TEST_F(DepacketizerTest, PushRtpParsesHeader) {
  uint8_t packet[14];
  RtpHeader h;
  h.marker = true;
  h.sequence = 5;
  h.timestamp = 77;
  writeRtpHeader(packet, h);
  packet[12] = 0x41;
  packet[13] = 0x9a;
  EXPECT_EQ(depacketizer.pushRtp(packet, sizeof packet), DepacketizeError::None);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].timestamp, 77u);
  packet[0] = 0;
  EXPECT_EQ(depacketizer.pushRtp(packet, sizeof packet), DepacketizeError::MalformedRtp);
}
