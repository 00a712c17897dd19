#include "media/H265Packetizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "media/H265.h"

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes readClip() {
  std::ifstream in(SLUICE_SOURCE_DIR "/tests/media/data/clip_320x240_main.h265", std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(H265AccessUnits, SplitsTheClipIntoItsPictures) {
  Bytes clip = readClip();
  auto units = splitH265AccessUnits(clip.data(), clip.size());
  ASSERT_EQ(units.size(), 20u);  // the clip's 20 frames, each opened by its AUD
  for (const auto& au : units) EXPECT_EQ(h265::nalType(au[0].data), h265::kAud);
  EXPECT_EQ(h265::nalType(units[0][1].data), h265::kVps);
  EXPECT_EQ(h265::nalType(units[10][1].data), h265::kVps);
}

TEST(H265AccessUnits, SplitsWithoutAudsAtTheFirstSliceOfEachPicture) {
  // VPS SPS PPS IDR(first) IDR(second slice) TRAIL(first) TRAIL(first)
  Bytes stream;
  auto add = [&](std::initializer_list<uint8_t> nal) {
    stream.insert(stream.end(), {0, 0, 0, 1});
    stream.insert(stream.end(), nal);
  };
  add({0x40, 1, 0xc});
  add({0x42, 1, 0x1});
  add({0x44, 1, 0xc0});
  add({0x26, 1, 0x80, 5});
  add({0x26, 1, 0x20, 6});
  add({0x02, 1, 0x80, 7});
  add({0x02, 1, 0x80, 8});
  auto units = splitH265AccessUnits(stream.data(), stream.size());
  ASSERT_EQ(units.size(), 3u);
  EXPECT_EQ(units[0].size(), 5u);
  EXPECT_EQ(units[1].size(), 1u);
  EXPECT_EQ(units[2].size(), 1u);
  EXPECT_TRUE(splitH265AccessUnits(nullptr, 0).empty());
}

TEST(H265Packetizer, SinglesAndFullFragmentsWithTheMarkerLast) {
  Bytes big(3000);
  big[0] = 0x26;  // IDR_W_RADL
  big[1] = 0x01;
  for (size_t i = 2; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i);
  Bytes small = {0x02, 0x01, 0xaa};
  NalUnitSpan nals[] = {{small.data(), small.size()}, {big.data(), big.size()}, {small.data(), 1}};
  H265Packetizer packetizer(1000);
  std::vector<Bytes> out;
  std::vector<bool> markers;
  packetizer.packetize(nals, 3, [&](const uint8_t* p, size_t n, bool marker) {
    out.emplace_back(p, p + n);
    markers.push_back(marker);
  });
  ASSERT_EQ(out.size(), 5u);  // small + 2998 bytes in FUs of 997: 4 fragments
  EXPECT_EQ(out[0], small);
  EXPECT_EQ(out[1].size(), 1000u);
  EXPECT_EQ(out[2].size(), 1000u);
  EXPECT_EQ(out[3].size(), 1000u);
  EXPECT_EQ(out[4].size(), 3u + 2998 - 3 * 997);
  EXPECT_EQ(out[1][0], 49 << 1);
  EXPECT_EQ(out[1][2], 0x80 | 19);
  EXPECT_EQ(out[4][2], 0x40 | 19);
  EXPECT_EQ(markers, (std::vector<bool>{false, false, false, false, true}));
  Bytes body;
  for (size_t i = 1; i < out.size(); ++i) body.insert(body.end(), out[i].begin() + 3, out[i].end());
  EXPECT_EQ(body, Bytes(big.begin() + 2, big.end()));
}
