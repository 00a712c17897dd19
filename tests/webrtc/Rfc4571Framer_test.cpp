#include "webrtc/Rfc4571Framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sluice::webrtc;

namespace {

std::vector<uint8_t> frame(const std::string& payload) {
  std::vector<uint8_t> out(2 + payload.size());
  writeRfc4571Header(out.data(), payload.size());
  std::copy(payload.begin(), payload.end(), out.begin() + 2);
  return out;
}

std::vector<std::string> drain(Rfc4571Reader& r, Rfc4571Reader::Status* last = nullptr) {
  std::vector<std::string> out;
  const uint8_t* p = nullptr;
  size_t n = 0;
  Rfc4571Reader::Status st;
  while ((st = r.next(p, n)) == Rfc4571Reader::Status::Packet)
    out.emplace_back(reinterpret_cast<const char*>(p), n);
  if (last) *last = st;
  return out;
}

}  // namespace

TEST(Rfc4571, HeaderIsBigEndianLength) {
  uint8_t h[2];
  writeRfc4571Header(h, 0x0102);
  EXPECT_EQ(h[0], 1);
  EXPECT_EQ(h[1], 2);
}

TEST(Rfc4571, SeveralFramesInOneRead) {
  Rfc4571Reader r;
  std::vector<uint8_t> bytes;
  for (const char* s : {"stun", "dtls-record", "x"}) {
    auto f = frame(s);
    bytes.insert(bytes.end(), f.begin(), f.end());
  }
  ASSERT_EQ(r.feed(bytes.data(), bytes.size()), bytes.size());
  Rfc4571Reader::Status st;
  EXPECT_EQ(drain(r, &st), (std::vector<std::string>{"stun", "dtls-record", "x"}));
  EXPECT_EQ(st, Rfc4571Reader::Status::NeedMore);
  EXPECT_TRUE(r.pending().empty());
}

TEST(Rfc4571, PartialReadsByteByByte) {
  Rfc4571Reader r;
  std::string payload(1200, 'a');
  payload[0] = 0x80;
  auto f = frame(payload);
  auto g = frame("second");
  f.insert(f.end(), g.begin(), g.end());
  std::vector<std::string> got;
  for (uint8_t b : f) {
    ASSERT_EQ(r.feed(&b, 1), 1u);
    auto some = drain(r);
    got.insert(got.end(), some.begin(), some.end());
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], payload);
  EXPECT_EQ(got[1], "second");
}

TEST(Rfc4571, SplitHeaderKeepsPendingBytes) {
  Rfc4571Reader r;
  auto f = frame("hello");
  r.feed(f.data(), 1);
  Rfc4571Reader::Status st;
  EXPECT_TRUE(drain(r, &st).empty());
  EXPECT_EQ(st, Rfc4571Reader::Status::NeedMore);
  EXPECT_EQ(r.pending().size(), 1u);
  r.feed(f.data() + 1, 4);
  EXPECT_TRUE(drain(r).empty());
  EXPECT_EQ(r.pending().size(), 5u);
  r.feed(f.data() + 5, f.size() - 5);
  EXPECT_EQ(drain(r), std::vector<std::string>{"hello"});
}

TEST(Rfc4571, MaximumSizeFrameFitsTheBuffer) {
  Rfc4571Reader r;
  std::string payload(Rfc4571Reader::kMaxPacket, 'z');
  auto f = frame(payload);
  size_t off = 0;
  std::vector<std::string> got;
  while (off < f.size()) {
    size_t n = r.feed(f.data() + off, std::min<size_t>(1000, f.size() - off));
    ASSERT_GT(n, 0u);
    off += n;
    auto some = drain(r);
    got.insert(got.end(), some.begin(), some.end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], payload);
}

TEST(Rfc4571, OversizeFrameIsAStickyError) {
  Rfc4571Reader r;
  uint8_t h[2];
  writeRfc4571Header(h, Rfc4571Reader::kMaxPacket + 1);
  r.feed(h, 2);
  Rfc4571Reader::Status st;
  EXPECT_TRUE(drain(r, &st).empty());
  EXPECT_EQ(st, Rfc4571Reader::Status::Error);
  ASSERT_NE(r.error(), nullptr);
  EXPECT_NE(std::string(r.error()).find("larger"), std::string::npos);
  auto f = frame("ok");
  r.feed(f.data(), f.size());
  EXPECT_TRUE(drain(r, &st).empty()) << "no frame is returned after a framing error";
  EXPECT_EQ(st, Rfc4571Reader::Status::Error);
}

TEST(Rfc4571, LargestLengthFieldIsRejectedBeforeAnyPayload) {
  Rfc4571Reader r;
  const uint8_t h[2] = {0xff, 0xff};
  r.feed(h, 2);
  Rfc4571Reader::Status st;
  drain(r, &st);
  EXPECT_EQ(st, Rfc4571Reader::Status::Error);
}

TEST(Rfc4571, EmptyFrameIsAnError) {
  Rfc4571Reader r;
  auto good = frame("a");
  const uint8_t empty[2] = {0, 0};
  r.feed(good.data(), good.size());
  r.feed(empty, 2);
  Rfc4571Reader::Status st;
  EXPECT_EQ(drain(r, &st), std::vector<std::string>{"a"}) << "frames before the bad one are delivered";
  EXPECT_EQ(st, Rfc4571Reader::Status::Error);
  EXPECT_NE(std::string(r.error()).find("empty"), std::string::npos);
}

TEST(Rfc4571, BufferNeverOverflows) {
  Rfc4571Reader r;
  // A valid header promising the maximum, then more bytes than fit: feed stops at the frame.
  std::vector<uint8_t> f = frame(std::string(Rfc4571Reader::kMaxPacket, 'q'));
  f.resize(f.size() + 100, 0);
  size_t taken = r.feed(f.data(), f.size());
  EXPECT_EQ(taken, 2 + Rfc4571Reader::kMaxPacket);
  EXPECT_EQ(drain(r).size(), 1u);
  EXPECT_EQ(r.space().size(), 2 + Rfc4571Reader::kMaxPacket) << "compacted after the frame was taken";
}
