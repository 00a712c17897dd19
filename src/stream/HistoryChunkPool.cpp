#include "stream/HistoryChunkPool.h"

#include <sys/mman.h>

#include <new>

#include "core/Clock.h"

namespace sluice::stream {

namespace {
constexpr size_t kArenaBytes = size_t{2} * 1024 * 1024;  // 64 chunks a mapping
}  // namespace

HistoryChunkPool& HistoryChunkPool::local() {
  static thread_local HistoryChunkPool pool;
  return pool;
}

uint8_t* HistoryChunkPool::take() {
  // Warm chunks first (still in memory), then cold ones (their pages fault in as written).
  if (Idle* c = warm_) {
    warm_ = c->next;
    --warmCount_;
    return reinterpret_cast<uint8_t*>(c);
  }
  if (!cold_.empty()) {
    uint8_t* c = cold_.back();
    cold_.pop_back();
    return c;
  }
  if (arenaNext_ == arenaEnd_) {
    // Over-mapped by a chunk to align; never unmapped (chunks may sit in any thread's pool).
    void* p = ::mmap(nullptr, kArenaBytes + kChunkBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    arenaNext_ = chunkOf(static_cast<uint8_t*>(p) + kChunkBytes - 1);
    arenaEnd_ = arenaNext_ + kArenaBytes;
  }
  uint8_t* c = arenaNext_;
  arenaNext_ += kChunkBytes;
  return c;
}

void HistoryChunkPool::give(uint8_t* chunk) {
  auto* c = reinterpret_cast<Idle*>(chunk);
  c->next = warm_;
  c->sinceUs = core::monotonicUs();
  warm_ = c;
  ++warmCount_;
}

void HistoryChunkPool::trim(int64_t nowUs) {
  // The warm list is newest first: from the first chunk idle too long on, all are.
  Idle** link = &warm_;
  while (*link && nowUs - (*link)->sinceUs < kIdleUs) link = &(*link)->next;
  Idle* c = *link;
  *link = nullptr;
  while (c) {
    Idle* next = c->next;
    cold_.push_back(reinterpret_cast<uint8_t*>(c));
    ::madvise(c, kChunkBytes, MADV_DONTNEED);
    --warmCount_;
    c = next;
  }
}

}  // namespace sluice::stream
