#include "stream/PacketHistory.h"

#include <algorithm>
#include <stdexcept>

namespace sluice::stream {

namespace {
bool powerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }
}  // namespace

PacketHistory::PacketHistory(size_t maxCapacity, size_t initialCapacity) : maxCapacity_(maxCapacity) {
  if (!powerOfTwo(maxCapacity) || !powerOfTwo(initialCapacity)) {
    throw std::invalid_argument("packet history capacity must be a power of two");
  }
  size_t capacity = std::min(initialCapacity, maxCapacity);
  mask_ = capacity - 1;
  // Not value-initialized: a slot's payload bytes are written before they are read, and
  // zeroing a history of full-size slots up front cost more than the stream's start.
  slots_ = std::make_unique_for_overwrite<HistoryPacket[]>(capacity);
}

void PacketHistory::grow() {
  const size_t doubled = capacity() * 2;
  auto slots = std::make_unique_for_overwrite<HistoryPacket[]>(doubled);
  for (size_t i = 0; i <= mask_; ++i) {
    const HistoryPacket& p = slots_[i];
    if (p.index != UINT64_MAX) slots[p.index & (doubled - 1)] = p;
  }
  slots_ = std::move(slots);
  mask_ = doubled - 1;
}

HistoryPacket& PacketHistory::beginAppend() {
  // About to overwrite the last keyframe start: new viewers could not start at once any
  // more, so make room for a whole keyframe interval.
  if (lastKeyframe_ != UINT64_MAX && head_ - lastKeyframe_ >= capacity() && capacity() < maxCapacity_ &&
      slots_[lastKeyframe_ & mask_].index == lastKeyframe_) {
    grow();
  }
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
