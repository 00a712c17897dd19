#include "stream/PacketHistory.h"

#include <algorithm>
#include <stdexcept>

#include "stream/HistoryChunkPool.h"

namespace sluice::stream {

namespace {
bool powerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

constexpr size_t kChunk = HistoryChunkPool::kChunkBytes;
static_assert(kChunk >= 2 * kMaxRtpPacket, "a chunk holds packets whole");

// The chunk ring starts at this much per entry (audio packets are a few hundred bytes; video
// grows a chunk at a time to its keyframe interval). A ring gives up its oldest chunk whole
// when the writer comes round to it, so it spans a chunk more than the bytes it must hold.
constexpr size_t kInitialBytesPerEntry = 256;
size_t chunksFor(size_t bytes) { return (bytes + kChunk - 1) / kChunk + 1; }
}  // namespace

PacketHistory::PacketHistory(size_t maxCapacity, size_t initialCapacity) : maxCapacity_(maxCapacity) {
  if (!powerOfTwo(maxCapacity) || !powerOfTwo(initialCapacity)) {
    throw std::invalid_argument("packet history capacity must be a power of two");
  }
  const size_t capacity = std::min(initialCapacity, maxCapacity);
  mask_ = capacity - 1;
  entries_ = std::make_unique<HistoryPacket[]>(capacity);
  maxChunks_ = chunksFor(maxCapacity * kMaxRtpPacket);
  chunks_.reserve(maxChunks_);  // growing inserts a slot and never allocates (8 bytes a chunk)
  chunks_.assign(std::min(maxChunks_, chunksFor(capacity * kInitialBytesPerEntry)), nullptr);
}

PacketHistory::~PacketHistory() {
  for (uint8_t* c : chunks_) {
    if (c) HistoryChunkPool::local().give(c);
  }
}

size_t PacketHistory::byteCapacity() const { return chunks_.size() * kChunk; }

size_t PacketHistory::heldBytes() const {
  return static_cast<size_t>(std::count_if(chunks_.begin(), chunks_.end(), [](uint8_t* c) { return c; })) *
         kChunk;
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

HistoryPacket* PacketHistory::oldest() {
  for (; tail_ < head_; ++tail_) {
    HistoryPacket& p = entries_[tail_ & mask_];
    if (p.index == tail_) return &p;
  }
  return nullptr;
}

uint64_t PacketHistory::cacheStart() const {
  const uint64_t lead = keyframeLead();
  return lead != UINT64_MAX ? lead : lastKeyframe();
}

bool PacketHistory::mustKeep(const HistoryPacket& p) const {
  const uint64_t start = cacheStart();
  if (start != UINT64_MAX) return p.index >= start;
  return head_ - p.index < capacity();  // no keyframe held: keep what the entries can
}

void PacketHistory::reserveBytes() {
  if (!chunks_[writeChunk_]) chunks_[writeChunk_] = HistoryChunkPool::local().take();
  if (writeOffset_ + kMaxRtpPacket <= kChunk) return;
  // The writer's chunk is full. The next slot is free, or it holds the oldest packets (the
  // ring has come round): those go, unless they must stay — then the ring grows by a chunk.
  size_t next = nextChunk(writeChunk_);
  for (HistoryPacket* p = oldest(); p && HistoryChunkPool::chunkOf(p->data) == chunks_[next]; p = oldest()) {
    if (mustKeep(*p) && chunks_.size() < maxChunks_) {
      next = writeChunk_ + 1;
      chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(next), nullptr);
      if (tailChunk_ >= next) ++tailChunk_;
      break;
    }
    p->index = UINT64_MAX;
  }
  if (next == tailChunk_) tailChunk_ = nextChunk(next);
  writeChunk_ = next;
  writeOffset_ = 0;
  if (!chunks_[writeChunk_]) chunks_[writeChunk_] = HistoryChunkPool::local().take();
}

HistoryPacket& PacketHistory::beginAppend() {
  // About to overwrite the last keyframe start's entry: new viewers could not start at once
  // any more, so make room for a whole keyframe interval.
  const uint64_t start = cacheStart();
  if (start != UINT64_MAX && head_ - start >= capacity() && capacity() < maxCapacity_) growEntries();
  if (head_ - tail_ >= capacity()) tail_ = head_ - capacity() + 1;  // its entry is reused
  reserveBytes();
  HistoryPacket& p = entries_[head_ & mask_];
  p.index = UINT64_MAX;  // invalid until committed
  p.data = chunks_[writeChunk_] + writeOffset_;
  p.size = 0;
  return p;
}

void PacketHistory::commit() {
  HistoryPacket& p = entries_[head_ & mask_];
  p.index = head_;
  writeOffset_ += std::min<size_t>(p.size, kMaxRtpPacket);
  if (afterMarker_) {
    previousFrameStart_ = frameStart_;
    frameStart_ = head_;
  }
  afterMarker_ = p.marker;
  if (p.keyframeStart) {
    lastKeyframe_ = head_;
    keyframeLead_ = frameStart_ == head_ ? previousFrameStart_ : UINT64_MAX;
  }
  ++head_;
  if (lastKeyframe_ != UINT64_MAX && tail_ < lastKeyframe_) dropBeforeKeyframe(p.arrivalUs);
}

void PacketHistory::dropBeforeKeyframe(int64_t newestArrivalUs) {
  bool dropped = false;
  const uint64_t start = cacheStart();
  const uint64_t end = std::min(start == UINT64_MAX ? lastKeyframe_ : start, keepFrom_);
  for (HistoryPacket* p = oldest(); p && p->index < end; p = oldest()) {
    if (newestArrivalUs - p->arrivalUs <= kRetainBeforeKeyframeUs) break;
    p->index = UINT64_MAX;
    ++tail_;
    dropped = true;
  }
  if (dropped) releaseFreeChunks();
}

void PacketHistory::releaseFreeChunks() {
  const HistoryPacket* first = oldest();
  const uint8_t* keep = first ? HistoryChunkPool::chunkOf(first->data) : nullptr;
  for (; tailChunk_ != writeChunk_; tailChunk_ = nextChunk(tailChunk_)) {
    uint8_t*& c = chunks_[tailChunk_];
    if (!c) continue;
    if (c == keep) break;
    HistoryChunkPool::local().give(c);
    c = nullptr;
    ++chunksReleased_;
  }
}

void PacketHistory::skip(uint64_t n) {
  // A frame with lost packets is no lead for a keyframe: boundaries are known again after a marker.
  frameStart_ = UINT64_MAX;
  afterMarker_ = false;
  head_ += n;
  if (head_ - tail_ > capacity()) tail_ = head_ - capacity();
}

void PacketHistory::clear() {
  for (size_t i = 0; i <= mask_; ++i) entries_[i].index = UINT64_MAX;
  lastKeyframe_ = keyframeLead_ = frameStart_ = previousFrameStart_ = UINT64_MAX;
  afterMarker_ = true;
  // head_ keeps counting so indexes stay unique over the stream's life.
  tail_ = head_;
  // Nothing is held: every chunk goes back until packets are written again.
  for (uint8_t*& c : chunks_) {
    if (c) HistoryChunkPool::local().give(c);
    c = nullptr;
  }
  writeChunk_ = tailChunk_ = 0;
  writeOffset_ = 0;
}

}  // namespace sluice::stream
