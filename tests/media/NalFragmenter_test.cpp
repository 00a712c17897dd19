#include "media/NalFragmenter.h"

#include <gtest/gtest.h>

#include <vector>

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;

struct Out {
  Bytes bytes;
  bool last;
};

struct Collector {
  std::vector<Out> out;
  void operator()(const uint8_t* p, size_t n, bool last) { out.push_back({Bytes(p, p + n), last}); }
};

Bytes body(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + 7);
  return b;
}

// Feeds `total` body bytes in pieces of `piece` and returns the payloads.
std::vector<Out> run(NalCodec codec, size_t maxPayload, size_t total, size_t piece) {
  NalFragmenter f(codec, maxPayload);
  Collector c;
  const uint8_t header[2] = {codec == NalCodec::H264 ? uint8_t{0x65} : uint8_t{19 << 1}, 1};
  Bytes b = body(total);
  f.begin(header);
  for (size_t o = 0; o < total; o += piece) f.append(b.data() + o, std::min(piece, total - o), c);
  f.end(c);
  EXPECT_FALSE(f.active());
  return c.out;
}

}  // namespace

TEST(NalFragmenter, EveryPayloadFullButTheLastWhateverThePieces) {
  for (NalCodec codec : {NalCodec::H264, NalCodec::H265}) {
    size_t overhead = NalFragmenter::fuOverhead(codec), chunk = 100 - overhead;
    for (size_t total : {size_t{1}, chunk - 1, chunk, chunk + 1, 2 * chunk, 2 * chunk + 1, size_t{1000}}) {
      for (size_t piece : {size_t{1}, size_t{7}, chunk, size_t{1400}}) {
        auto out = run(codec, 100, total, piece);
        size_t header = NalFragmenter::headerSize(codec);
        if (header + total <= 100) {  // fits: one single NAL unit packet
          ASSERT_EQ(out.size(), 1u) << total << "/" << piece;
          EXPECT_EQ(out[0].bytes.size(), header + total);
          EXPECT_TRUE(out[0].last);
          continue;
        }
        size_t expected = (total + chunk - 1) / chunk;
        ASSERT_EQ(out.size(), expected) << total << "/" << piece;
        Bytes joined;
        for (size_t i = 0; i < out.size(); ++i) {
          const Bytes& p = out[i].bytes;
          if (i + 1 < out.size()) {
            EXPECT_EQ(p.size(), 100u) << total << "/" << piece << " #" << i;
          }
          EXPECT_EQ(out[i].last, i + 1 == out.size());
          uint8_t fu = p[overhead - 1];
          EXPECT_EQ((fu & 0x80) != 0, i == 0);
          EXPECT_EQ((fu & 0x40) != 0, i + 1 == out.size());
          joined.insert(joined.end(), p.begin() + overhead, p.end());
        }
        EXPECT_EQ(joined, body(total));
      }
    }
  }
}

TEST(NalFragmenter, FuHeadersCarryTheNalHeader) {
  auto h264 = run(NalCodec::H264, 10, 20, 20);
  EXPECT_EQ(h264[0].bytes[0], 0x7c);  // F=0, NRI=3, type 28
  EXPECT_EQ(h264[0].bytes[1], 0x85);
  auto h265 = run(NalCodec::H265, 10, 20, 20);
  EXPECT_EQ(h265[0].bytes[0], 49 << 1);
  EXPECT_EQ(h265[0].bytes[1], 1);  // layer 0, TID 1 kept
  EXPECT_EQ(h265[0].bytes[2], 0x80 | 19);
}

TEST(NalFragmenter, FlushLeavesTheNalOpenAndAbandonDropsIt) {
  NalFragmenter f(NalCodec::H264, 100);
  Collector c;
  const uint8_t header = 0x41;
  Bytes b = body(150);
  f.begin(&header);
  f.append(b.data(), 50, c);
  EXPECT_TRUE(c.out.empty());  // carried
  f.flush(c);
  ASSERT_EQ(c.out.size(), 1u);
  EXPECT_EQ(c.out[0].bytes.size(), 52u);
  EXPECT_EQ(c.out[0].bytes[1], 0x81);  // S, no E
  EXPECT_TRUE(f.active());
  f.append(b.data() + 50, 100, c);
  f.end(c);
  ASSERT_EQ(c.out.size(), 3u);
  EXPECT_EQ(c.out[1].bytes[1], 0x01);
  EXPECT_EQ(c.out[2].bytes[1], 0x41);
  f.begin(&header);
  f.append(b.data(), 120, c);
  f.abandon();
  EXPECT_FALSE(f.active());
  f.end(c);  // nothing: abandoned
  EXPECT_EQ(c.out.size(), 4u);  // the one full fragment that had left before
}

TEST(NalFragmenter, ClampsTinyPayloads) {
  EXPECT_EQ(NalFragmenter(NalCodec::H264, 0).maxPayload(), 3u);
  EXPECT_EQ(NalFragmenter(NalCodec::H265, 2).maxPayload(), 4u);
  auto out = run(NalCodec::H265, 4, 5, 2);  // one byte of body per FU
  ASSERT_EQ(out.size(), 5u);
  for (const auto& o : out) EXPECT_EQ(o.bytes.size(), 4u);
}
