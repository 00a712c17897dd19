#pragma once
// RTCP (RFC 3550 §6, RFC 4585 feedback, RFC 5104 FIR): a visitor-based parser for compound
// packets and builders for the packets Sluice sends. No allocation; builders write into a
// caller buffer and return 0 when it is too small.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::media {

namespace rtcp {
constexpr uint8_t kSenderReport = 200;
constexpr uint8_t kReceiverReport = 201;
constexpr uint8_t kSdes = 202;
constexpr uint8_t kBye = 203;
constexpr uint8_t kApp = 204;
constexpr uint8_t kTransportFeedback = 205;  // RTPFB; FMT 1 = generic NACK
constexpr uint8_t kPayloadFeedback = 206;    // PSFB; FMT 1 = PLI, FMT 4 = FIR
constexpr uint8_t kFmtNack = 1;
constexpr uint8_t kFmtPli = 1;
constexpr uint8_t kFmtFir = 4;
constexpr size_t kReportBlockSize = 24;
constexpr size_t kMaxReportBlocks = 31;  // 5-bit count
}  // namespace rtcp

struct RtcpReportBlock {
  uint32_t ssrc = 0;
  uint8_t fractionLost = 0;       // fixed point /256, since the previous report
  int32_t cumulativeLost = 0;     // signed 24-bit on the wire
  uint32_t highestSeq = 0;        // extended: cycles << 16 | sequence
  uint32_t jitter = 0;            // RTP timestamp units
  uint32_t lastSr = 0;            // middle 32 bits of the last SR's NTP time
  uint32_t delaySinceLastSr = 0;  // 1/65536 s
};

// Callbacks are made in packet order while parsing. Defaults ignore the packet.
class RtcpVisitor {
 public:
  virtual ~RtcpVisitor() = default;
  virtual void onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtpTimestamp, uint32_t packets,
                              uint32_t octets) {}
  virtual void onReportBlock(uint32_t reporterSsrc, const RtcpReportBlock& block) {}
  virtual void onNack(uint32_t senderSsrc, uint32_t mediaSsrc, uint16_t pid, uint16_t blp) {}
  virtual void onPli(uint32_t senderSsrc, uint32_t mediaSsrc) {}
  virtual void onFir(uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t seqNr) {}
  virtual void onBye(uint32_t ssrc) {}
};

enum class RtcpError {
  None,
  TooShort,       // fewer than 4 bytes left for a packet header
  BadVersion,     // version field is not 2
  LengthOverrun,  // length field points past the end of the datagram
  BadPadding,     // padding count is zero or larger than the packet body
  BodyTooShort,   // packet body shorter than its report/item counts require
};
const char* describe(RtcpError error);

// Walks every packet of a compound (or RFC 5506 reduced-size) datagram. Unknown packet
// types and feedback formats are skipped. Stops at the first malformed packet; callbacks
// for the packets before it have already been made.
RtcpError parseRtcpCompound(const uint8_t* data, size_t size, RtcpVisitor& visitor);

// Sender report with optional report blocks (n <= 31).
size_t buildSenderReport(uint8_t* out, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtpTs,
                         uint32_t packets, uint32_t octets, const RtcpReportBlock* blocks = nullptr,
                         size_t n = 0);
// Receiver report with n <= 31 blocks (n == 0 is a valid empty RR).
size_t buildReceiverReport(uint8_t* out, size_t cap, uint32_t ssrc, const RtcpReportBlock* blocks, size_t n);
// SDES with one chunk holding a CNAME item (<= 255 bytes); null-terminated, padded to 32 bits.
size_t buildSdesCname(uint8_t* out, size_t cap, uint32_t ssrc, std::string_view cname);
// Generic NACK. lostSeqs in ascending (wrap-aware) order; each run of up to 17 sequence
// numbers packs into one pid/blp pair. Returns 0 for n == 0.
size_t buildNack(uint8_t* out, size_t cap, uint32_t senderSsrc, uint32_t mediaSsrc, const uint16_t* lostSeqs,
                 size_t n);
size_t buildPli(uint8_t* out, size_t cap, uint32_t senderSsrc, uint32_t mediaSsrc);
size_t buildFir(uint8_t* out, size_t cap, uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t seqNr);
size_t buildBye(uint8_t* out, size_t cap, uint32_t ssrc);

}  // namespace sluice::media
