#include "stream/PacketHistory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace sluice::stream {

namespace {
bool powerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

// The byte ring starts at this much per entry (audio packets are a few hundred bytes; video
// grows in steps to its keyframe interval) and grows by 1/kGrowthDivisor, at least
// kMinGrowthStep: the last step overshoots the interval by at most that fraction (3 %).
// Growing remaps the ring (growBytes), so a step costs no copy while a first interval is learnt.
constexpr size_t kInitialBytesPerEntry = 256;
constexpr size_t kGrowthDivisor = 32;
constexpr size_t kMinGrowthStep = 16 * 1024;

size_t pageRounded(size_t n) {
  constexpr size_t kPage = 4096;
  return (n + kPage - 1) / kPage * kPage;
}
}  // namespace

void PacketHistory::Unmap::operator()(uint8_t* p) const { ::munmap(p, size); }

std::unique_ptr<uint8_t[], PacketHistory::Unmap> PacketHistory::mapBytes(size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return {static_cast<uint8_t*>(p), Unmap{size}};
}

PacketHistory::PacketHistory(size_t maxCapacity, size_t initialCapacity) : maxCapacity_(maxCapacity) {
  if (!powerOfTwo(maxCapacity) || !powerOfTwo(initialCapacity)) {
    throw std::invalid_argument("packet history capacity must be a power of two");
  }
  const size_t capacity = std::min(initialCapacity, maxCapacity);
  mask_ = capacity - 1;
  entries_ = std::make_unique<HistoryPacket[]>(capacity);
  maxBytes_ = pageRounded(std::max(maxCapacity * kMaxRtpPacket, 4 * kMaxRtpPacket));
  byteCapacity_ =
      pageRounded(std::min(maxBytes_, std::max(capacity * kInitialBytesPerEntry, 4 * kMaxRtpPacket)));
  bytes_ = mapBytes(byteCapacity_);
}

void PacketHistory::growEntries() {
  const size_t doubled = capacity() * 2;
  auto entries = std::make_unique<HistoryPacket[]>(doubled);
  for (size_t i = 0; i <= mask_; ++i) {
    const HistoryPacket& p = entries_[i];
    if (p.index != UINT64_MAX) entries[p.index & (doubled - 1)] = p;
  }
  entries_ = std::move(entries);
  mask_ = doubled - 1;
}

void PacketHistory::growBytes() {
  const size_t old = byteCapacity_;
  const size_t grown =
      pageRounded(std::min(maxBytes_, old + std::max({old / kGrowthDivisor, kMinGrowthStep, kMaxRtpPacket})));
  // The mapping grows in place or moves with its pages (no copy, no new pages until written).
  const uintptr_t oldBase = reinterpret_cast<uintptr_t>(bytes_.get());
  void* moved = ::mremap(bytes_.get(), old, grown, MREMAP_MAYMOVE);
  if (moved == MAP_FAILED) throw std::bad_alloc();
  bytes_.release();  // the old address is gone with the remap
  bytes_ = std::unique_ptr<uint8_t[], Unmap>(static_cast<uint8_t*>(moved), Unmap{grown});
  byteCapacity_ = grown;
  uint8_t* base = bytes_.get();
  auto offsetOf = [oldBase](const HistoryPacket& p) { return reinterpret_cast<uintptr_t>(p.data) - oldBase; };

  // Held packets lie from the oldest one onwards and, when the ring has wrapped, again from 0
  // up to the newest one's end. Growth is asked for only while the oldest must stay.
  const HistoryPacket* first = oldest();
  const size_t oldestOffset = first ? offsetOf(*first) : 0;
  size_t newestEnd = 0;
  for (uint64_t i = head_; i > tail_; --i) {
    const HistoryPacket& p = entries_[(i - 1) & mask_];
    if (p.index == i - 1) {
      newestEnd = offsetOf(p) + p.size;
      break;
    }
  }
  // Wrapped: the oldest lap moves to the new end, so the new space lies between the laps
  // where the writer continues (a copy of that lap only; learning a first interval never wraps).
  size_t shiftFrom = SIZE_MAX;
  const size_t shift = grown - old;
  if (first && newestEnd <= oldestOffset) {
    shiftFrom = oldestOffset;
    std::memmove(base + oldestOffset + shift, base + oldestOffset, old - oldestOffset);
  }
  for (uint64_t i = tail_; i < head_; ++i) {
    HistoryPacket& p = entries_[i & mask_];
    if (p.index != i) continue;
    const size_t offset = offsetOf(p);
    p.data = base + offset + (offset >= shiftFrom ? shift : 0);
  }
  writeOffset_ = newestEnd;
}

HistoryPacket* PacketHistory::oldest() {
  for (; tail_ < head_; ++tail_) {
    HistoryPacket& p = entries_[tail_ & mask_];
    if (p.index == tail_) return &p;
  }
  return nullptr;
}

bool PacketHistory::mustKeep(const HistoryPacket& p) const {
  if (lastKeyframe_ != UINT64_MAX && at(lastKeyframe_)) return p.index >= lastKeyframe_;
  return head_ - p.index < capacity();  // no keyframe held: keep what the entries can
}

void PacketHistory::reserveBytes() {
  for (;;) {
    const uint8_t* base = bytes_.get();
    if (writeOffset_ + kMaxRtpPacket > byteCapacity_) {
      // Wrapping: what lies beyond the write position is the oldest lap, given up first.
      HistoryPacket* p = oldest();
      if (p && p->data >= base + writeOffset_) {
        if (mustKeep(*p) && byteCapacity_ < maxBytes_) {
          growBytes();
          continue;
        }
        p->index = UINT64_MAX;
        continue;
      }
      writeOffset_ = 0;
    }
    HistoryPacket* p = oldest();
    if (!p || p->data < base + writeOffset_ || p->data >= base + writeOffset_ + kMaxRtpPacket) return;
    if (mustKeep(*p) && byteCapacity_ < maxBytes_) {
      growBytes();
      continue;
    }
    p->index = UINT64_MAX;
  }
}

HistoryPacket& PacketHistory::beginAppend() {
  // About to overwrite the last keyframe start's entry: new viewers could not start at once
  // any more, so make room for a whole keyframe interval.
  if (lastKeyframe_ != UINT64_MAX && head_ - lastKeyframe_ >= capacity() && capacity() < maxCapacity_ &&
      entries_[lastKeyframe_ & mask_].index == lastKeyframe_) {
    growEntries();
  }
  if (head_ - tail_ >= capacity()) tail_ = head_ - capacity() + 1;  // its entry is reused
  reserveBytes();
  HistoryPacket& p = entries_[head_ & mask_];
  p.index = UINT64_MAX;  // invalid until committed
  p.data = bytes_.get() + writeOffset_;
  p.size = 0;
  return p;
}

void PacketHistory::commit() {
  HistoryPacket& p = entries_[head_ & mask_];
  p.index = head_;
  writeOffset_ += std::min<size_t>(p.size, kMaxRtpPacket);
  if (p.keyframeStart) lastKeyframe_ = head_;
  ++head_;
}

void PacketHistory::skip(uint64_t n) {
  head_ += n;
  if (head_ - tail_ > capacity()) tail_ = head_ - capacity();
}

void PacketHistory::clear() {
  for (size_t i = 0; i <= mask_; ++i) entries_[i].index = UINT64_MAX;
  lastKeyframe_ = UINT64_MAX;
  // head_ keeps counting so indexes stay unique over the stream's life.
  tail_ = head_;
  writeOffset_ = 0;
}

}  // namespace sluice::stream
