#include "media/Mp4H264Reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "media/H264.h"

using namespace sluice::media;

namespace {

std::string dataFile(const char* name) {
  return std::string(SLUICE_SOURCE_DIR) + "/tests/media/data/" + name;
}

std::vector<uint8_t> fileBytes(const char* name) {
  FILE* f = std::fopen(dataFile(name).c_str(), "rb");
  std::vector<uint8_t> out;
  if (!f) return out;
  uint8_t buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.insert(out.end(), buf, buf + n);
  std::fclose(f);
  return out;
}

}  // namespace

TEST(Mp4H264Reader, ReadsTheH264TrackWithoutDecoding) {
  // ffmpeg: 12 frames of 160x96 at 10 fps, an IDR every 5 frames.
  Mp4ReadResult r = readMp4H264File(dataFile("small-h264.mp4"));
  ASSERT_TRUE(r.clip) << r.error;
  const H264Clip& clip = *r.clip;
  EXPECT_EQ(clip.width, 160u);
  EXPECT_EQ(clip.height, 96u);
  ASSERT_EQ(clip.frames.size(), 12u);
  EXPECT_TRUE(clip.frames[0].idr);
  EXPECT_TRUE(clip.frames[5].idr);
  EXPECT_FALSE(clip.frames[1].idr);
  EXPECT_EQ(h264::nalType(clip.sps[0]), h264::kSps);
  EXPECT_EQ(h264::nalType(clip.pps[0]), h264::kPps);
  for (const H264ClipFrame& f : clip.frames) EXPECT_EQ(f.durationTicks, 9000u);  // 100 ms
  EXPECT_TRUE(r.skipped.empty());
}

TEST(Mp4H264Reader, SkipsOtherTracksAndKeepsPresentationOffsets) {
  // ffmpeg: H.264 main with B-frames (ctts) and an AAC track.
  Mp4ReadResult r = readMp4H264File(dataFile("bframes-audio.mp4"));
  ASSERT_TRUE(r.clip) << r.error;
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0], "mp4a");
  bool reordered = false;
  for (const H264ClipFrame& f : r.clip->frames) {
    reordered = reordered || f.presentationOffset != r.clip->frames[0].presentationOffset;
  }
  EXPECT_TRUE(reordered);
}

TEST(Mp4H264Reader, RefusesBadFilesWithAClearError) {
  EXPECT_NE(readMp4H264File("/nonexistent/x.mp4").error.find("cannot open"), std::string::npos);
  EXPECT_NE(readMp4H264({}).error.find("not an MP4"), std::string::npos);
  std::vector<uint8_t> text(std::begin("hello world, not a box"), std::end("hello world, not a box"));
  EXPECT_FALSE(readMp4H264(text).error.empty());

  std::vector<uint8_t> good = fileBytes("small-h264.mp4");
  ASSERT_GT(good.size(), 1000u);
  // Truncated: the sample data (or the moov) is cut off.
  for (size_t cut : {good.size() / 2, good.size() - 10, size_t{40}}) {
    std::vector<uint8_t> part(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    Mp4ReadResult r = readMp4H264(part);
    EXPECT_FALSE(r.clip) << "cut at " << cut;
    EXPECT_FALSE(r.error.empty());
  }
  // A box size that runs past the file.
  std::vector<uint8_t> bad = good;
  bad[0] = 0x7f;
  EXPECT_NE(readMp4H264(bad).error.find("runs past"), std::string::npos);
}

TEST(Mp4H264Reader, RefusesFramesWithoutDuration) {
  std::vector<uint8_t> f = fileBytes("small-h264.mp4");
  // Zero every sample delta of the 'stts' table.
  const uint8_t stts[] = {'s', 't', 't', 's'};
  auto it = std::search(f.begin(), f.end(), std::begin(stts), std::end(stts));
  ASSERT_NE(it, f.end());
  size_t pos = static_cast<size_t>(it - f.begin()) + 4;  // version/flags, count, entries
  uint32_t entries = (f[pos + 4] << 24) | (f[pos + 5] << 16) | (f[pos + 6] << 8) | f[pos + 7];
  for (uint32_t e = 0; e < entries; ++e) {
    std::fill_n(f.begin() + static_cast<std::ptrdiff_t>(pos + 8 + e * 8 + 4), 4, 0);
  }
  Mp4ReadResult r = readMp4H264(f);
  EXPECT_FALSE(r.clip);
  EXPECT_NE(r.error.find("no duration"), std::string::npos) << r.error;
}

TEST(Mp4H264Reader, RefusesAFileWithoutH264) {
  // Only an 'ftyp' and a 'moov' without tracks.
  std::vector<uint8_t> f = {0, 0, 0, 16, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0,
                            0, 0, 0, 8,  'm', 'o', 'o', 'v'};
  EXPECT_EQ(readMp4H264(f).error, "file does not contain any track");
}
