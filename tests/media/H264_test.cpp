#include "media/H264.h"

#include <gtest/gtest.h>

using namespace sluice::media;

namespace {
// libx264 high profile 1920x1080 SPS and PPS.
const std::vector<uint8_t> kHighSps = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02,
                                       0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
                                       0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc6, 0x58};
const std::vector<uint8_t> kHighPps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
}  // namespace

TEST(H264, NalTypeHelpers) {
  EXPECT_EQ(h264::nalType(0x65), h264::kIdr);
  EXPECT_EQ(h264::nalType(0x7c), h264::kFuA);
  EXPECT_TRUE(h264::isVcl(h264::kSlice));
  EXPECT_TRUE(h264::isVcl(h264::kIdr));
  EXPECT_FALSE(h264::isVcl(h264::kSei));
  EXPECT_TRUE(h264::isSingleNal(23));
  EXPECT_FALSE(h264::isSingleNal(0));
  EXPECT_FALSE(h264::isSingleNal(h264::kStapA));
  EXPECT_TRUE(h264::isParameterSet(h264::kPps));
}

TEST(H264, ParsesSpropParameterSets) {
  H264ParameterSets sets;
  std::string error;
  ASSERT_TRUE(parseSpropParameterSets("Z2QAKKzZQHgCJ+XARAAAAwAEAAADAPA8YMZY,aOvjyyLA", sets, error)) << error;
  EXPECT_EQ(sets.sps, kHighSps);
  EXPECT_EQ(sets.pps, kHighPps);
}

TEST(H264, SpropToleratesSpacesEmptyItemsAndExtraNals) {
  H264ParameterSets sets;
  std::string error;
  // PPS first, a trailing comma, and an SEI (BgUBAg==, type 6) that is ignored.
  ASSERT_TRUE(
      parseSpropParameterSets(" aOvjyyLA , BgUBAg==,Z2QAKKzZQHgCJ+XARAAAAwAEAAADAPA8YMZY,", sets, error))
      << error;
  EXPECT_EQ(sets.sps, kHighSps);
  EXPECT_EQ(sets.pps, kHighPps);
}

TEST(H264, SpropRejectsMalformed) {
  H264ParameterSets sets;
  sets.sps = {1};
  std::string error;
  EXPECT_FALSE(parseSpropParameterSets("Z2QAKKzZ!,aOvjyyLA", sets, error));
  EXPECT_NE(error.find("base64"), std::string::npos);
  EXPECT_FALSE(parseSpropParameterSets("aOvjyyLA", sets, error));
  EXPECT_NE(error.find("SPS"), std::string::npos);
  EXPECT_FALSE(parseSpropParameterSets("Z2QAKKzZQHgCJ+XARAAAAwAEAAADAPA8YMZY", sets, error));
  EXPECT_NE(error.find("PPS"), std::string::npos);
  EXPECT_FALSE(parseSpropParameterSets("", sets, error));
  EXPECT_FALSE(parseSpropParameterSets("=,aOvjyyLA", sets, error));
  EXPECT_EQ(sets.sps, std::vector<uint8_t>{1});  // untouched on failure
}

TEST(H264, ProfileLevelIdIsSixHexChars) {
  EXPECT_EQ(profileLevelIdOf(kHighSps), "640028");
  EXPECT_EQ(profileLevelIdOf({0x67, 0x42, 0xc0, 0x1f}), "42c01f");
  EXPECT_EQ(profileLevelIdOf({0x67, 0x42, 0xc0}), "");
}
