// Live readers get video a whole access unit at a time: packets wait for the one that ends
// their frame (RTP marker), then each reader gets the frame's packets in a row (so a viewer's
// frame leaves as one GSO run); a lost marker costs one frame's wait, a source that never
// marks is forwarded packet by packet; audio never waits; a catching-up reader never gets a
// packet twice.
#include <gtest/gtest.h>

#include <vector>

#include "StreamTestPackets.h"
#include "media/RtpPacket.h"
#include "stream/Stream.h"

using namespace sluice;
using namespace sluice::stream;
using stream_test::kPps;
using stream_test::kSps;

namespace {

int64_t gNowUs = 9'000'000'000;
int64_t fakeClock() { return gNowUs; }

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, size_t payload, uint8_t first, bool marker) {
  auto p = stream_test::rtpPacket(pt, seq, ts, payload, first, 7);
  if (!marker) p[1] &= 0x7f;
  return p;
}

// One shared log of (reader, track, history index) in call order, to see who got what when.
struct Delivery {
  int reader;
  size_t track;
  uint64_t index;
};

struct Reader : StreamReader {
  Reader(int id, std::vector<Delivery>& log) : id(id), log(log) {}
  int id;
  std::vector<Delivery>& log;
  void onStreamPacket(size_t track, const HistoryPacket& p) override { log.push_back({id, track, p.index}); }
  void onStreamEnded(const std::string&) override {}
};

StreamFormat videoAndPcmu() {
  media::TrackDescription video = h264Track(kSps, kPps);
  video.payloadType = 96;
  return {video, media::describeTrack("audio", 0, "PCMU", 8000, 1, "")};
}

// A camera sending each frame as `slices` single-NAL packets; the last one marked unless
// `markLast` is false.
struct Camera {
  Stream& s;
  uint16_t seq = 1;
  uint32_t ts = 0;
  void frame(size_t slices, bool idr = false, bool markLast = true) {
    for (size_t i = 0; i < slices; ++i) {
      const bool last = i + 1 == slices;
      auto v = rtp(96, seq++, ts, 300, idr ? 0x65 : 0x41, last && markLast);
      s.ingestRtp(0, v.data(), v.size());
    }
    ts += 3000;
  }
  void slice(bool marker, bool idr = false) {  // one packet of the current frame
    auto v = rtp(96, seq++, ts, 300, idr ? 0x65 : 0x41, marker);
    s.ingestRtp(0, v.data(), v.size());
    if (marker) ts += 3000;
  }
};

size_t countFor(const std::vector<Delivery>& log, int reader, size_t track) {
  size_t n = 0;
  for (const auto& d : log) n += d.reader == reader && d.track == track;
  return n;
}

// One reader on an H.264 stream, fed by `cam`.
class StreamFramesOneReader : public ::testing::Test {
 protected:
  void SetUp() override {
    s.start(kSps, kPps);
    s.addReader(&r);
  }
  Stream s{"cam", 1024, kMaxRtpPayload, fakeClock};
  std::vector<Delivery> log;
  Reader r{1, log};
  Camera cam{s};
};

}  // namespace

TEST(StreamFrames, AFramesPacketsWaitForItsLastAndEachReaderGetsThemInARow) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  std::vector<Delivery> log;
  Reader a(1, log), b(2, log);
  s.addReader(&a);
  s.addReader(&b);
  Camera cam{s};
  cam.slice(false);
  cam.slice(false);
  EXPECT_TRUE(log.empty()) << "nothing leaves before the frame is complete";
  cam.slice(true);
  ASSERT_EQ(log.size(), 6u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(log[i].reader, 1);
    EXPECT_EQ(log[3 + i].reader, 2);
    EXPECT_EQ(log[i].index, log[0].index + i);
    EXPECT_EQ(log[3 + i].index, log[0].index + i);
  }
  // A frame of one packet goes at once.
  log.clear();
  cam.frame(1);
  EXPECT_EQ(log.size(), 2u);
}

TEST_F(StreamFramesOneReader, ALostMarkerCostsOneFramesWaitAndNothingElse) {
  cam.frame(3, false, false);  // its marked packet was lost
  EXPECT_TRUE(log.empty());
  cam.slice(false);  // the next frame's first packet: the previous frame is over
  EXPECT_EQ(log.size(), 3u);
  cam.slice(true);
  EXPECT_EQ(log.size(), 5u);
  // Frames marked again: whole-frame delivery goes on.
  cam.slice(false);
  EXPECT_EQ(log.size(), 5u);
  cam.slice(true);
  EXPECT_EQ(log.size(), 7u);
  for (size_t i = 1; i < log.size(); ++i) EXPECT_EQ(log[i].index, log[i - 1].index + 1);
}

TEST_F(StreamFramesOneReader, ASourceThatNeverMarksIsForwardedPacketByPacket) {
  for (uint8_t i = 0; i < Stream::kMaxUnmarkedFrames; ++i) cam.frame(2, false, false);
  cam.slice(false);  // ends the third unmarked frame: from now on, no waiting
  const size_t before = log.size();
  EXPECT_EQ(before, 2u * Stream::kMaxUnmarkedFrames + 1);
  cam.slice(false);
  EXPECT_EQ(log.size(), before + 1);
  // A new segment (the camera reconnected) is given the benefit of the doubt again; the
  // reader continues from its first keyframe (with the parameter sets before it).
  s.start(kSps, kPps);
  log.clear();
  cam.slice(false, true);
  EXPECT_TRUE(log.empty());
  cam.slice(true, true);
  EXPECT_EQ(log.size(), 3u);
}

TEST(StreamFrames, AudioIsNotHeldBehindAnUnfinishedFrame) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(videoAndPcmu());
  std::vector<Delivery> log;
  Reader r(1, log);
  s.addReader(&r);
  Camera cam{s};
  cam.slice(false);
  auto a = rtp(0, 500, 0, 160, 0xff, true);
  s.ingestRtp(1, a.data(), a.size());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].track, 1u);
  cam.slice(true);
  EXPECT_EQ(countFor(log, 1, 0), 2u);
}

TEST(StreamFrames, AReaderCatchingUpNeverGetsAHeldPacketTwice) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Camera cam{s};
  cam.frame(2, true);  // the keyframe a new reader starts at
  cam.slice(false);    // half of the next frame: stored, held from live readers
  std::vector<Delivery> log;
  Reader r(1, log);
  s.addReader(&r);  // catches up to where live readers are: the held half is not theirs yet
  const size_t replayed = log.size();
  EXPECT_EQ(replayed, 3u);  // parameter sets + the keyframe's two packets
  cam.slice(true);
  ASSERT_EQ(log.size(), replayed + 2);
  for (size_t i = 1; i < log.size(); ++i) EXPECT_EQ(log[i].index, log[i - 1].index + 1) << "at " << i;
}

TEST(StreamFrames, AReaderThatLeavesInsideAFrameGetsNoMore) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  std::vector<Delivery> log;
  struct Leaving : Reader {
    using Reader::Reader;
    Stream* stream = nullptr;
    void onStreamPacket(size_t track, const HistoryPacket& p) override {
      Reader::onStreamPacket(track, p);
      stream->removeReader(this);
    }
  } leaving(1, log);
  leaving.stream = &s;
  Reader stays(2, log);
  s.addReader(&leaving);
  s.addReader(&stays);
  Camera cam{s};
  cam.frame(3);
  EXPECT_EQ(countFor(log, 1, 0), 1u);
  EXPECT_EQ(countFor(log, 2, 0), 3u);
  EXPECT_EQ(s.readerCount(), 1u);
}

// B-frames: frames whose timestamps are a few frames before the previous one's, again and
// again. Noticed once (logged, the readers of the track told) so WebRTC readers can end and an
// operator learns why; a far jump back or one step back (a source's clock) and frames in order
// are not B-frames. Every packet is still forwarded; the next segment starts unmarked.
struct ReorderReader : Reader {
  using Reader::Reader;
  std::vector<size_t> reordered;
  void onVideoReordered(size_t track) override { reordered.push_back(track); }
};

// Decode order I P B B P B B …: each P two frame intervals on, each B one back.
void sendWithBFrames(Camera& cam, int groups) {
  for (int g = 0; g < groups; ++g) {
    cam.ts += 2 * 3000;
    cam.frame(1);  // P
    cam.ts -= 3 * 3000 + 3000;
    cam.frame(1);  // B
    cam.frame(1);  // B
  }
}

TEST(StreamFrames, FramesOutOfPresentationOrderAreNoticedAsBFrames) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(videoAndPcmu());
  std::vector<Delivery> log;
  ReorderReader video(1, log), audioOnly(2, log);
  s.addReader(&video);
  s.addReader(&audioOnly, TrackMask{1} << 1);
  Camera cam{s};
  cam.frame(1, true);
  for (int i = 0; i < 5; ++i) cam.frame(2);
  cam.ts -= 20 * 90000;  // the camera's clock stepped back 20 s
  cam.frame(1);
  cam.frame(1);
  cam.ts -= 2 * 3000;  // and once by a frame: no B-frames yet
  cam.frame(1);
  cam.frame(1);
  EXPECT_EQ(s.stats().reorderedVideo.load(), 0u);
  EXPECT_TRUE(video.reordered.empty());

  sendWithBFrames(cam, 2);
  EXPECT_EQ(s.stats().reorderedVideo.load(), 1u) << "track 1 has B-frames";
  EXPECT_EQ(video.reordered, std::vector<size_t>{0});
  EXPECT_TRUE(audioOnly.reordered.empty()) << "a reader without the video is not told";
  sendWithBFrames(cam, 3);
  EXPECT_EQ(video.reordered.size(), 1u) << "told once a segment";
  EXPECT_EQ(countFor(log, 1, 0), s.track(0).history().head());

  s.suspend("camera restarts", 10'000'000);
  s.start(videoAndPcmu());
  EXPECT_EQ(s.stats().reorderedVideo.load(), 0u) << "a new segment may come without B-frames";
}

TEST(StreamFrames, StepsBackFarApartAreNotBFrames) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Camera cam{s};
  cam.frame(1, true);
  for (int i = 0; i < 4; ++i) {
    cam.ts -= 2 * 3000;  // the clock steps back a little, every 3 s
    cam.frame(1);
    cam.frame(1);
    gNowUs += 3'000'000;
  }
  EXPECT_EQ(s.stats().reorderedVideo.load(), 0u);
}
