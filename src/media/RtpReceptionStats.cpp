#include "media/RtpReceptionStats.h"

namespace sluice::media {

void RtpReceptionStats::restart(uint16_t sequence) {
  maxSeq_ = sequence;
  cycles_ = 0;
  baseSeq_ = sequence;
  badSeq_ = 0x10000;
  received_ = 0;
  expectedPrior_ = 0;
  receivedPrior_ = 0;
  haveTransit_ = false;
}

bool RtpReceptionStats::onPacket(uint16_t sequence, uint32_t rtpTimestamp, uint32_t arrivalRtpUnits) {
  if (!started_) {
    started_ = true;
    restart(sequence);
  } else {
    uint16_t delta = static_cast<uint16_t>(sequence - maxSeq_);
    if (delta < kMaxDropout) {
      if (sequence < maxSeq_) cycles_ += 0x10000;  // wrapped forward
      maxSeq_ = sequence;
    } else if (delta <= 0x10000 - kMaxMisorder) {
      // Big jump: the source probably restarted. Re-base only if the next packet follows it.
      if (sequence != badSeq_) {
        badSeq_ = (uint32_t{sequence} + 1) & 0xffff;
        return false;
      }
      restart(sequence);
    }
    // else: duplicate or reordered within kMaxMisorder; counted, max unchanged.
  }
  ++received_;

  // A.8: transit time difference smoothed with gain 1/16, kept scaled by 16.
  uint32_t transit = arrivalRtpUnits - rtpTimestamp;
  if (haveTransit_) {
    int32_t d = static_cast<int32_t>(transit - lastTransit_);
    uint32_t absD = d < 0 ? static_cast<uint32_t>(-static_cast<int64_t>(d)) : static_cast<uint32_t>(d);
    jitterQ4_ += absD - ((jitterQ4_ + 8) >> 4);
  }
  lastTransit_ = transit;
  haveTransit_ = true;
  return true;
}

void RtpReceptionStats::onSenderReport(uint64_t ntp, int64_t arrivalUs) {
  haveSr_ = true;
  lastSr_ = static_cast<uint32_t>(ntp >> 16);
  lastSrArrivalUs_ = arrivalUs;
}

void RtpReceptionStats::fillReportBlock(uint32_t ssrc, int64_t nowUs, RtcpReportBlock& out) {
  out = RtcpReportBlock{};
  out.ssrc = ssrc;
  uint64_t exp = expected();
  int64_t lost = cumulativeLost();
  if (lost > 0x7fffff) lost = 0x7fffff;
  if (lost < -0x800000) lost = -0x800000;
  out.cumulativeLost = static_cast<int32_t>(lost);

  uint64_t expectedInterval = exp - expectedPrior_;
  uint64_t receivedInterval = received_ - receivedPrior_;
  expectedPrior_ = exp;
  receivedPrior_ = received_;
  if (expectedInterval > 0 && expectedInterval > receivedInterval) {
    out.fractionLost = static_cast<uint8_t>(((expectedInterval - receivedInterval) << 8) / expectedInterval);
  }
  out.highestSeq = extendedHighestSequence();
  out.jitter = jitter();
  if (haveSr_) {
    out.lastSr = lastSr_;
    int64_t delayUs = nowUs - lastSrArrivalUs_;
    if (delayUs < 0) delayUs = 0;
    out.delaySinceLastSr = static_cast<uint32_t>((static_cast<uint64_t>(delayUs) << 16) / 1000000);
  }
}

}  // namespace sluice::media
