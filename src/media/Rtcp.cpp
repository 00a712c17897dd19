#include "media/Rtcp.h"

#include "media/RtpPacket.h"

namespace sluice::media {

namespace {

constexpr size_t kHeaderSize = 4;

// count: RC/SC/FMT field. size: whole packet in bytes, a multiple of 4.
void writeHeader(uint8_t* out, uint8_t count, uint8_t type, size_t size) {
  out[0] = static_cast<uint8_t>(0x80 | (count & 0x1f));
  out[1] = type;
  writeBe16(out + 2, static_cast<uint16_t>(size / 4 - 1));
}

RtcpReportBlock readReportBlock(const uint8_t* p) {
  RtcpReportBlock b;
  b.ssrc = readBe32(p);
  b.fractionLost = p[4];
  // 24-bit two's complement: shift into the top of an int32 and back to sign-extend.
  uint32_t raw = (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7];
  b.cumulativeLost = static_cast<int32_t>(raw << 8) >> 8;
  b.highestSeq = readBe32(p + 8);
  b.jitter = readBe32(p + 12);
  b.lastSr = readBe32(p + 16);
  b.delaySinceLastSr = readBe32(p + 20);
  return b;
}

void writeReportBlock(uint8_t* p, const RtcpReportBlock& b) {
  writeBe32(p, b.ssrc);
  p[4] = b.fractionLost;
  int32_t lost = b.cumulativeLost;
  if (lost > 0x7fffff) lost = 0x7fffff;
  if (lost < -0x800000) lost = -0x800000;
  uint32_t raw = static_cast<uint32_t>(lost) & 0xffffff;
  p[5] = static_cast<uint8_t>(raw >> 16);
  p[6] = static_cast<uint8_t>(raw >> 8);
  p[7] = static_cast<uint8_t>(raw);
  writeBe32(p + 8, b.highestSeq);
  writeBe32(p + 12, b.jitter);
  writeBe32(p + 16, b.lastSr);
  writeBe32(p + 20, b.delaySinceLastSr);
}

// body/size exclude the 4-byte header and any padding.
RtcpError visitReports(const uint8_t* body, size_t size, size_t count, size_t skip, RtcpVisitor& v) {
  if (size < skip + count * rtcp::kReportBlockSize) return RtcpError::BodyTooShort;
  uint32_t reporter = readBe32(body);
  for (size_t i = 0; i < count; ++i) {
    v.onReportBlock(reporter, readReportBlock(body + skip + i * rtcp::kReportBlockSize));
  }
  return RtcpError::None;
}

RtcpError visitPacket(uint8_t count, uint8_t type, const uint8_t* body, size_t size, RtcpVisitor& v) {
  switch (type) {
    case rtcp::kSenderReport: {
      if (size < 24) return RtcpError::BodyTooShort;
      uint64_t ntp = (uint64_t{readBe32(body + 4)} << 32) | readBe32(body + 8);
      if (size < 24 + count * rtcp::kReportBlockSize) return RtcpError::BodyTooShort;
      v.onSenderReport(readBe32(body), ntp, readBe32(body + 12), readBe32(body + 16), readBe32(body + 20));
      return visitReports(body, size, count, 24, v);
    }
    case rtcp::kReceiverReport:
      if (size < 4) return RtcpError::BodyTooShort;
      return visitReports(body, size, count, 4, v);
    case rtcp::kBye:
      if (size < size_t{count} * 4) return RtcpError::BodyTooShort;
      for (size_t i = 0; i < count; ++i) v.onBye(readBe32(body + i * 4));
      return RtcpError::None;
    case rtcp::kTransportFeedback:
      if (count != rtcp::kFmtNack) return RtcpError::None;
      if (size < 8) return RtcpError::BodyTooShort;
      for (size_t off = 8; off + 4 <= size; off += 4) {
        v.onNack(readBe32(body), readBe32(body + 4), readBe16(body + off), readBe16(body + off + 2));
      }
      return RtcpError::None;
    case rtcp::kPayloadFeedback:
      if (count == rtcp::kFmtPli) {
        if (size < 8) return RtcpError::BodyTooShort;
        v.onPli(readBe32(body), readBe32(body + 4));
      } else if (count == rtcp::kFmtFir) {
        // RFC 5104 §4.3.1: the media SSRC field is unused; each 8-byte FCI names its target.
        if (size < 8) return RtcpError::BodyTooShort;
        for (size_t off = 8; off + 8 <= size; off += 8)
          v.onFir(readBe32(body), readBe32(body + off), body[off + 4]);
      }
      return RtcpError::None;
    default:
      return RtcpError::None;
  }
}

}  // namespace

const char* describe(RtcpError error) {
  switch (error) {
    case RtcpError::None:
      return "ok";
    case RtcpError::TooShort:
      return "RTCP packet shorter than its 4-byte header";
    case RtcpError::BadVersion:
      return "RTCP version is not 2";
    case RtcpError::LengthOverrun:
      return "RTCP length field runs past the end of the datagram";
    case RtcpError::BadPadding:
      return "RTCP padding count is zero or larger than the packet";
    case RtcpError::BodyTooShort:
      return "RTCP packet body shorter than its counts require";
  }
  return "unknown RTCP error";
}

RtcpError parseRtcpCompound(const uint8_t* data, size_t size, RtcpVisitor& visitor) {
  if (size == 0) return RtcpError::TooShort;
  size_t offset = 0;
  while (offset < size) {
    const uint8_t* p = data + offset;
    size_t remaining = size - offset;
    if (remaining < kHeaderSize) return RtcpError::TooShort;
    if ((p[0] >> 6) != 2) return RtcpError::BadVersion;
    size_t length = (size_t{readBe16(p + 2)} + 1) * 4;
    if (length > remaining) return RtcpError::LengthOverrun;
    size_t bodySize = length - kHeaderSize;
    if (p[0] & 0x20) {
      size_t pad = p[length - 1];
      if (pad == 0 || pad > bodySize) return RtcpError::BadPadding;
      bodySize -= pad;
    }
    RtcpError e = visitPacket(p[0] & 0x1f, p[1], p + kHeaderSize, bodySize, visitor);
    if (e != RtcpError::None) return e;
    offset += length;
  }
  return RtcpError::None;
}

size_t buildSenderReport(uint8_t* out, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtpTs,
                         uint32_t packets, uint32_t octets, const RtcpReportBlock* blocks, size_t n) {
  size_t size = 28 + n * rtcp::kReportBlockSize;
  if (n > rtcp::kMaxReportBlocks || cap < size) return 0;
  writeHeader(out, static_cast<uint8_t>(n), rtcp::kSenderReport, size);
  writeBe32(out + 4, ssrc);
  writeBe32(out + 8, static_cast<uint32_t>(ntp >> 32));
  writeBe32(out + 12, static_cast<uint32_t>(ntp));
  writeBe32(out + 16, rtpTs);
  writeBe32(out + 20, packets);
  writeBe32(out + 24, octets);
  for (size_t i = 0; i < n; ++i) writeReportBlock(out + 28 + i * rtcp::kReportBlockSize, blocks[i]);
  return size;
}

size_t buildReceiverReport(uint8_t* out, size_t cap, uint32_t ssrc, const RtcpReportBlock* blocks, size_t n) {
  size_t size = 8 + n * rtcp::kReportBlockSize;
  if (n > rtcp::kMaxReportBlocks || cap < size) return 0;
  writeHeader(out, static_cast<uint8_t>(n), rtcp::kReceiverReport, size);
  writeBe32(out + 4, ssrc);
  for (size_t i = 0; i < n; ++i) writeReportBlock(out + 8 + i * rtcp::kReportBlockSize, blocks[i]);
  return size;
}

size_t buildSdesCname(uint8_t* out, size_t cap, uint32_t ssrc, std::string_view cname) {
  if (cname.size() > 255) return 0;
  // Chunk: SSRC, CNAME item (type 1, length, text), then at least one zero byte that ends
  // the item list, padded to a 32-bit boundary.
  size_t chunk = (4 + 2 + cname.size() + 1 + 3) & ~size_t{3};
  size_t size = kHeaderSize + chunk;
  if (cap < size) return 0;
  writeHeader(out, 1, rtcp::kSdes, size);
  writeBe32(out + 4, ssrc);
  out[8] = 1;
  out[9] = static_cast<uint8_t>(cname.size());
  for (size_t i = 0; i < cname.size(); ++i) out[10 + i] = static_cast<uint8_t>(cname[i]);
  for (size_t i = 10 + cname.size(); i < size; ++i) out[i] = 0;
  return size;
}

size_t buildNack(uint8_t* out, size_t cap, uint32_t senderSsrc, uint32_t mediaSsrc, const uint16_t* lostSeqs,
                 size_t n) {
  if (n == 0 || cap < 16) return 0;
  size_t size = 12;
  uint16_t pid = lostSeqs[0];
  uint16_t blp = 0;
  auto flush = [&]() -> bool {
    if (size + 4 > cap) return false;
    writeBe16(out + size, pid);
    writeBe16(out + size + 2, blp);
    size += 4;
    return true;
  };
  for (size_t i = 1; i < n; ++i) {
    uint16_t distance = static_cast<uint16_t>(lostSeqs[i] - pid);
    if (distance == 0) continue;  // duplicate
    if (distance <= 16) {
      blp = static_cast<uint16_t>(blp | (1u << (distance - 1)));
      continue;
    }
    if (!flush()) return 0;
    pid = lostSeqs[i];
    blp = 0;
  }
  if (!flush()) return 0;
  writeHeader(out, rtcp::kFmtNack, rtcp::kTransportFeedback, size);
  writeBe32(out + 4, senderSsrc);
  writeBe32(out + 8, mediaSsrc);
  return size;
}

size_t buildPli(uint8_t* out, size_t cap, uint32_t senderSsrc, uint32_t mediaSsrc) {
  if (cap < 12) return 0;
  writeHeader(out, rtcp::kFmtPli, rtcp::kPayloadFeedback, 12);
  writeBe32(out + 4, senderSsrc);
  writeBe32(out + 8, mediaSsrc);
  return 12;
}

size_t buildFir(uint8_t* out, size_t cap, uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t seqNr) {
  if (cap < 20) return 0;
  writeHeader(out, rtcp::kFmtFir, rtcp::kPayloadFeedback, 20);
  writeBe32(out + 4, senderSsrc);
  writeBe32(out + 8, 0);
  writeBe32(out + 12, mediaSsrc);
  out[16] = seqNr;
  out[17] = out[18] = out[19] = 0;
  return 20;
}

size_t buildBye(uint8_t* out, size_t cap, uint32_t ssrc) {
  if (cap < 8) return 0;
  writeHeader(out, 1, rtcp::kBye, 8);
  writeBe32(out + 4, ssrc);
  return 8;
}

}  // namespace sluice::media
