#pragma once
// Per-source reception statistics for receiver reports (RFC 3550 A.1, A.3, A.8): extended
// highest sequence, cumulative and fractional loss, interarrival jitter, LSR/DLSR.
// O(1) per packet, no allocation. One instance per received SSRC, owned by one thread.
#include <cstdint>

#include "media/Rtcp.h"

namespace sluice::media {

class RtpReceptionStats {
 public:
  // arrivalRtpUnits: the local arrival time expressed in the stream's RTP clock (e.g. 90 kHz),
  // from any fixed origin. Returns false when the packet was not counted: a large sequence
  // jump that is held until the next packet confirms it (then the source is re-based).
  bool onPacket(uint16_t sequence, uint32_t rtpTimestamp, uint32_t arrivalRtpUnits);
  // Records an incoming sender report: its 64-bit NTP time and our monotonic arrival time.
  void onSenderReport(uint64_t ntp, int64_t arrivalUs);
  // Fills a report block for `ssrc` as of nowUs (same clock as onSenderReport) and starts
  // a new fraction-lost interval.
  void fillReportBlock(uint32_t ssrc, int64_t nowUs, RtcpReportBlock& out);

  bool started() const { return started_; }
  uint32_t extendedHighestSequence() const { return cycles_ + maxSeq_; }
  uint64_t received() const { return received_; }
  uint64_t expected() const { return started_ ? uint64_t{extendedHighestSequence()} - baseSeq_ + 1 : 0; }
  // Can be negative when duplicates arrive.
  int64_t cumulativeLost() const {
    return static_cast<int64_t>(expected()) - static_cast<int64_t>(received_);
  }
  uint32_t jitter() const { return jitterQ4_ >> 4; }
  double jitterUnits() const { return jitterQ4_ / 16.0; }  // with its fraction, for the API

 private:
  void restart(uint16_t sequence);

  static constexpr uint16_t kMaxDropout = 3000;
  static constexpr uint16_t kMaxMisorder = 100;

  bool started_ = false;
  uint16_t maxSeq_ = 0;
  uint32_t cycles_ = 0;  // wrap count << 16
  uint32_t baseSeq_ = 0;
  uint32_t badSeq_ = 0x10000;  // a value no uint16 sequence can equal: "none"
  uint64_t received_ = 0;
  uint64_t expectedPrior_ = 0;
  uint64_t receivedPrior_ = 0;

  bool haveTransit_ = false;
  uint32_t lastTransit_ = 0;
  uint32_t jitterQ4_ = 0;  // jitter scaled by 16 (A.8's integer form)

  bool haveSr_ = false;
  uint32_t lastSr_ = 0;
  int64_t lastSrArrivalUs_ = 0;
};

}  // namespace sluice::media
