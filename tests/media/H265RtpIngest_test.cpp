#include "media/H265RtpIngest.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/H265.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;

// NAL unit header bytes for a type, layer 0, TID 1.
uint8_t h0(uint8_t type) { return static_cast<uint8_t>(type << 1); }
constexpr uint8_t kH1 = 0x01;

const Bytes kVps = {h0(32), kH1, 0x0c, 0x01, 0xff, 0xff};
const Bytes kSps = {h0(33), kH1, 0x01, 0x01, 0x60, 0x00};
const Bytes kPps = {h0(34), kH1, 0xc1, 0x72};
const Bytes kSps2 = {h0(33), kH1, 0x01, 0x02, 0x60, 0x00, 0x01};

Bytes nalOf(uint8_t type, size_t size, uint8_t seed = 1) {
  Bytes n(size);
  n[0] = h0(type);
  n[1] = kH1;
  for (size_t i = 2; i < size; ++i) n[i] = static_cast<uint8_t>(seed + i * 13);
  return n;
}

Bytes ap(const std::vector<Bytes>& nals) {
  Bytes out = {h0(48), kH1};
  for (const auto& n : nals) {
    out.push_back(static_cast<uint8_t>(n.size() >> 8));
    out.push_back(static_cast<uint8_t>(n.size()));
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

Bytes fu(uint8_t type, bool start, bool end, const Bytes& body) {
  Bytes out = {h0(49), kH1, static_cast<uint8_t>((start ? 0x80 : 0) | (end ? 0x40 : 0) | type)};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes body(size_t size, uint8_t seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(seed * 7 + i * 3);
  return b;
}

struct Shaped {
  Bytes bytes;
  uint32_t timestamp;
  bool marker, keyframeStart;
  uint16_t lostBefore;
  bool pointsIntoInput;
};

class H265IngestTest : public ::testing::Test, public ShapedPacketSink {
 protected:
  void onShapedPacket(const ShapedPacket& p) override {
    bool inside = p.payload >= input.data() && p.payload + p.size <= input.data() + input.size();
    out.push_back(
        {{p.payload, p.payload + p.size}, p.timestamp, p.marker, p.keyframeStart, p.lostBefore, inside});
  }

  IngestError push(const Bytes& payload, uint32_t ts, bool marker, int seqStep = 1) {
    seq = static_cast<uint16_t>(seq + seqStep);
    RtpHeader h;
    h.payloadType = 96;
    h.sequence = seq;
    h.timestamp = ts;
    h.marker = marker;
    input.assign(12, 0);
    writeRtpHeader(input.data(), h);
    input.insert(input.end(), payload.begin(), payload.end());
    return ingest.push(input.data(), input.size(), *this);
  }

  void useParameterSets() { ASSERT_TRUE(ingest.setParameterSets(kVps, kSps, kPps)); }

  // Reassembles the NAL units carried by out[from..] (single, AP, FU), as a viewer would.
  std::vector<Bytes> nalsOut(size_t from = 0) {
    std::vector<Bytes> nals;
    Bytes current;
    for (size_t i = from; i < out.size(); ++i) {
      const Bytes& b = out[i].bytes;
      uint8_t type = h265::nalType(b.data());
      if (type == h265::kAp) {
        for (size_t o = 2; o + 2 <= b.size();) {
          size_t n = readBe16(b.data() + o);
          nals.emplace_back(b.begin() + o + 2, b.begin() + o + 2 + n);
          o += 2 + n;
        }
      } else if (type == h265::kFu) {
        EXPECT_LE(b.size(), ingest.maxPayload());
        if (b[2] & 0x80) current = {static_cast<uint8_t>((b[0] & 0x81) | ((b[2] & 0x3f) << 1)), b[1]};
        current.insert(current.end(), b.begin() + 3, b.end());
        if (b[2] & 0x40) nals.push_back(current);
      } else {
        nals.push_back(b);
      }
    }
    return nals;
  }

  H265RtpIngest ingest{1000};
  std::vector<Shaped> out;
  Bytes input;
  uint16_t seq = 999;
};

}  // namespace

TEST_F(H265IngestTest, ForwardsFittingSingleNalWithoutCopy) {
  Bytes slice = nalOf(1, 1000);
  ASSERT_EQ(push(slice, 3000, true), IngestError::None);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes, slice);
  EXPECT_TRUE(out[0].pointsIntoInput);
  EXPECT_TRUE(out[0].marker);
  EXPECT_FALSE(out[0].keyframeStart);
}

TEST_F(H265IngestTest, AbsorbsInBandParameterSetsAndPrefixesEveryIrapType) {
  for (uint8_t irap = 16; irap <= 21; ++irap) {
    out.clear();
    uint32_t ts = irap * 3000u;
    push(kVps, ts, false);
    push(kSps, ts, false);
    push(kPps, ts, false);
    push({h0(35), kH1, 0x10}, ts, false);  // AUD
    EXPECT_TRUE(out.empty());
    Bytes pic = nalOf(irap, 300);
    ASSERT_EQ(push(pic, ts, true), IngestError::None);
    ASSERT_EQ(out.size(), 2u) << int(irap);
    EXPECT_EQ(out[0].bytes, ap({kVps, kSps, kPps}));
    EXPECT_TRUE(out[0].keyframeStart);
    EXPECT_FALSE(out[0].marker);
    EXPECT_EQ(out[1].bytes, pic);
    EXPECT_TRUE(out[1].marker);
  }
  EXPECT_EQ(ingest.keyframes(), 6u);
  EXPECT_EQ(ingest.parameterSetChanges(), 0u);
}

TEST_F(H265IngestTest, NonIrapPicturesGetNoPrefix) {
  useParameterSets();
  push(nalOf(1, 50), 1, true);   // TRAIL_R
  push(nalOf(15, 50), 2, true);  // reserved non-IRAP VCL
  push(nalOf(22, 50), 3, true);  // reserved IRAP range 22/23 is not an IRAP picture type here
  ASSERT_EQ(out.size(), 3u);
  for (const auto& p : out) EXPECT_FALSE(p.keyframeStart);
}

TEST_F(H265IngestTest, SdpParameterSetsAreReplacedInBand) {
  useParameterSets();
  push(nalOf(19, 50), 1, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, ap({kVps, kSps, kPps}));
  push(ap({kVps, kSps2, kPps}), 2, false);
  push(nalOf(19, 50), 2, true);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2].bytes, ap({kVps, kSps2, kPps}));
  EXPECT_EQ(ingest.parameterSetChanges(), 1u);
}

TEST_F(H265IngestTest, RejectsBadSdpParameterSets) {
  EXPECT_FALSE(ingest.setParameterSets(kSps, kSps, kPps));  // VPS slot holds an SPS
  EXPECT_FALSE(ingest.setParameterSets(Bytes{h0(32)}, kSps, kPps));
  EXPECT_FALSE(ingest.setParameterSets(nalOf(32, H265RtpIngest::kMaxParameterSetSize + 1), kSps, kPps));
  EXPECT_EQ(ingest.oversizeParameterSets(), 1u);
  EXPECT_FALSE(ingest.hasParameterSets());
  push(nalOf(33, H265RtpIngest::kMaxParameterSetSize + 1), 1, false);  // in band: ignored, counted
  EXPECT_EQ(ingest.oversizeParameterSets(), 2u);
  EXPECT_EQ(ingest.sps().size(), 0u);
}

TEST_F(H265IngestTest, IrapWithoutParameterSetsIsForwardedUnflagged) {
  push(nalOf(20, 50), 1, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].keyframeStart);
  EXPECT_EQ(ingest.irapWithoutParameterSets(), 1u);
}

TEST_F(H265IngestTest, ApWithParameterSetsAndIrapIsRebuilt) {
  Bytes idr = nalOf(19, 40), sei = nalOf(39, 10);
  ASSERT_EQ(push(ap({{h0(35), kH1, 0x10}, kVps, kSps, kPps, sei, idr}), 5, true), IngestError::None);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, ap({kVps, kSps, kPps}));
  EXPECT_TRUE(out[0].keyframeStart);
  EXPECT_EQ(out[1].bytes, ap({sei, idr}));
  EXPECT_TRUE(out[1].marker);
}

TEST_F(H265IngestTest, ApWithOneRemainingNalBecomesSingleAndFittingApPassesThrough) {
  Bytes idr = nalOf(19, 40);
  push(ap({kVps, kSps, kPps, idr}), 5, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].bytes, idr);
  EXPECT_TRUE(out[1].pointsIntoInput);
  Bytes two = ap({nalOf(39, 10), nalOf(1, 20)});
  push(two, 6, true);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].bytes, two);
  EXPECT_TRUE(out[2].pointsIntoInput);
}

TEST_F(H265IngestTest, ApRebuiltHeaderTakesTheLowestTid) {
  Bytes a = nalOf(1, 20), b = nalOf(1, 20);
  a[1] = 3;  // TID 2
  b[1] = 2;  // TID 1
  push(ap({kSps, a, b}), 1, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes[0], h0(48));
  EXPECT_EQ(out[0].bytes[1], 2);
}

TEST_F(H265IngestTest, OversizeApSplitsIntoSinglesAndFus) {
  Bytes a = nalOf(1, 600), c = nalOf(1, 1500);
  push(ap({a, c}), 5, true);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].bytes, a);
  EXPECT_FALSE(out[0].marker);
  EXPECT_EQ(out[1].bytes.size(), 1000u);
  EXPECT_TRUE(out[2].marker);
  EXPECT_EQ(nalsOut(), (std::vector<Bytes>{a, c}));
}

TEST_F(H265IngestTest, OversizeSingleNalBecomesFullFus) {
  useParameterSets();
  Bytes idr = nalOf(19, 2500);
  push(idr, 7, true);
  ASSERT_EQ(out.size(), 4u);  // prefix + 997 + 997 + 504
  EXPECT_TRUE(out[0].keyframeStart);
  EXPECT_EQ(out[1].bytes.size(), 1000u);
  EXPECT_EQ(out[2].bytes.size(), 1000u);
  EXPECT_EQ(out[3].bytes.size(), 3u + 2498 - 2 * 997);
  EXPECT_EQ(out[1].bytes[0], h0(49));
  EXPECT_EQ(out[1].bytes[1], kH1);
  EXPECT_EQ(out[1].bytes[2], 0x80 | 19);
  EXPECT_EQ(out[2].bytes[2], 19);
  EXPECT_EQ(out[3].bytes[2], 0x40 | 19);
  EXPECT_TRUE(out[3].marker);
  EXPECT_FALSE(out[1].marker);
  EXPECT_EQ(nalsOut(1), (std::vector<Bytes>{idr}));
}

TEST_F(H265IngestTest, CameraFragmentsAreRefragmentedStreaming) {
  useParameterSets();
  // 1400-byte fragments (as cameras send) of a 4203-byte IDR, maxPayload 1000.
  Bytes b1 = body(1400, 1), b2 = body(1400, 2), b3 = body(1401, 3);
  push(fu(19, true, false, b1), 9, false);
  ASSERT_EQ(out.size(), 2u);  // prefix + one full FU; 403 bytes carried, none buffered beyond
  push(fu(19, false, false, b2), 9, false);
  ASSERT_EQ(out.size(), 3u);
  push(fu(19, false, true, b3), 9, true);
  ASSERT_EQ(out.size(), 6u);  // 4201 bytes of body: 4 x 997 + 213
  for (size_t i = 1; i < out.size(); ++i) {
    EXPECT_EQ(out[i].bytes.size(), i + 1 < out.size() ? 1000u : 3u + 4201 - 4 * 997) << i;
    EXPECT_EQ(out[i].marker, i + 1 == out.size());
  }
  Bytes whole = {h0(19), kH1};
  for (const Bytes* b : {&b1, &b2, &b3}) whole.insert(whole.end(), b->begin(), b->end());
  EXPECT_EQ(nalsOut(1), (std::vector<Bytes>{whole}));
}

TEST_F(H265IngestTest, SmallFragmentsMergeIntoOneSingleNal) {
  Bytes b1 = body(100, 1), b2 = body(200, 2);
  push(fu(1, true, false, b1), 9, false);
  push(fu(1, false, true, b2), 9, true);
  ASSERT_EQ(out.size(), 1u);
  Bytes whole = {h0(1), kH1};
  whole.insert(whole.end(), b1.begin(), b1.end());
  whole.insert(whole.end(), b2.begin(), b2.end());
  EXPECT_EQ(out[0].bytes, whole);
  EXPECT_TRUE(out[0].marker);
}

TEST_F(H265IngestTest, FuWithoutStartIsDroppedAndCounted) {
  EXPECT_EQ(push(fu(1, false, false, body(300, 1)), 9, false), IngestError::FragmentWithoutStart);
  EXPECT_EQ(push(fu(1, false, true, body(300, 1)), 9, true), IngestError::FragmentWithoutStart);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ingest.orphanFragments(), 2u);
}

TEST_F(H265IngestTest, FuTypeMismatchDropsTheNal) {
  push(fu(1, true, false, body(500, 1)), 9, false);
  EXPECT_EQ(push(fu(19, false, true, body(100, 1)), 9, true), IngestError::FragmentTypeMismatch);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(push(fu(1, false, true, body(100, 1)), 9, true), IngestError::FragmentWithoutStart);
  EXPECT_TRUE(out.empty());
}

TEST_F(H265IngestTest, GapInsideFragmentsDropsTheRestAndKeepsTheGap) {
  push(fu(1, true, false, body(1400, 1)), 9, false);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(push(fu(1, false, true, body(300, 2)), 9, true, 2), IngestError::FragmentWithoutStart);
  EXPECT_EQ(ingest.truncatedNals(), 1u);
  push(nalOf(1, 30), 12, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].lostBefore, 1u);
  EXPECT_EQ(ingest.lostPackets(), 1u);
}

TEST_F(H265IngestTest, NewStartWithoutEndTruncatesTheOpenNal) {
  push(fu(1, true, false, body(500, 1)), 9, false);
  push(fu(1, true, false, body(100, 2)), 9, false);
  push(fu(1, false, true, body(100, 3)), 9, true);
  EXPECT_EQ(ingest.truncatedNals(), 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes.size(), 2u + 200);
}

TEST_F(H265IngestTest, RejectsMalformedInputWithoutEmitting) {
  EXPECT_EQ(push({}, 1, false), IngestError::EmptyPayload);
  EXPECT_EQ(push({h0(1)}, 1, false), IngestError::EmptyPayload);
  // Forbidden bit, layer id != 0, TID 0 - on single NAL units, APs and inside APs.
  EXPECT_EQ(push({static_cast<uint8_t>(0x80 | h0(1)), kH1, 0}, 1, false), IngestError::ForbiddenBitSet);
  EXPECT_EQ(push({h0(1), static_cast<uint8_t>((1 << 3) | 1), 0}, 1, false), IngestError::NonBaseLayer);
  EXPECT_EQ(push({static_cast<uint8_t>(h0(1) | 1), kH1, 0}, 1, false), IngestError::NonBaseLayer);
  EXPECT_EQ(push({h0(1), 0, 0}, 1, false), IngestError::BadTemporalId);
  Bytes layered = nalOf(1, 10);
  layered[1] = (2 << 3) | 1;
  EXPECT_EQ(push(ap({kVps, layered}), 1, false), IngestError::NonBaseLayer);
  Bytes forbidden = nalOf(1, 10);
  forbidden[0] |= 0x80;
  EXPECT_EQ(push(ap({kSps, forbidden}), 1, false), IngestError::ForbiddenBitSet);
  // Truncated or lying APs: nothing absorbed.
  EXPECT_EQ(push({h0(48), kH1}, 1, false), IngestError::MalformedAggregation);
  EXPECT_EQ(push({h0(48), kH1, 0}, 1, false), IngestError::MalformedAggregation);
  EXPECT_EQ(push({h0(48), kH1, 0, 9, h0(1), kH1}, 1, false), IngestError::MalformedAggregation);
  EXPECT_EQ(push({h0(48), kH1, 0, 1, h0(1)}, 1, false), IngestError::MalformedAggregation);
  Bytes truncatedAfterVps = ap({kVps});
  truncatedAfterVps.push_back(0);
  EXPECT_EQ(push(truncatedAfterVps, 1, false), IngestError::MalformedAggregation);
  EXPECT_EQ(push(ap({kVps, ap({nalOf(1, 4)})}), 1, false), IngestError::MalformedAggregation);  // nested
  EXPECT_EQ(ingest.vps().size(), 0u);
  // FUs without body, with S and E together, or carrying an aggregation type.
  EXPECT_EQ(push({h0(49), kH1, 0x81}, 1, false), IngestError::MalformedFragment);
  EXPECT_EQ(push(fu(1, true, true, body(10, 1)), 1, false), IngestError::MalformedFragment);
  EXPECT_EQ(push(fu(48, true, false, body(10, 1)), 1, false), IngestError::MalformedFragment);
  EXPECT_EQ(push(fu(49, true, false, body(10, 1)), 1, false), IngestError::MalformedFragment);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ingest.malformed(), 18u);
}

TEST_F(H265IngestTest, RejectsUnsupportedPayloadStructures) {
  for (uint8_t type : {50, 51, 63}) {
    EXPECT_EQ(push({h0(type), kH1, 0, 4, 1, 2, 3, 4}, 1, true), IngestError::UnsupportedPacketization);
  }
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ingest.unsupported(), 3u);
}

TEST_F(H265IngestTest, ParameterSetsLargerThanMaxPayloadGoSeparately) {
  ingest = H265RtpIngest(8);  // the AP would be 24 bytes
  useParameterSets();
  Bytes idr = nalOf(19, 6);
  push(idr, 1, true);
  ASSERT_GE(out.size(), 4u);
  EXPECT_TRUE(out[0].keyframeStart);
  for (size_t i = 1; i < out.size(); ++i) EXPECT_FALSE(out[i].keyframeStart);
  for (const auto& p : out) EXPECT_LE(p.bytes.size(), 8u);
  EXPECT_EQ(nalsOut(), (std::vector<Bytes>{kVps, kSps, kPps, idr}));
  EXPECT_TRUE(out.back().marker);
}

TEST(H265Sprop, ParsesAndRejects) {
  H265ParameterSets sets;
  std::string error;
  // VPS 40 01 0c 01, SPS 42 01 01 01, PPS 44 01 c1 72 (base64).
  ASSERT_TRUE(parseH265Sprop("QAEMAQ==", "QgEBAQ==", "RAHBcg==", sets, error)) << error;
  EXPECT_EQ(sets.vps, (Bytes{0x40, 0x01, 0x0c, 0x01}));
  EXPECT_EQ(sets.pps, (Bytes{0x44, 0x01, 0xc1, 0x72}));
  EXPECT_FALSE(parseH265Sprop("", "QgEBAQ==", "RAHBcg==", sets, error));
  EXPECT_NE(error.find("sprop-vps"), std::string::npos);
  EXPECT_FALSE(parseH265Sprop("QAEMAQ==", "QAEMAQ==", "RAHBcg==", sets, error));  // VPS as SPS
  EXPECT_NE(error.find("expected 33"), std::string::npos);
  EXPECT_FALSE(parseH265Sprop("QAEMAQ==", "QgEBAQ==", "!!", sets, error));
  EXPECT_NE(error.find("base64"), std::string::npos);
  EXPECT_FALSE(parseH265Sprop("QA==", "QgEBAQ==", "RAHBcg==", sets, error));  // 1 byte
}

TEST_F(H265IngestTest, PrefixSeiRidesWithTheIrapParameterSets) {
  Bytes sei = nalOf(39, 40);
  push(kVps, 3000, false);
  push(kSps, 3000, false);
  push(kPps, 3000, false);
  push(sei, 3000, false);
  EXPECT_TRUE(out.empty());
  Bytes pic = nalOf(19, 300);
  push(pic, 3000, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, ap({kVps, kSps, kPps, sei}));
  EXPECT_TRUE(out[0].keyframeStart);
  EXPECT_EQ(out[1].bytes, pic);
  EXPECT_TRUE(out[1].marker);
}
