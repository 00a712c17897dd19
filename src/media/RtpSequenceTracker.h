#pragma once
// Classifies a source's RTP sequence numbers for a shaper that must keep the source's
// losses visible as gaps: in order, after a gap (and how many were skipped), late or
// duplicate, or a restart (a jump too large to be loss). Header-only, O(1), no allocation.
#include <algorithm>
#include <cstdint>

namespace sluice::media {

class RtpSequenceTracker {
 public:
  // Gaps larger than this are a source restart, not loss.
  static constexpr uint16_t kMaxCountedGap = 1000;

  enum class Order { First, InOrder, AfterGap, LateOrDuplicate, Restart };

  Order track(uint16_t sequence) {
    if (!haveSequence_) {
      haveSequence_ = true;
      lastSequence_ = sequence;
      return Order::First;
    }
    uint16_t ahead = static_cast<uint16_t>(sequence - lastSequence_);
    uint16_t behind = static_cast<uint16_t>(lastSequence_ - sequence);
    if (ahead == 0) return Order::LateOrDuplicate;
    if (ahead <= kMaxCountedGap + 1) {
      uint16_t lost = static_cast<uint16_t>(ahead - 1);
      lostPackets_ += lost;
      pendingLost_ = static_cast<uint16_t>(std::min<uint32_t>(uint32_t{pendingLost_} + lost, 0xffff));
      lastSequence_ = sequence;
      return lost > 0 ? Order::AfterGap : Order::InOrder;
    }
    if (behind > kMaxCountedGap) {
      lastSequence_ = sequence;  // the source jumped (restart): follow it, count nothing
      return Order::Restart;
    }
    return Order::LateOrDuplicate;  // keep the highest sequence so the next one is not a gap
  }

  // Whether `sequence` directly follows the last one tracked.
  bool isNext(uint16_t sequence) const {
    return haveSequence_ && static_cast<uint16_t>(sequence - lastSequence_) == 1;
  }

  // Skipped sequence numbers not yet reported on an emitted packet; reading resets them.
  uint16_t takePendingLost() {
    uint16_t lost = pendingLost_;
    pendingLost_ = 0;
    return lost;
  }
  uint64_t lostPackets() const { return lostPackets_; }

 private:
  bool haveSequence_ = false;
  uint16_t lastSequence_ = 0;
  uint16_t pendingLost_ = 0;
  uint64_t lostPackets_ = 0;
};

}  // namespace sluice::media
