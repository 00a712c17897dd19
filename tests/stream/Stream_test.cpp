#include "stream/Stream.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/RtpPacket.h"

using namespace sluice;
using namespace sluice::stream;

namespace {

const std::vector<uint8_t> kSps = {0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8};
const std::vector<uint8_t> kPps = {0x68, 0xce, 0x3c, 0x80};

// A camera sending single-NAL packets: an IDR every `gop` frames, P-slices otherwise.
class FakeCamera {
 public:
  explicit FakeCamera(Stream& s) : stream_(s) {}
  void frame(bool idr, size_t nalSize = 200) {
    std::vector<uint8_t> pkt(12 + nalSize, 0xab);
    media::RtpHeader h;
    h.marker = true;
    h.payloadType = 96;
    h.sequence = seq_++;
    h.timestamp = ts_;
    h.ssrc = 1234;
    media::writeRtpHeader(pkt.data(), h);
    pkt[12] = idr ? 0x65 : 0x41;
    stream_.ingestRtp(pkt.data(), pkt.size());
    ts_ += 3000;
  }
  void skipSequence(uint16_t n) { seq_ += n; }

 private:
  Stream& stream_;
  uint16_t seq_ = 100;
  uint32_t ts_ = 0;
};

struct RecordingReader : StreamReader {
  std::vector<const HistoryPacket*> packets;
  std::vector<uint64_t> indexes;
  std::string endedReason;
  Stream* removeSelfFrom = nullptr;
  void onStreamPacket(size_t, const HistoryPacket& p) override {
    packets.push_back(&p);
    indexes.push_back(p.index);
    if (removeSelfFrom) removeSelfFrom->removeReader(this);
  }
  void onStreamEnded(const std::string& reason) override { endedReason = reason; }
};

}  // namespace

TEST(Stream, NewReaderStartsAtTheLastKeyframeWithParameterSets) {
  Stream s("cam", 1024);
  s.start(kSps, kPps);
  FakeCamera cam(s);
  cam.frame(true);
  for (int i = 0; i < 5; ++i) cam.frame(false);
  cam.frame(true);
  cam.frame(false);

  RecordingReader r;
  s.addReader(&r);
  // Replayed: STAP-A(SPS,PPS) + IDR + P.
  ASSERT_EQ(r.packets.size(), 3u);
  const HistoryPacket& first = *r.packets[0];
  EXPECT_TRUE(first.keyframeStart);
  EXPECT_EQ(first.data[12] & 0x1f, 24);  // STAP-A
  EXPECT_EQ(r.packets[1]->data[12] & 0x1f, 5);
  EXPECT_EQ(r.packets[2]->data[12] & 0x1f, 1);
  cam.frame(false);
  EXPECT_EQ(r.packets.size(), 4u);
  EXPECT_EQ(s.readerCount(), 1u);
}

TEST(Stream, ReaderBeforeAnyKeyframeGetsNothingUntilLivePackets) {
  Stream s("cam", 1024);
  s.start(kSps, kPps);
  FakeCamera cam(s);
  cam.frame(false);
  RecordingReader r;
  s.addReader(&r);
  EXPECT_TRUE(r.packets.empty());
  cam.frame(false);
  EXPECT_EQ(r.packets.size(), 1u);
}

TEST(Stream, PacketsCarryTheStreamsSsrcAndConsecutiveSequence) {
  Stream s("cam", 1024);
  s.start(kSps, kPps);
  FakeCamera cam(s);
  RecordingReader r;
  s.addReader(&r);
  cam.frame(true);
  cam.frame(false);
  ASSERT_EQ(r.packets.size(), 3u);
  for (size_t i = 0; i < r.packets.size(); ++i) {
    EXPECT_EQ(media::readSsrc(r.packets[i]->data), s.track(0).ssrc());
    EXPECT_EQ(media::readSequence(r.packets[i]->data), static_cast<uint16_t>(r.indexes[i]));
    if (i) {
      EXPECT_EQ(r.indexes[i], r.indexes[i - 1] + 1);
    }
  }
}

TEST(Stream, SourceLossLeavesASequenceGap) {
  Stream s("cam", 1024);
  s.start(kSps, kPps);
  FakeCamera cam(s);
  RecordingReader r;
  s.addReader(&r);
  cam.frame(false);
  cam.skipSequence(3);
  cam.frame(false);
  ASSERT_EQ(r.indexes.size(), 2u);
  EXPECT_EQ(r.indexes[1] - r.indexes[0], 4u);
  EXPECT_EQ(s.stats().packetsLost.load(), 3u);
}

TEST(Stream, OversizeNalsAreRefragmentedOncePerStream) {
  Stream s("cam", 1024);
  s.start(kSps, kPps);
  FakeCamera cam(s);
  RecordingReader a, b;
  s.addReader(&a);
  s.addReader(&b);
  cam.frame(false, 3000);
  ASSERT_EQ(a.packets.size(), 3u);
  ASSERT_EQ(b.packets.size(), 3u);
  for (size_t i = 0; i < a.packets.size(); ++i) {
    EXPECT_EQ(a.packets[i], b.packets[i]);  // the very same stored packet, not a copy
    EXPECT_LE(a.packets[i]->size, kMaxRtpPacket);
  }
  EXPECT_TRUE(a.packets.back()->marker);
  EXPECT_FALSE(a.packets.front()->marker);
}

TEST(Stream, StopEndsEveryReaderWithTheReason) {
  Stream s("cam", 1024);
  s.start(kSps, kPps);
  RecordingReader a, b;
  s.addReader(&a);
  s.addReader(&b);
  s.stop("camera disconnected");
  EXPECT_EQ(a.endedReason, "camera disconnected");
  EXPECT_EQ(b.endedReason, "camera disconnected");
  EXPECT_EQ(s.readerCount(), 0u);
  EXPECT_FALSE(s.ready());
}

TEST(Stream, AReaderMayRemoveItselfDuringFanout) {
  Stream s("cam", 1024);
  s.start(kSps, kPps);
  FakeCamera cam(s);
  RecordingReader quitter, stayer;
  quitter.removeSelfFrom = &s;
  s.addReader(&quitter);
  s.addReader(&stayer);
  cam.frame(false);
  cam.frame(false);
  EXPECT_EQ(quitter.packets.size(), 1u);
  EXPECT_EQ(stayer.packets.size(), 2u);
  EXPECT_EQ(s.readerCount(), 1u);
}

TEST(Stream, MalformedPacketsAreCountedAndDoNotReachReaders) {
  Stream s("cam", 1024);
  s.start(kSps, kPps);
  RecordingReader r;
  s.addReader(&r);
  uint8_t garbage[5] = {1, 2, 3, 4, 5};
  EXPECT_NE(s.ingestRtp(garbage, sizeof(garbage)), media::IngestError::None);
  EXPECT_TRUE(r.packets.empty());
  EXPECT_EQ(s.stats().ingestErrors.load(), 1u);
}
