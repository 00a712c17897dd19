#include "stream/PacketHistory.h"

#include <stdexcept>

namespace sluice::stream {

PacketHistory::PacketHistory(size_t capacity) : mask_(capacity - 1) {
  if (capacity == 0 || (capacity & (capacity - 1)) != 0) {
    throw std::invalid_argument("packet history capacity must be a power of two");
  }
  slots_ = std::make_unique<HistoryPacket[]>(capacity);
}

HistoryPacket& PacketHistory::beginAppend() {
  HistoryPacket& p = slots_[head_ & mask_];
  p.index = UINT64_MAX;  // invalid until committed
  return p;
}

void PacketHistory::commit() {
  HistoryPacket& p = slots_[head_ & mask_];
  p.index = head_;
  if (p.keyframeStart) lastKeyframe_ = head_;
  ++head_;
}

void PacketHistory::clear() {
  for (size_t i = 0; i <= mask_; ++i) slots_[i].index = UINT64_MAX;
  lastKeyframe_ = UINT64_MAX;
  // head_ keeps counting so indexes stay unique over the stream's life.
}

}  // namespace sluice::stream
