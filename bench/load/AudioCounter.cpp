#include "load/AudioCounter.h"

namespace sluice::load {

void AudioCounter::onPacket(uint16_t sequence, uint64_t bytes) {
  if (!started_) {
    started_ = true;
    first_ = highest_ = sequence;
    window_ = 1;
    ++packets_;
    bytes_ += bytes;
    return;
  }
  // The extension of `sequence` nearest to the highest one seen.
  const int16_t delta = static_cast<int16_t>(sequence - static_cast<uint16_t>(highest_));
  const int64_t ext = highest_ + delta;
  if (ext > highest_) {
    const int64_t shift = ext - highest_;
    window_ = shift >= 64 ? 1 : (window_ << shift) | 1;
    highest_ = ext;
  } else {
    const int64_t back = highest_ - ext;
    if (ext < first_) {
      first_ = ext;  // earlier than the first one: it widens what was expected
    } else if (back < 64) {
      const uint64_t bit = uint64_t{1} << back;
      if (window_ & bit) {
        ++duplicates_;
        return;
      }
      window_ |= bit;
    }
  }
  ++packets_;
  bytes_ += bytes;
}

}  // namespace sluice::load
