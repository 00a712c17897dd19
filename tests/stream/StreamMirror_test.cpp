// A stream's mirror on another worker: its readers there get the packets the origin's readers
// get (bytes, timestamps, flags, in order), start at the cached keyframe, follow the source's
// suspension, return and end, and see a full ring's drops as a gap. Two real worker threads.
#include "stream/StreamMirror.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "StreamTestPackets.h"
#include "core/WorkerPool.h"

using namespace sluice;
using namespace sluice::stream;
using stream_test::kPps;
using stream_test::kSps;

namespace {

// Runs fn on the worker and waits for it.
template <class F>
void runOn(core::Worker& w, F fn) {
  std::promise<void> done;
  boost::asio::post(w.io(), [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

struct Got {
  size_t track;
  uint64_t index;
  uint32_t timestamp;
  bool marker, keyframeStart;
  std::vector<uint8_t> payload;  // the bytes after the RTP header
};

struct Recorder : StreamReader {
  std::vector<Got> got;
  std::vector<std::string> events;
  void onStreamPacket(size_t track, const HistoryPacket& p) override {
    got.push_back({track, p.index, p.timestamp, p.marker, p.keyframeStart,
                   std::vector<uint8_t>(p.data + 12, p.data + p.size)});
  }
  void onStreamEnded(const std::string& reason) override { events.push_back("ended: " + reason); }
  void onStreamSuspended(const std::string& reason) override { events.push_back("suspended: " + reason); }
  void onStreamResumed() override { events.push_back("resumed"); }
};

StreamFormat videoAndPcmu() {
  media::TrackDescription video = h264Track(kSps, kPps);
  video.payloadType = 96;
  return {video, media::describeTrack("audio", 0, "PCMU", 8000, 1, "")};
}

class StreamMirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool.start();
    origin = std::make_shared<Stream>("cam", 4096);
    runOn(home(), [&] { origin->start(videoAndPcmu()); });
  }
  void TearDown() override {
    runOn(home(), [&] { origin->stop("test over"); });
    runOn(away(), [] {});  // the mirror's last events are taken
    mirror.reset();
    pool.stop();
  }
  core::Worker& home() { return pool.at(0); }
  core::Worker& away() { return pool.at(1); }

  void makeMirror() {
    mirror = StreamMirror::create(origin, home(), away());
    runOn(home(), [] {});  // attached
    replica = mirror->replica();
  }
  // A frame of `slices` packets (the last marked) and an audio packet, on the origin's worker.
  void frame(size_t slices, bool idr) {
    runOn(home(), [&] {
      for (size_t i = 0; i < slices; ++i) {
        auto v = stream_test::rtpPacket(96, seq++, ts, 200 + 37 * i, idr ? 0x65 : 0x41);
        if (i + 1 < slices) v[1] &= 0x7f;
        v[13] = static_cast<uint8_t>(seq);  // every packet's bytes differ
        origin->ingestRtp(0, v.data(), v.size());
      }
      auto a = stream_test::rtpPacket(0, aseq++, ats, 160, 0x11);
      a[14] = static_cast<uint8_t>(aseq);
      origin->ingestRtp(1, a.data(), a.size());
    });
    ts += 3000;
    ats += 160;
  }
  // Waits until the reader on the mirror's worker has n packets (or 5 s pass).
  size_t waitFor(Recorder& r, size_t n) {
    size_t have = 0;
    for (int i = 0; i < 500 && have < n; ++i) {
      runOn(away(), [&] { have = r.got.size(); });
      if (have < n) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return have;
  }

  core::WorkerPool pool{2};
  std::shared_ptr<Stream> origin;
  std::shared_ptr<StreamMirror> mirror;
  std::shared_ptr<Stream> replica;
  uint16_t seq = 1, aseq = 1;
  uint32_t ts = 90000, ats = 8000;
};

void expectSamePackets(const std::vector<Got>& a, const std::vector<Got>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].track, b[i].track) << i;
    EXPECT_EQ(a[i].timestamp, b[i].timestamp) << i;
    EXPECT_EQ(a[i].marker, b[i].marker) << i;
    EXPECT_EQ(a[i].keyframeStart, b[i].keyframeStart) << i;
    EXPECT_EQ(a[i].payload, b[i].payload) << i;
  }
}

}  // namespace

TEST_F(StreamMirrorTest, ItsReadersGetWhatTheOriginsReadersGet) {
  makeMirror();
  Recorder there, here;
  runOn(away(), [&] { replica->addReader(&there); });
  runOn(home(), [&] { origin->addReader(&here); });
  frame(3, true);
  size_t sent = 3 + 1;
  for (size_t i = 0; i < 20; ++i) {
    frame(2 + i % 3, false);
    sent += 2 + i % 3 + 1;
  }
  size_t expected = 0;
  runOn(home(), [&] { expected = here.got.size(); });
  ASSERT_GE(expected, sent);  // and the parameter sets put before the keyframe
  EXPECT_EQ(waitFor(there, expected), expected);
  runOn(away(), [&] {
    expectSamePackets(here.got, there.got);
    // The mirror's sequence (its own history's indexes) has no gap on either track.
    uint64_t last[2] = {UINT64_MAX, UINT64_MAX};
    for (const Got& g : there.got) {
      if (last[g.track] != UINT64_MAX) {
        EXPECT_EQ(g.index, last[g.track] + 1);
      }
      last[g.track] = g.index;
    }
    replica->removeReader(&there);
  });
  runOn(home(), [&] { origin->removeReader(&here); });
  EXPECT_EQ(mirror->dropped(), 0u);
}

TEST_F(StreamMirrorTest, AViewerOnTheMirrorStartsAtTheCachedKeyframe) {
  frame(3, true);
  frame(2, false);
  frame(2, false);
  makeMirror();  // after the keyframe: the mirror is given the cache
  Recorder there;
  runOn(away(), [&] { replica->addReader(&there); });
  ASSERT_GE(waitFor(there, 1), 1u);
  runOn(away(), [&] {
    // Video from the keyframe on; the audio captured at or after it.
    const Got* firstVideo = nullptr;
    for (const Got& g : there.got) {
      if (g.track == 0 && !firstVideo) firstVideo = &g;
    }
    ASSERT_NE(firstVideo, nullptr);
    EXPECT_TRUE(firstVideo->keyframeStart);
    EXPECT_EQ(firstVideo->timestamp, 90000u);
    replica->removeReader(&there);
  });
}

TEST_F(StreamMirrorTest, TheSourcesSuspensionReturnAndEndReachItsReaders) {
  makeMirror();
  Recorder there;
  runOn(away(), [&] { replica->addReader(&there); });
  frame(2, true);
  runOn(home(), [&] { origin->suspend("camera restarting", 5'000'000); });
  runOn(home(), [&] { origin->start(videoAndPcmu()); });
  frame(2, true);
  runOn(home(), [&] { origin->stop("path removed"); });
  runOn(away(), [] {});
  runOn(away(), [&] {
    EXPECT_EQ(there.events,
              (std::vector<std::string>{"suspended: camera restarting", "resumed", "ended: path removed"}));
    EXPECT_EQ(there.got.size(), 8u);  // both keyframes (led by their parameter sets) and their audio
  });
  EXPECT_TRUE(mirror->ended());
}

TEST_F(StreamMirrorTest, DetachEndsItsReadersAndLeavesTheOrigin) {
  makeMirror();
  Recorder there;
  runOn(away(), [&] { replica->addReader(&there); });
  size_t readers = 0;
  runOn(home(), [&] { readers = origin->readerCount(); });
  EXPECT_EQ(readers, 1u);  // the mirror
  mirror->detach("no viewer left on this worker");
  runOn(home(), [&] { readers = origin->readerCount(); });
  EXPECT_EQ(readers, 0u);
  runOn(away(),
        [&] { EXPECT_EQ(there.events, std::vector<std::string>{"ended: no viewer left on this worker"}); });
  EXPECT_TRUE(mirror->ended());
  frame(2, true);  // nothing reaches the ended mirror
  runOn(away(), [&] { EXPECT_TRUE(there.got.empty()); });
}

TEST_F(StreamMirrorTest, AStalledWorkerLosesPacketsAsAGapNotItsStream) {
  makeMirror();
  Recorder there;
  runOn(away(), [&] { replica->addReader(&there); });
  frame(2, true);
  size_t before = 0;
  runOn(away(), [&] { before = there.got.size(); });
  ASSERT_GT(before, 0u);
  // The mirror's worker is stuck while the origin stores more than the ring holds.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  boost::asio::post(away().io(), [released] { released.wait(); });
  for (size_t i = 0; i < StreamMirror::kRingSlots / 4 + 10; ++i) frame(3, false);
  EXPECT_GT(mirror->dropped(), 0u);
  release.set_value();
  runOn(away(), [] {});  // the ring is taken
  frame(2, true);        // the next keyframe after the stall
  const size_t kept = StreamMirror::kRingSlots - StreamMirror::kEventSlots;
  ASSERT_GE(waitFor(there, before + kept + 4), before + kept + 4);
  runOn(away(), [&] {
    // The drops show as one gap in the video's indexes; what follows arrives intact.
    uint64_t last = UINT64_MAX, gaps = 0;
    for (const Got& g : there.got) {
      if (g.track != 0) continue;
      if (last != UINT64_MAX && g.index != last + 1) ++gaps;
      last = g.index;
    }
    EXPECT_EQ(gaps, 1u);
    EXPECT_EQ(there.got.size(), before + kept + 4);  // the new keyframe: sets, 2 slices, audio
    EXPECT_TRUE(there.got[there.got.size() - 4].keyframeStart);
    replica->removeReader(&there);
  });
}

TEST_F(StreamMirrorTest, ASourceHandingOverWithoutPausingBringsItsFormatToTheMirror) {
  // The offline slate (video only) hands over to the camera (video and audio) at once.
  runOn(home(), [&] { origin->start(StreamFormat{h264Track(kSps, kPps)}); });
  makeMirror();
  Recorder there;
  runOn(away(), [&] { replica->addReader(&there); });
  runOn(home(), [&] { EXPECT_EQ(origin->start(videoAndPcmu()), StartResult::Resumed); });
  frame(2, true);
  ASSERT_EQ(waitFor(there, 4), 4u);
  runOn(away(), [&] {
    EXPECT_EQ(replica->format().size(), 2u);
    size_t audio = 0;
    for (const Got& g : there.got) audio += g.track == 1;
    EXPECT_EQ(audio, 1u);
    EXPECT_TRUE(there.events.empty());  // nothing paused: nothing to tell
    replica->removeReader(&there);
  });
}
