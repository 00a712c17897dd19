// A stream across its source's restarts: readers stay attached, sequence numbers continue
// without a gap, timestamps keep following the wall clock, delivery resumes at a keyframe;
// a grace period that runs out, or a codec change, ends the readers.
#include <gtest/gtest.h>

#include <vector>

#include "media/RtpPacket.h"
#include "stream/Stream.h"

using namespace sluice;
using namespace sluice::stream;

namespace {

int64_t gNowUs = 1'000'000'000;
int64_t fakeClock() { return gNowUs; }

const std::vector<uint8_t> kSps = {0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8};
const std::vector<uint8_t> kSps2 = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78};  // another resolution
const std::vector<uint8_t> kPps = {0x68, 0xce, 0x3c, 0x80};

// A camera at 30 fps with its own random-looking bases; each frame advances the fake clock.
class Camera {
 public:
  Camera(Stream& s, uint16_t seq, uint32_t ts) : stream_(s), seq_(seq), ts_(ts) {}
  void frame(bool idr) {
    std::vector<uint8_t> pkt(12 + 100, 0xab);
    media::RtpHeader h;
    h.marker = true;
    h.payloadType = 96;
    h.sequence = seq_++;
    h.timestamp = ts_;
    h.ssrc = 77;
    media::writeRtpHeader(pkt.data(), h);
    pkt[12] = idr ? 0x65 : 0x41;
    stream_.ingestRtp(pkt.data(), pkt.size());
    ts_ += 3000;
    gNowUs += 33'333;
  }

 private:
  Stream& stream_;
  uint16_t seq_;
  uint32_t ts_;
};

struct Reader : StreamReader {
  std::vector<uint16_t> seqs;
  std::vector<uint32_t> timestamps;
  std::vector<int64_t> arrivals;
  std::vector<bool> keyframeStarts;
  std::string ended;
  int suspensions = 0, resumptions = 0;
  void onStreamPacket(size_t, const HistoryPacket& p) override {
    seqs.push_back(media::readSequence(p.data));
    timestamps.push_back(p.timestamp);
    arrivals.push_back(p.arrivalUs);
    keyframeStarts.push_back(p.keyframeStart);
  }
  void onStreamEnded(const std::string& reason) override { ended = reason; }
  void onStreamSuspended(const std::string&) override { ++suspensions; }
  void onStreamResumed() override { ++resumptions; }
};

constexpr int64_t kGraceUs = 10'000'000;

}  // namespace

TEST(StreamContinuity, ReadersSurviveARestartWithContinuousSequenceAndTimestamps) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  EXPECT_EQ(s.start(kSps, kPps), StartResult::Fresh);
  Reader r;
  s.addReader(&r);
  Camera first(s, 100, 50'000);
  first.frame(true);
  for (int i = 0; i < 10; ++i) first.frame(false);
  const size_t before = r.seqs.size();
  const uint32_t lastTs = r.timestamps.back();
  const int64_t lastArrival = r.arrivals.back();

  s.suspend("camera closed the connection", kGraceUs);
  EXPECT_FALSE(s.ready());
  EXPECT_TRUE(s.suspended());
  EXPECT_TRUE(s.stats().suspended.load());
  EXPECT_EQ(s.readerCount(), 1u);
  EXPECT_EQ(r.suspensions, 1);
  EXPECT_TRUE(r.ended.empty());

  gNowUs += 5'000'000;  // a 5 s outage
  Camera second(s, 40'000, 7'777'777);  // unrelated sequence and timestamp bases
  EXPECT_EQ(s.start(kSps, kPps), StartResult::Resumed);
  EXPECT_TRUE(s.ready());
  EXPECT_EQ(r.resumptions, 1);
  second.frame(false);  // mid-GOP: not decodable, not delivered
  second.frame(false);
  EXPECT_EQ(r.seqs.size(), before);
  EXPECT_EQ(s.stats().packetsBeforeKeyframe.load(), 2u);
  second.frame(true);
  second.frame(false);

  ASSERT_EQ(r.seqs.size(), before + 3);  // STAP-A(SPS,PPS) + IDR + P
  EXPECT_TRUE(r.keyframeStarts[before]);
  for (size_t i = 1; i < r.seqs.size(); ++i) {
    EXPECT_EQ(static_cast<uint16_t>(r.seqs[i] - r.seqs[i - 1]), 1u) << "at " << i;
    EXPECT_GE(static_cast<int32_t>(r.timestamps[i] - r.timestamps[i - 1]), 0) << "at " << i;
  }
  // The resumed timeline advanced by the wall-clock time between the two frames.
  const int64_t elapsedUs = r.arrivals[before] - lastArrival;
  const int64_t advanced = static_cast<int32_t>(r.timestamps[before] - lastTs);
  EXPECT_NEAR(advanced, elapsedUs * 90 / 1000, 1);
  EXPECT_GT(advanced, 5 * 90000);
  EXPECT_EQ(r.timestamps[before + 2] - r.timestamps[before], 3000u);
  EXPECT_EQ(s.stats().resumes.load(), 1u);
}

TEST(StreamContinuity, ANewParameterSetAtTheResumingIdrIsDelivered) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Reader r;
  s.addReader(&r);
  Camera(s, 1, 0).frame(true);
  s.suspend("gone", kGraceUs);
  EXPECT_EQ(s.start(kSps2, kPps), StartResult::Resumed);
  Camera(s, 9, 90).frame(true);
  EXPECT_EQ(s.track(0).h264()->sps().size(), kSps2.size());
  ASSERT_EQ(r.seqs.size(), 4u);
  EXPECT_TRUE(r.keyframeStarts[2]);
  EXPECT_TRUE(r.ended.empty());
}

TEST(StreamContinuity, GraceExpiryEndsTheReaders) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Reader r;
  s.addReader(&r);
  Camera(s, 1, 0).frame(true);
  s.suspend("camera closed the connection", kGraceUs);
  EXPECT_EQ(s.graceDeadlineUs(), gNowUs + kGraceUs);
  gNowUs += kGraceUs - 1;
  EXPECT_FALSE(s.expireSuspension());
  EXPECT_EQ(s.readerCount(), 1u);
  gNowUs += 1;
  EXPECT_TRUE(s.expireSuspension());
  EXPECT_EQ(s.readerCount(), 0u);
  EXPECT_NE(r.ended.find("camera closed the connection"), std::string::npos);
  EXPECT_FALSE(s.suspended());
  // A source that comes back after that starts a fresh stream.
  EXPECT_EQ(s.start(kSps, kPps), StartResult::Fresh);
}

TEST(StreamContinuity, ACodecChangeEndsTheReaders) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Reader r;
  s.addReader(&r);
  s.suspend("gone", kGraceUs);
  media::TrackDescription h265 = media::describeTrack("video", 96, "H265", 90000, 0, "");
  EXPECT_EQ(s.start(StreamFormat{h265}), StartResult::Replaced);
  EXPECT_EQ(s.readerCount(), 0u);
  EXPECT_NE(r.ended.find("H265"), std::string::npos);
  EXPECT_TRUE(s.ready());
}

TEST(StreamContinuity, NoGraceEndsTheReadersAtOnce) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Reader r;
  s.addReader(&r);
  s.suspend("camera closed the connection", 0);
  EXPECT_EQ(r.ended, "camera closed the connection");
  EXPECT_FALSE(s.suspended());
}

TEST(StreamContinuity, ASuspendedStreamAcceptsNoNewReaderPacketsAndIgnoresStrayInput) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  Reader r;
  s.addReader(&r);
  Camera cam(s, 1, 0);
  cam.frame(true);
  s.suspend("gone", kGraceUs);
  EXPECT_EQ(s.track(0).history().lastKeyframe(), UINT64_MAX);  // nothing stale for a newcomer
  const size_t n = r.seqs.size();
  cam.frame(true);  // a late packet of the closed session
  EXPECT_EQ(r.seqs.size(), n);
}

TEST(StreamContinuity, HandOverBetweenTwoRunningSourcesContinuesAtTheKeyframe) {
  // alwaysAvailable: the slate runs, then the camera takes over without a suspension.
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps2, kPps);
  Reader r;
  s.addReader(&r);
  Camera slate(s, 1, 0);
  slate.frame(true);
  slate.frame(false);
  EXPECT_EQ(s.start(kSps, kPps), StartResult::Resumed);
  EXPECT_EQ(r.resumptions, 0);  // it never was suspended
  Camera live(s, 5000, 999);
  live.frame(true);
  ASSERT_EQ(r.seqs.size(), 5u);  // slate: STAP-A, IDR, P; camera: STAP-A, IDR
  for (size_t i = 1; i < r.seqs.size(); ++i) {
    EXPECT_EQ(static_cast<uint16_t>(r.seqs[i] - r.seqs[i - 1]), 1u);
    EXPECT_GT(static_cast<int32_t>(r.timestamps[i] - r.timestamps[i - 1]), -1);
  }
  EXPECT_TRUE(r.keyframeStarts[3]);
  EXPECT_GT(static_cast<int32_t>(r.timestamps[3] - r.timestamps[2]), 0);  // the camera's IDR is later
}

TEST(StreamContinuity, SuspendWithoutReadersStopsTheStream) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(kSps, kPps);
  s.suspend("gone", kGraceUs);
  EXPECT_FALSE(s.suspended());
  EXPECT_FALSE(s.ready());
  EXPECT_EQ(s.start(kSps, kPps), StartResult::Fresh);
}
