// A stream of several tracks: each track shaped and stored once, readers get the tracks they
// asked for, a new reader's audio starts at its video keyframe's capture instant, sender
// reports put every track on one capture clock, and bad input stays on its track.
#include <gtest/gtest.h>

#include <cmath>
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

int64_t gNowUs = 5'000'000'000;
int64_t fakeClock() { return gNowUs; }

StreamFormat videoAndPcmu() {
  media::TrackDescription video = h264Track(kSps, kPps);
  video.payloadType = 96;
  return {video, media::describeTrack("audio", 0, "PCMU", 8000, 1, "")};
}

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, size_t payload, uint8_t first) {
  return stream_test::rtpPacket(pt, seq, ts, payload, first);
}

struct Reader : StreamReader {
  std::vector<std::pair<size_t, uint64_t>> got;  // (track, index)
  std::vector<std::pair<size_t, int64_t>> captures;
  void onStreamPacket(size_t track, const HistoryPacket& p) override {
    got.emplace_back(track, p.index);
    captures.emplace_back(track, p.captureUs);
  }
  void onStreamEnded(const std::string&) override {}
  size_t count(size_t track) const {
    size_t n = 0;
    for (auto& [t, i] : got) n += t == track;
    return n;
  }
};

// 30 fps video (IDR every 10 frames) and 20 ms PCMU, interleaved by time.
struct AvCamera {
  Stream& s;
  uint16_t vseq = 1, aseq = 500;
  uint32_t vts = 0, ats = 0;
  int frame = 0;
  void step() {  // 1/30 s of media
    auto v = rtp(96, vseq++, vts, 300, frame % 10 == 0 ? 0x65 : 0x41);
    s.ingestRtp(0, v.data(), v.size());
    vts += 3000;
    ++frame;
    // Audio to keep up: 160 samples per packet at 8 kHz.
    while (static_cast<int64_t>(ats) * 90000 / 8000 < static_cast<int64_t>(vts)) {
      auto a = rtp(0, aseq++, ats, 160, 0xff);
      s.ingestRtp(1, a.data(), a.size());
      ats += 160;
    }
    gNowUs += 33'333;
  }
};

}  // namespace

TEST(StreamTracks, EachTrackIsStoredOnceWithItsOwnSsrcAndClock) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(videoAndPcmu());
  ASSERT_EQ(s.trackCount(), 2u);
  EXPECT_TRUE(s.track(0).video());
  EXPECT_FALSE(s.track(1).video());
  EXPECT_EQ(s.track(1).clockRate(), 8000u);
  EXPECT_NE(s.track(0).ssrc(), s.track(1).ssrc());
  Reader all, videoOnly;
  s.addReader(&all);
  s.addReader(&videoOnly, TrackMask{1});
  AvCamera cam{s};
  for (int i = 0; i < 30; ++i) cam.step();
  EXPECT_GT(all.count(0), 30u);
  EXPECT_GT(all.count(1), 40u);
  EXPECT_EQ(videoOnly.count(1), 0u);
  EXPECT_EQ(videoOnly.count(0), all.count(0));
  // Audio keeps its payload type and payload, rewritten header only.
  const HistoryPacket* a = s.track(1).history().at(s.track(1).history().head() - 1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(media::readPayloadType(a->data), 0);
  EXPECT_EQ(media::readSsrc(a->data), s.track(1).ssrc());
  EXPECT_EQ(a->size, 12 + 160);
}

TEST(StreamTracks, ANewReadersAudioStartsAtItsVideoKeyframe) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(videoAndPcmu());
  AvCamera cam{s};
  for (int i = 0; i < 25; ++i) cam.step();  // keyframes at frames 0, 10, 20
  Reader r;
  s.addReader(&r);
  const HistoryPacket* key = s.track(0).history().at(s.track(0).history().lastKeyframe());
  ASSERT_NE(key, nullptr);
  ASSERT_GT(r.count(1), 0u);
  for (auto& [track, capture] : r.captures) {
    if (track == 1) {
      EXPECT_GE(capture, key->captureUs);  // no older audio than the picture
    }
  }
  // Audio from the same instant: the first replayed audio packet is within one packet of it.
  int64_t firstAudio = INT64_MAX;
  for (auto& [track, capture] : r.captures) {
    if (track == 1) firstAudio = std::min(firstAudio, capture);
  }
  EXPECT_LE(firstAudio - key->captureUs, 33'334);
}

TEST(StreamTracks, SenderReportsPutTracksOnOneCaptureClock) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(videoAndPcmu());
  // The camera's wall clock: NTP second 1000 at video ts 0 and audio ts 0.
  uint8_t sr[64];
  const uint64_t ntp = uint64_t{1000} << 32;
  size_t n = media::buildSenderReport(sr, sizeof(sr), 42, ntp, 0, 0, 0);
  s.ingestRtcp(0, sr, n);
  s.ingestRtcp(1, sr, n);
  // Video at ts 90000 (1 s) arrives late (queued 80 ms), audio at ts 8000 (1 s) promptly.
  auto v0 = rtp(96, 1, 0, 100, 0x65);
  s.ingestRtp(0, v0.data(), v0.size());
  gNowUs += 1'000'000;
  auto a = rtp(0, 1, 8000, 160, 0xff);
  s.ingestRtp(1, a.data(), a.size());
  gNowUs += 80'000;
  auto v = rtp(96, 2, 90000, 100, 0x41);
  s.ingestRtp(0, v.data(), v.size());
  const HistoryPacket* pa = s.track(1).history().at(s.track(1).history().head() - 1);
  const HistoryPacket* pv = s.track(0).history().at(s.track(0).history().head() - 1);
  ASSERT_TRUE(pa && pv);
  EXPECT_EQ(pa->captureUs, pv->captureUs);  // captured together, placed together
  EXPECT_EQ(pv->arrivalUs - pa->arrivalUs, 80'000);
}

TEST(StreamTracks, AnUndeclaredPayloadTypeIsDroppedOnItsTrackOnly) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(videoAndPcmu());
  Reader r;
  s.addReader(&r);
  auto bad = rtp(8, 1, 0, 160, 0xff);  // PCMA on the PCMU track
  EXPECT_EQ(s.ingestRtp(1, bad.data(), bad.size()), media::IngestError::UndeclaredPayloadType);
  EXPECT_EQ(s.track(1).stats().undeclaredPayloadType, 1u);
  EXPECT_EQ(s.ingestRtp(7, bad.data(), bad.size()), media::IngestError::UndeclaredPayloadType);
  AvCamera cam{s};
  for (int i = 0; i < 3; ++i) cam.step();
  EXPECT_EQ(r.count(0), 4u);  // [SPS, PPS] before the IDR, then three frames
  EXPECT_GT(r.count(1), 0u);
  EXPECT_EQ(s.stats().ingestErrors.load(), 2u);
}

TEST(StreamTracks, ReadersContinueWhenTracksAreAddedButNotWhenACodecChanges) {
  const StreamFormat videoOnly{h264Track(kSps, kPps)};
  std::string why;
  EXPECT_TRUE(canContinue(videoOnly, videoAndPcmu(), why));
  EXPECT_TRUE(canContinue(videoAndPcmu(), videoOnly, why));
  StreamFormat pcma = videoAndPcmu();
  pcma[1] = media::describeTrack("audio", 8, "PCMA", 8000, 1, "");
  EXPECT_FALSE(canContinue(videoAndPcmu(), pcma, why));
  EXPECT_NE(why.find("PCMA"), std::string::npos) << why;

  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(videoOnly);  // e.g. the offline slate
  Reader r;
  s.addReader(&r);
  EXPECT_EQ(s.start(videoAndPcmu()), StartResult::Resumed);  // the camera, with sound
  EXPECT_EQ(s.trackCount(), 2u);
  EXPECT_EQ(s.start(pcma), StartResult::Replaced);
}

TEST(StreamTracks, TheFormatSnapshotFollowsTheSegment) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  EXPECT_TRUE(s.formatSnapshot().empty());
  s.start(videoAndPcmu());
  StreamFormat f = s.formatSnapshot();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1].apiName(), "G711");
  EXPECT_EQ(describeFormat(f), "H264, G711");
}

TEST(StreamTracks, G711At16kHzIsTranscodedToOpusOnlyWhileAReaderTakesIt) {
  // PCMU at 16 kHz: browsers take only 8 kHz, so the stream offers its Opus version (track
  // 16 + 1), made by the transcoding module (libsluice-transcode.so, loaded on demand).
  StreamFormat f{h264Track(kSps, kPps), media::describeTrack("audio", 97, "PCMU", 16000, 1, "")};
  f[0].payloadType = 96;
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(f);
  ASSERT_NE(s.track(1).transcoding(), nullptr);
  EXPECT_FALSE(s.track(1).transcoding()->active());
  const size_t opus = StreamTrack::kTranscodedBase + 1;
  ASSERT_NE(s.findTrack(opus), nullptr);
  EXPECT_EQ(s.findTrack(opus)->format().apiName(), "Opus");

  Reader r;
  s.addReader(&r, (TrackMask{1} << 0) | (TrackMask{1} << opus));
  ASSERT_TRUE(s.track(1).transcoding()->active())
      << "module not loaded (libsluice-transcode.so next to the tests?)";
  // One second of a 1 kHz tone, 20 ms (320 samples) per packet, mu-law coded.
  for (int i = 0; i < 50; ++i) {
    std::vector<uint8_t> p = rtp(97, static_cast<uint16_t>(i), static_cast<uint32_t>(i) * 320, 320, 0);
    for (int k = 0; k < 320; ++k) {
      const double x = 8000 * std::sin(2 * M_PI * 1000 * (i * 320 + k) / 16000.0);
      // A coarse mu-law encoder: enough for a loud tone.
      int v = static_cast<int>(x), sign = v < 0 ? 0x80 : 0;
      v = std::min(std::abs(v), 32635) + 0x84;
      int exponent = 7;
      for (int mask = 0x4000; (v & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
      const int mantissa = (v >> (exponent + 3)) & 0x0f;
      p[12 + k] = static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
    }
    s.ingestRtp(1, p.data(), p.size());
    gNowUs += 20'000;
  }
  EXPECT_GE(r.count(opus), 45u);
  EXPECT_EQ(r.count(1), 0u);  // the 16 kHz original is not in this reader's mask
  s.removeReader(&r);
  EXPECT_FALSE(s.track(1).transcoding()->active());  // no reader, no transcoding
}

TEST(StreamTracks, ACameraClockStepFallsBackToArrivalTimesUntilTheNextReports) {
  Stream s("cam", 1024, kMaxRtpPayload, fakeClock);
  s.start(videoAndPcmu());
  uint8_t sr[64];
  size_t n = media::buildSenderReport(sr, sizeof(sr), 42, uint64_t{1000} << 32, 0, 0, 0);
  s.ingestRtcp(0, sr, n);
  s.ingestRtcp(1, sr, n);
  auto v = rtp(96, 1, 0, 100, 0x65);
  s.ingestRtp(0, v.data(), v.size());
  // The camera's clock jumps by a year; its next video report says so, audio's has not come.
  n = media::buildSenderReport(sr, sizeof(sr), 42, uint64_t{1000 + 31'536'000} << 32, 90000, 0, 0);
  gNowUs += 1'000'000;
  s.ingestRtcp(0, sr, n);
  auto a = rtp(0, 2, 8000, 160, 0xff);
  s.ingestRtp(1, a.data(), a.size());
  auto v2 = rtp(96, 2, 90000, 100, 0x41);
  s.ingestRtp(0, v2.data(), v2.size());
  const HistoryPacket* pa = s.track(1).history().at(s.track(1).history().head() - 1);
  const HistoryPacket* pv = s.track(0).history().at(s.track(0).history().head() - 1);
  ASSERT_TRUE(pa && pv);
  // Nobody is placed a year away: the audio falls back to its arrival, the video re-learns.
  EXPECT_EQ(pa->captureUs, pa->arrivalUs);
  EXPECT_LE(std::llabs(pv->captureUs - pv->arrivalUs), 1'000);
  // A report from nowhere near the others (garbage) cannot drag a track's time either.
  n = media::buildSenderReport(sr, sizeof(sr), 42, uint64_t{7} << 32, 123456, 0, 0);
  s.ingestRtcp(1, sr, n);
  gNowUs += 20'000;
  auto a2 = rtp(0, 3, 8160, 160, 0xff);
  s.ingestRtp(1, a2.data(), a2.size());
  const HistoryPacket* pa2 = s.track(1).history().at(s.track(1).history().head() - 1);
  ASSERT_TRUE(pa2);
  EXPECT_LE(std::llabs(pa2->captureUs - pa2->arrivalUs), 10'000'000);
}
