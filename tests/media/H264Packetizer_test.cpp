#include "media/H264Packetizer.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/H264.h"

using namespace sluice::media;

namespace {

struct Payload {
  std::vector<uint8_t> bytes;
  bool marker;
};

std::vector<uint8_t> nalOf(uint8_t header, size_t size) {
  std::vector<uint8_t> n(size);
  n[0] = header;
  for (size_t i = 1; i < size; ++i) n[i] = static_cast<uint8_t>(i * 7);
  return n;
}

std::vector<Payload> run(const H264Packetizer& p, const std::vector<std::vector<uint8_t>>& nals) {
  std::vector<NalUnitSpan> spans;
  for (const auto& n : nals) spans.push_back({n.data(), n.size()});
  std::vector<uint8_t> out(p.maxPayload());
  std::vector<Payload> payloads;
  p.packetize(spans.data(), spans.size(), out.data(), [&](const uint8_t* data, size_t size, bool marker) {
    EXPECT_EQ(data, out.data());
    EXPECT_LE(size, p.maxPayload());
    payloads.push_back({{data, data + size}, marker});
  });
  return payloads;
}

}  // namespace

TEST(H264Packetizer, SmallNalsGoWholeWithMarkerOnLast) {
  H264Packetizer p(1400);
  auto sei = nalOf(0x06, 20), slice = nalOf(0x41, 900);
  auto out = run(p, {sei, slice});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, sei);
  EXPECT_FALSE(out[0].marker);
  EXPECT_EQ(out[1].bytes, slice);
  EXPECT_TRUE(out[1].marker);
}

TEST(H264Packetizer, LargeNalBecomesEvenFuAFragments) {
  H264Packetizer p(1000);
  auto idr = nalOf(0x65, 3000);  // 2999 body bytes / 998 per fragment -> 4 fragments
  auto out = run(p, {idr});
  ASSERT_EQ(out.size(), 4u);
  std::vector<uint8_t> body;
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& b = out[i].bytes;
    EXPECT_EQ(b[0], 0x60 | h264::kFuA);  // NRI of the IDR
    EXPECT_EQ(h264::nalType(b[1]), h264::kIdr);
    EXPECT_EQ((b[1] & h264::kFuStart) != 0, i == 0);
    EXPECT_EQ((b[1] & h264::kFuEnd) != 0, i == 3);
    EXPECT_EQ(out[i].marker, i == 3);
    EXPECT_GE(b.size(), 2u + 749);  // even split: 750, 750, 750, 749
    body.insert(body.end(), b.begin() + 2, b.end());
  }
  EXPECT_EQ(body, std::vector<uint8_t>(idr.begin() + 1, idr.end()));
}

TEST(H264Packetizer, NalExactlyMaxPayloadIsNotFragmented) {
  H264Packetizer p(500);
  auto out = run(p, {nalOf(0x41, 500), nalOf(0x41, 501)});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].bytes.size(), 500u);
  EXPECT_EQ(h264::nalType(out[1].bytes[0]), h264::kFuA);
}

TEST(H264Packetizer, SkipsEmptyNalsAndKeepsMarkerOnLastReal) {
  H264Packetizer p(100);
  auto out = run(p, {{}, nalOf(0x41, 10), {}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].marker);
  EXPECT_TRUE(run(p, {}).empty());
}

TEST(H264Packetizer, ClampsTinyMaxPayloadAndAcceptsSinkObjects) {
  H264Packetizer p(0);
  EXPECT_EQ(p.maxPayload(), 3u);
  struct Counter : RtpPayloadSink {
    size_t n = 0;
    bool lastMarker = false;
    void onPayload(const uint8_t*, size_t size, bool marker) override {
      EXPECT_LE(size, 3u);
      ++n;
      lastMarker = marker;
    }
  } sink;
  auto nal = nalOf(0x41, 6);
  NalUnitSpan span{nal.data(), nal.size()};
  uint8_t out[3];
  p.packetize(&span, 1, out, sink);
  EXPECT_EQ(sink.n, 5u);  // one body byte per fragment
  EXPECT_TRUE(sink.lastMarker);
}
