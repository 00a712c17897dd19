#include "media/AnnexB.h"

#include <gtest/gtest.h>

#include <vector>

using namespace sluice::media;

namespace {

std::vector<std::vector<uint8_t>> bytesOf(const std::vector<NalUnitSpan>& nals) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& n : nals) out.emplace_back(n.data, n.data + n.size);
  return out;
}

// Slice NAL units; `firstMb0` makes first_mb_in_slice == 0 (first bit 1).
std::vector<uint8_t> slice(uint8_t type, bool firstMb0) {
  return {static_cast<uint8_t>(0x40 | type), static_cast<uint8_t>(firstMb0 ? 0x88 : 0x4c), 0x21};
}

std::vector<uint8_t> stream(const std::vector<std::vector<uint8_t>>& nals) {
  std::vector<uint8_t> out;
  for (const auto& n : nals) {
    out.insert(out.end(), {0, 0, 0, 1});
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

}  // namespace

TEST(AnnexB, SplitsThreeAndFourByteStartCodes) {
  std::vector<uint8_t> s = {0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0x00, 0x00, 0x01, 0x68, 0xce,
                            0x00, 0x00, 0x00, 0x01, 0x65, 0x88, 0x00, 0x00, 0x03, 0x01, 0x00};
  auto nals = bytesOf(splitAnnexB(s.data(), s.size()));
  ASSERT_EQ(nals.size(), 3u);
  EXPECT_EQ(nals[0], (std::vector<uint8_t>{0x67, 0x42}));
  EXPECT_EQ(nals[1], (std::vector<uint8_t>{0x68, 0xce}));
  // Emulation prevention is kept; the trailing zero byte is not part of the NAL unit.
  EXPECT_EQ(nals[2], (std::vector<uint8_t>{0x65, 0x88, 0x00, 0x00, 0x03, 0x01}));
}

TEST(AnnexB, SkipsLeadingGarbageAndEmptyNals) {
  std::vector<uint8_t> s = {0xff, 0x12, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x09, 0xf0, 0x00, 0x00, 0x01};
  auto nals = bytesOf(splitAnnexB(s.data(), s.size()));
  ASSERT_EQ(nals.size(), 1u);
  EXPECT_EQ(nals[0], (std::vector<uint8_t>{0x09, 0xf0}));
  EXPECT_TRUE(splitAnnexB(nullptr, 0).empty());
  std::vector<uint8_t> noStartCode = {0x65, 0x88, 0x84};
  EXPECT_TRUE(splitAnnexB(noStartCode.data(), noStartCode.size()).empty());
}

TEST(AnnexB, GroupsAccessUnits) {
  std::vector<std::vector<uint8_t>> nals = {
      {0x09, 0xf0},                      // AUD
      {0x67, 0x42, 0xc0},                // SPS
      {0x68, 0xce},                      // PPS
      {0x06, 0x05, 0x01},                // SEI
      slice(5, true),                    // IDR, first slice
      slice(5, false),                   // IDR, second slice: same AU
      slice(1, true),                    // new picture without AUD
      {0x06, 0x05, 0x02},                // SEI after a slice: new AU
      slice(1, true),                    // first slice of that AU
      {0x09, 0xf0},                      // AUD: new AU
      slice(1, true),     {0x0c, 0xff},  // filler after a slice stays in the AU
  };
  auto s = stream(nals);
  auto units = splitAccessUnits(s.data(), s.size());
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[0].size(), 6u);
  EXPECT_EQ(units[1].size(), 1u);
  EXPECT_EQ(units[2].size(), 2u);
  EXPECT_EQ(units[3].size(), 3u);
  EXPECT_EQ(units[3][0].data[0], 0x09);
}

TEST(AnnexB, SplitterReportsBoundaries) {
  AccessUnitSplitter splitter;
  auto sps = std::vector<uint8_t>{0x67, 0x42};
  auto idr = slice(5, true);
  auto p = slice(1, true);
  auto p2 = slice(1, false);
  EXPECT_FALSE(splitter.startsNewAccessUnit({sps.data(), sps.size()}));
  EXPECT_FALSE(splitter.startsNewAccessUnit({idr.data(), idr.size()}));
  EXPECT_TRUE(splitter.startsNewAccessUnit({p.data(), p.size()}));
  EXPECT_FALSE(splitter.startsNewAccessUnit({p2.data(), p2.size()}));
  EXPECT_TRUE(splitter.startsNewAccessUnit({sps.data(), sps.size()}));
  splitter.reset();
  EXPECT_FALSE(splitter.startsNewAccessUnit({p.data(), p.size()}));
  uint8_t headerOnly = 0x41;  // a slice with no body cannot start a picture
  EXPECT_FALSE(splitter.startsNewAccessUnit({&headerOnly, 1}));
}
