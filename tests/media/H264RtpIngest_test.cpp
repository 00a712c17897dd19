#include "media/H264RtpIngest.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/H264.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;

const Bytes kSps = {0x67, 0x42, 0xc0, 0x1f, 0xd9, 0x00, 0x78};
const Bytes kPps = {0x68, 0xce, 0x3c, 0x80};
const Bytes kSps2 = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9};

struct Shaped {
  Bytes bytes;
  uint32_t timestamp;
  bool marker, keyframeStart;
  uint16_t lostBefore;
  bool pointsIntoInput;
};

Bytes nalOf(uint8_t header, size_t size, uint8_t seed = 1) {
  Bytes n(size);
  n[0] = header;
  for (size_t i = 1; i < size; ++i) n[i] = static_cast<uint8_t>(seed + i * 13);
  return n;
}

Bytes stapA(const std::vector<Bytes>& nals) {
  Bytes out = {0x78};
  for (const auto& n : nals) {
    out.push_back(static_cast<uint8_t>(n.size() >> 8));
    out.push_back(static_cast<uint8_t>(n.size()));
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

Bytes fuA(uint8_t nalHeader, bool start, bool end, const Bytes& body) {
  Bytes out = {static_cast<uint8_t>((nalHeader & 0xe0) | 28),
               static_cast<uint8_t>((start ? 0x80 : 0) | (end ? 0x40 : 0) | (nalHeader & 0x1f))};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes stapOfParameterSets(const Bytes& sps, const Bytes& pps) {
  Bytes b = stapA({sps, pps});
  b[0] = static_cast<uint8_t>(0x18 | std::max(sps[0] & 0x60, pps[0] & 0x60));
  return b;
}

class IngestTest : public ::testing::Test, public ShapedPacketSink {
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
    h.ssrc = 0x1234;
    input.assign(12, 0);
    writeRtpHeader(input.data(), h);
    input.insert(input.end(), payload.begin(), payload.end());
    return ingest.push(input.data(), input.size(), *this);
  }

  void useParameterSets(const Bytes& sps, const Bytes& pps) {
    ingest.setParameterSets(sps.data(), sps.size(), pps.data(), pps.size());
  }

  H264RtpIngest ingest{1000};
  std::vector<Shaped> out;
  Bytes input;
  uint16_t seq = 999;
};

}  // namespace

TEST_F(IngestTest, ForwardsFittingSingleNalWithoutCopy) {
  Bytes slice = nalOf(0x41, 999);
  ASSERT_EQ(push(slice, 3000, true), IngestError::None);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes, slice);
  EXPECT_TRUE(out[0].pointsIntoInput);
  EXPECT_TRUE(out[0].marker);
  EXPECT_FALSE(out[0].keyframeStart);
  EXPECT_EQ(out[0].timestamp, 3000u);
  EXPECT_EQ(out[0].lostBefore, 0u);
  EXPECT_EQ(ingest.packetsIn(), 1u);
  EXPECT_EQ(ingest.packetsOut(), 1u);
}

TEST_F(IngestTest, AbsorbsInBandParameterSetsAndPrefixesIdr) {
  EXPECT_EQ(push(kSps, 9000, false), IngestError::None);
  EXPECT_EQ(push(kPps, 9000, false), IngestError::None);
  EXPECT_EQ(push({0x09, 0xf0}, 9000, false), IngestError::None);  // AUD
  EXPECT_TRUE(out.empty());
  Bytes idr = nalOf(0x65, 300);
  ASSERT_EQ(push(idr, 9000, true), IngestError::None);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, stapOfParameterSets(kSps, kPps));
  EXPECT_EQ(out[0].bytes[0], 0x78);
  EXPECT_TRUE(out[0].keyframeStart);
  EXPECT_FALSE(out[0].marker);
  EXPECT_EQ(out[0].timestamp, 9000u);
  EXPECT_EQ(out[1].bytes, idr);
  EXPECT_FALSE(out[1].keyframeStart);
  EXPECT_TRUE(out[1].marker);
  EXPECT_EQ(ingest.keyframes(), 1u);
  EXPECT_EQ(Bytes(ingest.sps().begin(), ingest.sps().end()), kSps);
  EXPECT_EQ(Bytes(ingest.pps().begin(), ingest.pps().end()), kPps);
}

TEST_F(IngestTest, InBandParameterSetsReplaceSdpOnes) {
  useParameterSets(kSps, kPps);
  push(nalOf(0x65, 50), 1, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, stapOfParameterSets(kSps, kPps));
  push(kSps2, 2, false);
  push(kPps, 2, false);  // unchanged
  push(nalOf(0x65, 50), 2, true);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2].bytes, stapOfParameterSets(kSps2, kPps));
  EXPECT_EQ(ingest.parameterSetChanges(), 1u);
}

TEST_F(IngestTest, IgnoresOversizeSdpParameterSets) {
  useParameterSets(Bytes(H264RtpIngest::kMaxParameterSetSize + 1, 0x67), kPps);
  EXPECT_FALSE(ingest.hasParameterSets());
  EXPECT_EQ(ingest.oversizeParameterSets(), 1u);
  push(stapA({nalOf(0x67, H264RtpIngest::kMaxParameterSetSize + 1), kPps}), 1, false);
  EXPECT_EQ(ingest.oversizeParameterSets(), 2u);
  EXPECT_EQ(ingest.sps().size(), 0u);
  EXPECT_EQ(ingest.pps().size(), kPps.size());
}

TEST_F(IngestTest, IdrWithoutParameterSetsIsForwardedUnflagged) {
  push(nalOf(0x65, 50), 1, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].keyframeStart);
  EXPECT_EQ(ingest.idrWithoutParameterSets(), 1u);
  EXPECT_EQ(ingest.keyframes(), 1u);
}

TEST_F(IngestTest, OnePrefixPerAccessUnit) {
  useParameterSets(kSps, kPps);
  push(nalOf(0x65, 50), 1, false);
  push(nalOf(0x65, 60), 1, true);   // second IDR slice, same AU
  push(nalOf(0x65, 50), 2, false);  // new timestamp: new AU
  push(nalOf(0x65, 50), 2, true);
  push(nalOf(0x65, 50), 2, true);  // marker ended the last AU, even with the same timestamp
  ASSERT_EQ(out.size(), 8u);
  std::vector<bool> flags;
  for (const auto& p : out) flags.push_back(p.keyframeStart);
  EXPECT_EQ(flags, (std::vector<bool>{true, false, false, true, false, false, true, false}));
  EXPECT_EQ(ingest.keyframes(), 3u);
}

TEST_F(IngestTest, StapAWithParameterSetsAndIdrIsRebuilt) {
  Bytes idr = nalOf(0x65, 40);
  ASSERT_EQ(push(stapA({{0x09, 0xf0}, kSps, kPps, idr}), 5, true), IngestError::None);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, stapOfParameterSets(kSps, kPps));
  EXPECT_TRUE(out[0].keyframeStart);
  EXPECT_EQ(out[1].bytes, idr);  // the only remaining NAL goes as a single NAL unit
  EXPECT_TRUE(out[1].marker);
  EXPECT_TRUE(out[1].pointsIntoInput);
}

TEST_F(IngestTest, StapAWithOnlyParameterSetsEmitsNothing) {
  ASSERT_EQ(push(stapA({kSps, kPps}), 5, true), IngestError::None);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(ingest.hasParameterSets());
}

TEST_F(IngestTest, FittingStapAIsForwardedAsIs) {
  Bytes stap = stapA({nalOf(0x06, 10), nalOf(0x41, 20)});
  push(stap, 5, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes, stap);
  EXPECT_TRUE(out[0].pointsIntoInput);
  EXPECT_TRUE(out[0].marker);
}

TEST_F(IngestTest, StapAWithRemovedNalsShrinks) {
  Bytes sei = nalOf(0x06, 10), a = nalOf(0x21, 20), b = nalOf(0x21, 30);
  push(stapA({sei, kSps, a, b}), 5, false);
  ASSERT_EQ(out.size(), 1u);
  Bytes expected = stapA({sei, a, b});
  expected[0] = 0x38;  // NRI = max(0, 1, 1) of the kept NAL units
  EXPECT_EQ(out[0].bytes, expected);
  EXPECT_FALSE(out[0].marker);
}

TEST_F(IngestTest, OversizeStapASplitsIntoSingleNalsAndFuA) {
  Bytes a = nalOf(0x41, 600), b = nalOf(0x41, 500), c = nalOf(0x41, 1500);
  push(stapA({a, b}), 5, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, a);
  EXPECT_FALSE(out[0].marker);
  EXPECT_EQ(out[1].bytes, b);
  EXPECT_TRUE(out[1].marker);
  out.clear();
  push(stapA({a, c}), 6, true);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].bytes, a);
  EXPECT_EQ(h264::nalType(out[1].bytes[0]), h264::kFuA);
  EXPECT_EQ(out[1].bytes[1], 0x81);
  EXPECT_FALSE(out[1].marker);
  EXPECT_EQ(out[2].bytes[1], 0x41);
  EXPECT_TRUE(out[2].marker);
}

TEST_F(IngestTest, OversizeSingleNalBecomesFuA) {
  useParameterSets(kSps, kPps);
  Bytes idr = nalOf(0x65, 2500);
  push(idr, 7, true);
  ASSERT_EQ(out.size(), 4u);  // prefix + 3 fragments
  EXPECT_TRUE(out[0].keyframeStart);
  Bytes body;
  for (size_t i = 1; i < out.size(); ++i) {
    const auto& b = out[i].bytes;
    EXPECT_LE(b.size(), 1000u);
    EXPECT_EQ(b[0], 0x7c);
    EXPECT_EQ((b[1] & 0x80) != 0, i == 1);
    EXPECT_EQ((b[1] & 0x40) != 0, i == 3);
    EXPECT_EQ(out[i].marker, i == 3);
    EXPECT_FALSE(out[i].keyframeStart);
    body.insert(body.end(), b.begin() + 2, b.end());
  }
  EXPECT_EQ(body, Bytes(idr.begin() + 1, idr.end()));
}

TEST_F(IngestTest, FuAFragmentsAreRefragmentedIntoFullPayloads) {
  Bytes part1 = nalOf(0, 2000, 1), part2 = nalOf(0, 2000, 2), part3 = nalOf(0, 1500, 3);
  push(fuA(0x61, true, false, part1), 9, false);
  push(fuA(0x61, false, false, part2), 9, false);
  push(fuA(0x61, false, true, part3), 9, true);
  ASSERT_EQ(out.size(), 6u);  // 5500 bytes of body: 5 full payloads of 998 + 510
  Bytes body;
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& b = out[i].bytes;
    EXPECT_EQ(b.size(), i + 1 < out.size() ? 1000u : 512u) << i;
    EXPECT_EQ(b[0], 0x7c);
    EXPECT_EQ((b[1] & 0x80) != 0, i == 0) << i;
    EXPECT_EQ((b[1] & 0x40) != 0, i == out.size() - 1) << i;
    EXPECT_EQ(h264::nalType(b[1]), 1);
    EXPECT_EQ(out[i].marker, i == out.size() - 1);
    body.insert(body.end(), b.begin() + 2, b.end());
  }
  Bytes expected;
  for (const Bytes* p : {&part1, &part2, &part3}) expected.insert(expected.end(), p->begin(), p->end());
  EXPECT_EQ(body, expected);
}

TEST_F(IngestTest, SmallFuAFragmentsAreMergedAndIdrFragmentsGetOnePrefix) {
  useParameterSets(kSps, kPps);
  Bytes body1 = nalOf(0, 500, 1), body2 = nalOf(0, 400, 2);
  push(fuA(0x65, true, false, body1), 9, false);
  push(fuA(0x65, false, true, body2), 9, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].keyframeStart);
  Bytes whole = {0x65};  // 901 bytes fit one payload: a single NAL unit packet
  whole.insert(whole.end(), body1.begin(), body1.end());
  whole.insert(whole.end(), body2.begin(), body2.end());
  EXPECT_EQ(out[1].bytes, whole);
  EXPECT_TRUE(out[1].marker);
  EXPECT_FALSE(out[1].keyframeStart);
}

TEST_F(IngestTest, CarriedRemainderCrossesFragments) {
  // Camera fragments of 1400 bytes of body, maxPayload 1000: 4 x 1400 = 5600 -> 6 payloads.
  std::vector<Bytes> parts;
  for (int i = 0; i < 4; ++i) parts.push_back(nalOf(0, 1400, static_cast<uint8_t>(i)));
  for (int i = 0; i < 4; ++i) push(fuA(0x41, i == 0, i == 3, parts[i]), 9, i == 3);
  ASSERT_EQ(out.size(), 6u);
  Bytes body, expected;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].bytes.size(), i + 1 < out.size() ? 1000u : 2u + 5600 - 5 * 998) << i;
    body.insert(body.end(), out[i].bytes.begin() + 2, out[i].bytes.end());
  }
  for (const auto& p : parts) expected.insert(expected.end(), p.begin(), p.end());
  EXPECT_EQ(body, expected);
}

TEST_F(IngestTest, FragmentWithoutStartIsDroppedAndCounted) {
  EXPECT_EQ(push(fuA(0x41, false, false, nalOf(0, 300)), 9, false), IngestError::FragmentWithoutStart);
  EXPECT_EQ(push(fuA(0x41, false, true, nalOf(0, 300)), 9, true), IngestError::FragmentWithoutStart);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ingest.orphanFragments(), 2u);
  EXPECT_EQ(ingest.malformed(), 0u);
}

TEST_F(IngestTest, LostMiddleFragmentDropsTheRestOfTheNalAndKeepsTheGap) {
  push(fuA(0x41, true, false, nalOf(0, 1400, 1)), 9, false);  // 998 leave, 402 carried
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(push(fuA(0x41, false, false, nalOf(0, 1400, 2)), 9, false, 2), IngestError::FragmentWithoutStart);
  EXPECT_EQ(push(fuA(0x41, false, true, nalOf(0, 100, 3)), 9, true), IngestError::FragmentWithoutStart);
  EXPECT_EQ(ingest.truncatedNals(), 1u);
  Bytes next = nalOf(0x41, 50);
  push(next, 12, true);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].bytes, next);
  EXPECT_EQ(out[1].lostBefore, 1u);
}

TEST_F(IngestTest, FragmentTypeMismatchDropsTheNal) {
  push(fuA(0x41, true, false, nalOf(0, 500)), 9, false);
  EXPECT_EQ(push(fuA(0x45, false, true, nalOf(0, 100)), 9, true), IngestError::FragmentTypeMismatch);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ingest.malformed(), 1u);
}

TEST_F(IngestTest, LateFragmentIsDropped) {
  push(fuA(0x41, true, false, nalOf(0, 300)), 9, false);
  push(fuA(0x41, false, true, nalOf(0, 300)), 9, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(push(fuA(0x41, false, true, nalOf(0, 300)), 9, true, 0), IngestError::None);  // duplicate
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(ingest.lateFragments(), 1u);
}

TEST_F(IngestTest, MarkerOnAMiddleFragmentFlushesTheCarry) {
  push(fuA(0x41, true, false, nalOf(0, 500)), 9, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes.size(), 502u);
  EXPECT_EQ(out[0].bytes[1], 0x81);
  EXPECT_TRUE(out[0].marker);
}

TEST_F(IngestTest, ParameterSetsLargerThanMaxPayloadGoSeparately) {
  ingest = H264RtpIngest(5);  // the [SPS, PPS] STAP-A would be 16 bytes, the SPS alone 7
  useParameterSets(kSps, kPps);
  Bytes idr = nalOf(0x65, 5);
  push(idr, 1, true);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].bytes, (Bytes{0x7c, 0x87, 0x42, 0xc0, 0x1f}));  // SPS as FU-A
  EXPECT_TRUE(out[0].keyframeStart);
  EXPECT_EQ(out[1].bytes, (Bytes{0x7c, 0x47, 0xd9, 0x00, 0x78}));
  EXPECT_FALSE(out[1].keyframeStart);
  EXPECT_EQ(out[2].bytes, kPps);
  EXPECT_EQ(out[3].bytes, idr);
  EXPECT_TRUE(out[3].marker);
  for (const auto& p : out) EXPECT_EQ(p.timestamp, 1u);
}

TEST_F(IngestTest, CountsLostSequenceNumbers) {
  push(nalOf(0x41, 10), 1, true);
  push(nalOf(0x41, 10), 2, true, 4);     // 3 lost
  push(nalOf(0x41, 10), 3, true, 0);     // duplicate
  push(nalOf(0x41, 10), 4, true, -2);    // late
  push(nalOf(0x41, 10), 5, true, 3);     // next in order after the highest: 0 lost
  push(nalOf(0x41, 10), 6, true, 5000);  // source restart
  push(nalOf(0x41, 10), 7, true, 2);     // 1 lost
  std::vector<uint16_t> lost;
  for (const auto& p : out) lost.push_back(p.lostBefore);
  EXPECT_EQ(lost, (std::vector<uint16_t>{0, 3, 0, 0, 0, 0, 1}));
  EXPECT_EQ(ingest.lostPackets(), 4u);
}

TEST_F(IngestTest, LostCountMovesPastAbsorbedPackets) {
  seq = 65534;
  push(nalOf(0x41, 10), 1, true);   // 65535
  push({0x09, 0xf0}, 2, false, 3);  // 2: AUD after 2 lost (0, 1), dropped
  push(kSps, 2, false);             // absorbed
  push(nalOf(0x41, 10), 2, true);   // carries the loss
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].lostBefore, 2u);
}

TEST_F(IngestTest, RejectsMalformedRtp) {
  Bytes bad = {0x40, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x41};
  EXPECT_EQ(ingest.push(bad.data(), bad.size(), *this), IngestError::MalformedRtp);
  Bytes csrc = {0x8f, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x41};
  EXPECT_EQ(ingest.push(csrc.data(), csrc.size(), *this), IngestError::MalformedRtp);
  Bytes padding = {0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x41, 9};
  EXPECT_EQ(ingest.push(padding.data(), padding.size(), *this), IngestError::MalformedRtp);
  EXPECT_EQ(ingest.push(bad.data(), 5, *this), IngestError::MalformedRtp);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ingest.malformed(), 4u);
}

TEST_F(IngestTest, RejectsMalformedPayloads) {
  EXPECT_EQ(push({}, 1, false), IngestError::EmptyPayload);
  EXPECT_EQ(push({0x78}, 1, false), IngestError::MalformedStapA);
  EXPECT_EQ(push({0x78, 0x00}, 1, false), IngestError::MalformedStapA);
  EXPECT_EQ(push({0x78, 0x00, 0x05, 0x41, 0x01}, 1, false), IngestError::MalformedStapA);
  EXPECT_EQ(push({0x78, 0x00, 0x00}, 1, false), IngestError::MalformedStapA);
  // A valid SPS followed by a truncated length: nothing may be absorbed.
  Bytes truncatedAfterSps = stapA({kSps});
  truncatedAfterSps.push_back(0x00);
  EXPECT_EQ(push(truncatedAfterSps, 1, false), IngestError::MalformedStapA);
  EXPECT_FALSE(ingest.hasParameterSets());
  EXPECT_EQ(ingest.sps().size(), 0u);
  EXPECT_EQ(push({0x7c, 0x85}, 1, false), IngestError::MalformedFuA);
  EXPECT_EQ(push({0x7c}, 1, false), IngestError::MalformedFuA);
  EXPECT_EQ(push({0x7c, 0x80, 1}, 1, false), IngestError::MalformedFuA);  // inner type 0
  EXPECT_EQ(push({0x7c, 0x98, 1}, 1, false), IngestError::MalformedFuA);  // inner type 24
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ingest.malformed(), 10u);
}

TEST_F(IngestTest, RejectsUnsupportedPacketizations) {
  for (uint8_t type : {0, 25, 26, 27, 29, 30, 31}) {
    EXPECT_EQ(push({type, 0, 4, 1, 2, 3, 4}, 1, true), IngestError::UnsupportedPacketization) << int(type);
  }
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ingest.unsupported(), 7u);
  EXPECT_STRNE(describe(IngestError::UnsupportedPacketization), describe(IngestError::MalformedFuA));
}

// A prefix SEI (cameras send one before every frame) shares the next payload of its access
// unit: the keyframe's parameter sets, another SEI or a small slice (issue 9: an SEI alone
// cost a packet per frame); it is never held past its access unit or across a gap.
TEST_F(IngestTest, SeiRidesWithTheKeyframeParameterSets) {
  Bytes sei = nalOf(0x06, 40), sei2 = nalOf(0x06, 20, 7);
  push(kSps, 9000, false);
  push(kPps, 9000, false);
  push(sei, 9000, false);
  push(sei2, 9000, false);
  EXPECT_TRUE(out.empty()) << "the SEIs wait for the next packet";
  push(fuA(0x65, true, false, Bytes(1500, 1)), 9000, false);
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, stapA({kSps, kPps, sei, sei2}));
  EXPECT_TRUE(out[0].keyframeStart);
  EXPECT_FALSE(out[0].marker);
  EXPECT_EQ(out[1].bytes[0] & 0x1f, 28);  // then the IDR's fragments
}

TEST_F(IngestTest, SeiAndASmallLastSliceShareOnePacket) {
  Bytes sei = nalOf(0x06, 30), slice = nalOf(0x41, 200);
  push(sei, 3000, false);
  push(slice, 3000, true);
  ASSERT_EQ(out.size(), 1u);
  Bytes expected = stapA({sei, slice});
  expected[0] = 0x58;  // STAP-A with the highest NRI of its units (the slice's 2)
  EXPECT_EQ(out[0].bytes, expected);
  EXPECT_TRUE(out[0].marker);
  EXPECT_EQ(out[0].timestamp, 3000u);
  EXPECT_EQ(ingest.packetsOut(), 1u);
}

TEST_F(IngestTest, SeiBeforeALargeSliceLeavesAloneAsBefore) {
  Bytes sei = nalOf(0x06, 30);
  push(sei, 3000, false);
  push(fuA(0x41, true, false, Bytes(1400, 2)), 3000, false);
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, sei);
  EXPECT_FALSE(out[0].marker);
  EXPECT_EQ(out[1].bytes[0] & 0x1f, 28);
}

TEST_F(IngestTest, HeldSeiLeavesBeforeAGapOrANewTimestamp) {
  Bytes sei = nalOf(0x06, 30), slice = nalOf(0x41, 100);
  push(sei, 3000, false);
  push(slice, 3000, true, 3);  // two packets lost in between
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, sei);
  EXPECT_EQ(out[0].lostBefore, 0u);
  EXPECT_EQ(out[1].bytes, slice);
  EXPECT_EQ(out[1].lostBefore, 2u) << "the gap stays after the SEI";
  out.clear();
  push(sei, 6000, false);
  push(slice, 9000, true);  // the SEI's access unit ended without its marker
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, sei);
  EXPECT_EQ(out[0].timestamp, 6000u);
  EXPECT_EQ(out[1].timestamp, 9000u);
  out.clear();
  push(sei, 12000, true);  // an SEI that ends its access unit is not held
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].marker);
}
