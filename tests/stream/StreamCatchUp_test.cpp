// A new reader catching up on the cached GOP: the keyframe and the first 200 ms at once, the
// rest at four times the stream's pace, every packet once and in order, then live; audio
// keeps pace with video; a reader the history overran moves ahead to the last keyframe.
#include <gtest/gtest.h>

#include <vector>

#include "StreamTestPackets.h"
#include "media/Rtcp.h"
#include "media/RtpPacket.h"
#include "stream/Stream.h"

using namespace sluice;
using namespace sluice::stream;
using stream_test::kPps;
using stream_test::kSps;

namespace {

int64_t gNowUs = 7'000'000'000;
int64_t fakeClock() { return gNowUs; }

constexpr int64_t kFrameUs = 33'333;

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, size_t payload, uint8_t first) {
  return stream_test::rtpPacket(pt, seq, ts, payload, first, 9);
}

// 30 fps, one packet per frame, an IDR every `gop` frames; optionally 20 ms PCMU beside it.
struct Camera {
  Stream& s;
  int gop;
  bool audio = false;
  uint16_t vseq = 1, aseq = 900;
  uint32_t vts = 0, ats = 0;
  int frame = 0;
  // One frame's media; `advance` false: it arrives in a burst with the frames before.
  void step(bool advance = true) {
    if (advance) gNowUs += kFrameUs;
    auto v = rtp(96, vseq++, vts, 400, frame % gop == 0 ? 0x65 : 0x41);
    s.ingestRtp(0, v.data(), v.size());
    vts += 3000;
    ++frame;
    while (audio && static_cast<int64_t>(ats) * 90000 / 8000 < static_cast<int64_t>(vts)) {
      auto a = rtp(0, aseq++, ats, 160, 0xff);
      s.ingestRtp(1, a.data(), a.size());
      ats += 160;
    }
  }
};

struct Reader : StreamReader {
  std::vector<std::pair<size_t, uint64_t>> got;  // (track, history index)
  std::vector<int64_t> captures;
  std::vector<bool> keyframeStarts;
  void onStreamPacket(size_t track, const HistoryPacket& p) override {
    got.emplace_back(track, p.index);
    captures.push_back(p.captureUs);
    keyframeStarts.push_back(p.keyframeStart);
  }
  void onStreamEnded(const std::string&) override {}
  std::vector<uint64_t> indexes(size_t track) const {
    std::vector<uint64_t> out;
    for (auto& [t, i] : got)
      if (t == track) out.push_back(i);
    return out;
  }
};

void expectConsecutive(const std::vector<uint64_t>& v, uint64_t first) {
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], first + i) << "at " << i;
}

}  // namespace

TEST(StreamCatchUp, TheKeyframeGoesAtOnceAndTheRestOfTheCacheAtFourTimesThePace) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Camera cam{s, 60};
  for (int i = 0; i < 60; ++i) cam.step();  // a 2 s GOP, joined at its end: 60 frames cached

  Reader r;
  s.addReader(&r);
  // The keyframe (its parameter sets lead it) and what was captured within 200 ms of it:
  // frames 0..6.
  ASSERT_EQ(r.got.size(), 8u);
  EXPECT_TRUE(r.keyframeStarts[0]);

  // Each live frame (33 ms) releases about four cached ones, until the reader is live:
  // (1,967 - 200) ms of cache at 4x against 1x live takes ≈ 590 ms, 18 frames.
  int liveFrames = 0;
  while (r.got.size() < s.track(0).history().head() && liveFrames < 40) {
    const size_t before = r.got.size();
    cam.step();
    ++liveFrames;
    const size_t added = r.got.size() - before;
    EXPECT_GE(added, 3u) << "live frame " << liveFrames;
    EXPECT_LE(added, 5u) << "live frame " << liveFrames;
  }
  EXPECT_GE(liveFrames, 16);
  EXPECT_LE(liveFrames, 20);
  // Then one packet per frame, as it comes; every packet exactly once and in order.
  for (int i = 0; i < 10; ++i) {
    const size_t before = r.got.size();
    cam.step();
    EXPECT_EQ(r.got.size(), before + 1);
  }
  expectConsecutive(r.indexes(0), 0);
  EXPECT_EQ(r.got.size(), s.track(0).history().head());
  EXPECT_EQ(s.stats().readerSkips.load(), 0u);
}

struct LeadReader : Reader {
  bool startsFrameBeforeKeyframe() const override { return true; }
};

// ffmpeg's RTSP demuxer loses the first frame's timestamp: a reader that asks starts one
// frame before the keyframe (the P frame that ended the previous interval), the others at it.
TEST(StreamCatchUp, AReaderThatAsksStartsOneFrameBeforeTheKeyframe) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Camera cam{s, 10};
  for (int i = 0; i < 3; ++i) cam.step();  // the stream began at a keyframe: nothing before it
  LeadReader early;
  s.addReader(&early);
  ASSERT_FALSE(early.got.empty());
  EXPECT_EQ(early.got[0].second, 0u);
  EXPECT_TRUE(early.keyframeStarts[0]);
  s.removeReader(&early);

  for (int i = 3; i < 25; ++i) cam.step();  // keyframes at frames 10 and 20, long out of the retention
  for (int i = 0; i < 40; ++i) gNowUs += kFrameUs;
  cam.step();
  const uint64_t keyframe = s.track(0).history().lastKeyframe();
  const uint64_t lead = s.track(0).history().keyframeLead();
  ASSERT_NE(keyframe, UINT64_MAX);
  EXPECT_EQ(lead, keyframe - 1);  // frame 19: one packet, its marker set

  Reader plain;
  LeadReader withLead;
  s.addReader(&plain);
  s.addReader(&withLead);
  ASSERT_FALSE(plain.got.empty());
  EXPECT_EQ(plain.got[0].second, keyframe);
  ASSERT_GE(withLead.got.size(), 2u);
  EXPECT_EQ(withLead.got[0].second, lead);
  EXPECT_FALSE(withLead.keyframeStarts[0]);
  EXPECT_EQ(withLead.got[1].second, keyframe);
  EXPECT_TRUE(withLead.keyframeStarts[1]);
  s.removeReader(&plain);
  s.removeReader(&withLead);
}

TEST(StreamCatchUp, AudioIsReleasedAtTheSamePaceAsVideo) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  media::TrackDescription video = h264Track(kSps, kPps);
  video.payloadType = 96;
  s.start(StreamFormat{video, media::describeTrack("audio", 0, "PCMU", 8000, 1, "")});
  Camera cam{s, 90, true};
  for (int i = 0; i < 90; ++i) cam.step();  // 3 s cached, 150 audio packets

  Reader r;
  s.addReader(&r);
  for (int i = 0; i < 60; ++i) cam.step();
  // Whatever was handed over so far, audio never ran more than one pace step (a frame's
  // worth of the 4x pace, 133 ms, plus a packet) ahead of video, nor behind it.
  int64_t lastVideo = 0;
  for (size_t i = 0; i < r.got.size(); ++i) {
    if (r.got[i].first == 0) {
      lastVideo = r.captures[i];
    } else {
      EXPECT_LE(r.captures[i] - lastVideo, 4 * kFrameUs + 20'000) << "packet " << i;
    }
  }
  // All of it, in order, once: the audio from the keyframe's instant on.
  const auto v = r.indexes(0), a = r.indexes(1);
  expectConsecutive(v, 0);
  ASSERT_FALSE(a.empty());
  expectConsecutive(a, a.front());
  EXPECT_EQ(v.size(), s.track(0).history().head());
  EXPECT_EQ(a.back() + 1, s.track(1).history().head());
}

TEST(StreamCatchUp, AReaderTheHistoryOverranMovesAheadToTheLastKeyframe) {
  // A history of 64 packets and a 1 s GOP: a burst of frames (a camera flushing its backlog
  // after a network stall) arrives faster than the new reader's pace.
  Stream s("cam", 64, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Camera cam{s, 30};
  for (int i = 0; i < 30; ++i) cam.step();
  Reader r;
  s.addReader(&r);
  ASSERT_EQ(r.got.size(), 8u);  // parameter sets, frames 0..6
  for (int i = 0; i < 100; ++i) cam.step(false);

  EXPECT_EQ(s.stats().readerSkips.load(), 1u);
  // Frames 0..6, then from a later keyframe on, consecutive, up to the live edge.
  const auto v = r.indexes(0);
  expectConsecutive(std::vector<uint64_t>(v.begin(), v.begin() + 8), 0);
  ASSERT_GT(v.size(), 8u);
  EXPECT_TRUE(r.keyframeStarts[8]);
  EXPECT_GE(v[8], 31u);  // a later keyframe (frame 30's parameter sets are index 31)
  expectConsecutive(std::vector<uint64_t>(v.begin() + 8, v.end()), v[8]);
  EXPECT_EQ(v.back() + 1, s.track(0).history().head());
  // Live from there.
  const size_t before = r.got.size();
  cam.step();
  EXPECT_EQ(r.got.size(), before + 1);
}

// Moving a reader ahead never hands it again what it had: here the camera's video clock steps
// back five seconds (its encoder restarted inside the session), so the later keyframe's capture
// time lies before audio the reader already got.
TEST(StreamCatchUp, AReaderMovedAheadIsNotHandedAgainWhatItHad) {
  Stream s("cam", 64, kMaxRtpPayload, fakeClock);
  media::TrackDescription video = h264Track(kSps, kPps);
  video.payloadType = 96;
  s.start(StreamFormat{video, media::describeTrack("audio", 0, "PCMU", 8000, 1, "")});
  uint8_t sr[64];
  const size_t n = media::buildSenderReport(sr, sizeof(sr), 9, uint64_t{1000} << 32, 0, 0, 0);
  s.ingestRtcp(0, sr, n);
  s.ingestRtcp(1, sr, n);
  Camera cam{s, 30, true};
  cam.vts = 10 * 90000;  // both clocks 10 s in, so that the video's can step back
  cam.ats = 10 * 8000;
  for (int i = 0; i < 30; ++i) cam.step();
  Reader r;
  s.addReader(&r);
  const size_t audioAtJoin = r.indexes(1).size();
  ASSERT_GT(audioAtJoin, 0u);
  cam.vts -= 5 * 90000;  // and a burst of frames that overruns the reader's video cursor
  for (int i = 0; i < 100; ++i) cam.step(false);
  ASSERT_GE(s.stats().readerSkips.load(), 1u);
  for (int i = 0; i < 30; ++i) cam.step();
  const auto a = r.indexes(1);
  ASSERT_GT(a.size(), audioAtJoin);
  for (size_t i = 1; i < a.size(); ++i) ASSERT_GT(a[i], a[i - 1]) << "audio packet " << i << " again";
  const auto v = r.indexes(0);
  for (size_t i = 1; i < v.size(); ++i) ASSERT_GT(v[i], v[i - 1]) << "video packet " << i << " again";
}

// A second video track whose one frame never ends (no marker, one timestamp) is held until the
// history has dropped its start: a reader joining then starts that track at the oldest packet
// held, instead of at the held frame's start, which it would find overrun and move ahead from
// again and again (a stack overflow from one broken publisher).
TEST(StreamCatchUp, AReaderJoiningBesideAFrameThatOutgrewTheHistoryStarts) {
  Stream s("cam", 64, kMaxRtpPayload, fakeClock);
  media::TrackDescription h264 = h264Track(kSps, kPps);
  h264.payloadType = 96;
  s.start(StreamFormat{h264, media::describeTrack("video", 97, "H265", 90000, 0, "")});
  Camera cam{s, 30};
  std::vector<uint8_t> endless(12 + 200, 0x55);
  for (uint16_t i = 0; i < 200; ++i) {
    cam.step();
    media::RtpHeader h;
    h.payloadType = 97;
    h.sequence = i;
    h.timestamp = 777;  // the same frame, never marked as ended
    h.ssrc = 9;
    media::writeRtpHeader(endless.data(), h);
    endless[12] = 0x02;  // TRAIL_R
    endless[13] = 0x01;
    s.ingestRtp(1, endless.data(), endless.size());
  }
  ASSERT_GT(s.track(1).history().tail(), 0u);
  Reader r;
  s.addReader(&r);
  ASSERT_FALSE(r.got.empty());
  EXPECT_TRUE(r.keyframeStarts[0]);
  EXPECT_EQ(s.stats().readerSkips.load(), 0u);
  for (int i = 0; i < 30; ++i) cam.step();
  EXPECT_EQ(r.indexes(0).back() + 1, s.track(0).history().head());
}

TEST(StreamCatchUp, ASuspendedSourceEndsTheCatchUpAndTheNextSegmentStartsAtItsKeyframe) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Camera cam{s, 60};
  for (int i = 0; i < 60; ++i) cam.step();
  Reader r;
  s.addReader(&r);
  ASSERT_EQ(r.got.size(), 8u);
  s.suspend("camera restarting", 10'000'000);
  gNowUs += 2'000'000;
  EXPECT_EQ(s.start(StreamFormat{h264Track(kSps, kPps)}), StartResult::Resumed);
  Camera back{s, 30};
  back.vseq = 5000;
  back.vts = 123456;
  for (int i = 0; i < 5; ++i) back.step();
  // Nothing more of the old cache; the new segment from its keyframe, live.
  ASSERT_EQ(r.got.size(), 14u);  // 8 + parameter sets, keyframe, 4 frames
  EXPECT_TRUE(r.keyframeStarts[8]);
  EXPECT_EQ(s.stats().readerSkips.load(), 0u);
}

TEST(StreamCatchUp, AReaderLeavingWhileCatchingUpIsNotFedAgain) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Camera cam{s, 60};
  for (int i = 0; i < 60; ++i) cam.step();
  struct Quitter : Reader {
    Stream* s = nullptr;
    size_t after = 0;
    void onStreamPacket(size_t track, const HistoryPacket& p) override {
      Reader::onStreamPacket(track, p);
      if (got.size() == after) s->removeReader(this);
    }
  } q;
  q.s = &s;
  q.after = 9;
  Reader stayer;
  s.addReader(&q);
  s.addReader(&stayer);
  for (int i = 0; i < 30; ++i) cam.step();
  EXPECT_EQ(q.got.size(), 9u);
  EXPECT_EQ(s.readerCount(), 1u);
  EXPECT_EQ(stayer.got.size(), s.track(0).history().head());
}

// The history drops what precedes a keyframe once it is kRetainBeforeKeyframeUs old, but not
// while a reader still catches up on it: that reader gets every packet, and the old interval
// goes once it is live.
TEST(StreamCatchUp, TheHistoryKeepsTheCacheWhileAReaderCatchesUpOnIt) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Camera cam{s, 60};
  for (int i = 0; i < 60; ++i) cam.step();  // a 2 s GOP; the next frame is a keyframe

  Reader r;
  s.addReader(&r);
  int frames = 0;
  while (r.got.size() < s.track(0).history().head() && frames < 40) {
    cam.step();
    ++frames;
    // Only what the reader already has may go (500 ms pass at frame 15).
    ASSERT_LE(s.track(0).history().tail(), r.got.size()) << "frame " << frames;
  }
  EXPECT_GE(frames, 16);
  expectConsecutive(r.indexes(0), 0);
  for (int i = 0; i < 30; ++i) cam.step();
  // Live now: what lay before the keyframe (index 61, after its parameter sets' packet 60) more
  // than 500 ms before the newest packet is gone.
  const PacketHistory& h = s.track(0).history();
  EXPECT_GE(h.tail(), 61u - 500'000 / kFrameUs - 2);
  EXPECT_EQ(h.lastKeyframe(), h.at(h.lastKeyframe())->index);
  EXPECT_EQ(s.stats().readerSkips.load(), 0u);
}
