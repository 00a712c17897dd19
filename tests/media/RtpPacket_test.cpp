#include "media/RtpPacket.h"

#include <gtest/gtest.h>

#include <vector>

using namespace sluice::media;

namespace {

std::vector<uint8_t> basicPacket() {
  // V=2, M=1 PT=96, seq 0x1234, ts 0xdeadbeef, ssrc 0x01020304, payload "abc".
  return {0x80, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 'a', 'b', 'c'};
}

struct Parsed {
  RtpError error;
  RtpHeader header;
  const uint8_t* payload = nullptr;
  size_t payloadSize = 0;
};

Parsed parse(const std::vector<uint8_t>& p) {
  Parsed r;
  r.error = parseRtp(p.data(), p.size(), r.header, r.payload, r.payloadSize);
  return r;
}

}  // namespace

TEST(RtpPacket, ParsesFixedHeader) {
  auto p = basicPacket();
  auto r = parse(p);
  ASSERT_EQ(r.error, RtpError::None);
  EXPECT_TRUE(r.header.marker);
  EXPECT_FALSE(r.header.padding);
  EXPECT_FALSE(r.header.extension);
  EXPECT_EQ(r.header.payloadType, 96);
  EXPECT_EQ(r.header.sequence, 0x1234);
  EXPECT_EQ(r.header.timestamp, 0xdeadbeefu);
  EXPECT_EQ(r.header.ssrc, 0x01020304u);
  EXPECT_EQ(r.header.headerSize, 12u);
  EXPECT_EQ(r.payload, p.data() + 12);
  EXPECT_EQ(r.payloadSize, 3u);
}

TEST(RtpPacket, SkipsCsrcsExtensionAndPadding) {
  std::vector<uint8_t> p = {0xb2, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,  // P, X, CC=2
                            1,    1,    1, 1, 2, 2, 2, 2,              // CSRCs
                            0xbe, 0xde, 0, 1, 9, 9, 9, 9,              // one-word extension
                            'x',  'y',  0, 0, 3};                      // payload + 3 padding
  auto r = parse(p);
  ASSERT_EQ(r.error, RtpError::None) << describe(r.error);
  EXPECT_EQ(r.header.csrcCount, 2);
  EXPECT_EQ(r.header.headerSize, 28u);
  EXPECT_EQ(r.header.paddingSize, 3u);
  ASSERT_EQ(r.payloadSize, 2u);
  EXPECT_EQ(r.payload[0], 'x');
}

TEST(RtpPacket, AcceptsEmptyPayload) {
  auto p = basicPacket();
  p.resize(12);
  auto r = parse(p);
  ASSERT_EQ(r.error, RtpError::None);
  EXPECT_EQ(r.payloadSize, 0u);
}

TEST(RtpPacket, RejectsMalformed) {
  auto p = basicPacket();
  EXPECT_EQ(parse(std::vector<uint8_t>(p.begin(), p.begin() + 11)).error, RtpError::TooShort);
  EXPECT_EQ(parse({}).error, RtpError::TooShort);

  auto v1 = p;
  v1[0] = 0x40;
  EXPECT_EQ(parse(v1).error, RtpError::BadVersion);

  auto csrc = p;
  csrc[0] = 0x81;  // one CSRC but only 3 payload bytes follow
  EXPECT_EQ(parse(csrc).error, RtpError::CsrcOverrun);

  auto extHeader = p;
  extHeader[0] = 0x90;  // extension header needs 4 bytes, 3 left
  EXPECT_EQ(parse(extHeader).error, RtpError::ExtensionOverrun);

  std::vector<uint8_t> extBody = {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 2, 1, 2, 3, 4};
  EXPECT_EQ(parse(extBody).error, RtpError::ExtensionOverrun);

  auto bigPad = p;
  bigPad[0] = 0xa0;
  bigPad.back() = 4;  // 4 bytes of padding in a 3-byte payload
  EXPECT_EQ(parse(bigPad).error, RtpError::BadPadding);

  auto zeroPad = p;
  zeroPad[0] = 0xa0;
  zeroPad.back() = 0;
  EXPECT_EQ(parse(zeroPad).error, RtpError::BadPadding);

  auto padNoPayload = p;
  padNoPayload.resize(12);
  padNoPayload[0] = 0xa0;
  EXPECT_EQ(parse(padNoPayload).error, RtpError::BadPadding);

  EXPECT_STRNE(describe(RtpError::BadPadding), describe(RtpError::TooShort));
}

// The forwarding path's header length: what the parser says for good packets, 0 for every
// header that does not fit or is not RTP v2.
TEST(RtpPacket, HeaderSizeMatchesTheParserAndRefusesWhatDoesNotFit) {
  std::vector<uint8_t> full = {0xb2, 0x60, 0, 1,    0,    0, 0, 2, 0, 0, 0, 3,   1,   1, 1, 1, 2,
                               2,    2,    2, 0xbe, 0xde, 0, 1, 9, 9, 9, 9, 'x', 'y', 0, 0, 3};
  EXPECT_EQ(rtpHeaderSize(full.data(), full.size()), 28u);
  EXPECT_EQ(rtpHeaderSize(full.data(), 28), 28u);  // a header with no payload
  for (size_t cut = 0; cut < 28; ++cut) EXPECT_EQ(rtpHeaderSize(full.data(), cut), 0u) << cut;
  auto p = basicPacket();
  EXPECT_EQ(rtpHeaderSize(p.data(), p.size()), 12u);
  p[0] = 0x40;  // version 1
  EXPECT_EQ(rtpHeaderSize(p.data(), p.size()), 0u);
  std::vector<uint8_t> extLies = {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0xff, 0xff, 1, 2};
  EXPECT_EQ(rtpHeaderSize(extLies.data(), extLies.size()), 0u);  // 262,140 extension bytes claimed
}

TEST(RtpPacket, WritesHeaderThatParsesBack) {
  RtpHeader h;
  h.marker = true;
  h.payloadType = 102;
  h.sequence = 65535;
  h.timestamp = 90000;
  h.ssrc = 0xcafebabe;
  h.csrcCount = 3;  // ignored: only the fixed header is written
  uint8_t buf[12];
  ASSERT_EQ(writeRtpHeader(buf, h), 12u);
  RtpHeader back;
  const uint8_t* payload;
  size_t size;
  ASSERT_EQ(parseRtp(buf, 12, back, payload, size), RtpError::None);
  EXPECT_TRUE(back.marker);
  EXPECT_EQ(back.payloadType, 102);
  EXPECT_EQ(back.sequence, 65535);
  EXPECT_EQ(back.timestamp, 90000u);
  EXPECT_EQ(back.ssrc, 0xcafebabeu);
  EXPECT_EQ(back.csrcCount, 0);
}

TEST(RtpPacket, PatchesFieldsInPlacePreservingMarker) {
  auto p = basicPacket();
  setPayloadType(p.data(), 111);
  EXPECT_TRUE(readMarker(p.data()));
  EXPECT_EQ(readPayloadType(p.data()), 111);
  setMarker(p.data(), false);
  EXPECT_FALSE(readMarker(p.data()));
  EXPECT_EQ(readPayloadType(p.data()), 111);
  setSequence(p.data(), 0xabcd);
  setTimestamp(p.data(), 7);
  setSsrc(p.data(), 0x11223344);
  EXPECT_EQ(readSequence(p.data()), 0xabcd);
  EXPECT_EQ(readTimestamp(p.data()), 7u);
  EXPECT_EQ(readSsrc(p.data()), 0x11223344u);
}

TEST(RtpPacket, DemuxesRtcpByPacketType) {
  uint8_t rr[8] = {0x80, 201, 0, 1, 0, 0, 0, 1};
  EXPECT_TRUE(looksLikeRtcp(rr, sizeof rr));
  auto rtp = basicPacket();
  EXPECT_FALSE(looksLikeRtcp(rtp.data(), rtp.size()));
  uint8_t rtpMarkerPt96[4] = {0x80, 0xe0, 0, 0};  // 224: just outside the RTCP range
  EXPECT_FALSE(looksLikeRtcp(rtpMarkerPt96, 4));
  uint8_t pt72WithMarker[4] = {0x80, 0xc8, 0, 0};  // would be RTCP SR
  EXPECT_TRUE(looksLikeRtcp(pt72WithMarker, 4));
  EXPECT_FALSE(looksLikeRtcp(rr, 3));
}
