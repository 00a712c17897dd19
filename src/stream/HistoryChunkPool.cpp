#include "stream/HistoryChunkPool.h"

#include <sys/mman.h>

#include <new>
#include <utility>

#include "core/Clock.h"

namespace sluice::stream {

namespace {
constexpr size_t kArenaBytes = size_t{2} * 1024 * 1024;  // 64 chunks a mapping
constexpr size_t kLinkPage = 4096;                       // a cold chunk keeps the page with its link
}  // namespace

HistoryChunkPool& HistoryChunkPool::local() {
  static thread_local HistoryChunkPool pool;
  return pool;
}

uint8_t* HistoryChunkPool::take() {
  // Warm chunks first (still in memory), then cold ones (their pages fault in as written).
  for (auto [list, count] : {std::pair{&warm_, &warmCount_}, std::pair{&cold_, &coldCount_}}) {
    if (Idle* c = *list) {
      *list = c->next;
      --*count;
      return reinterpret_cast<uint8_t*>(c);
    }
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
    ::madvise(reinterpret_cast<uint8_t*>(c) + kLinkPage, kChunkBytes - kLinkPage, MADV_DONTNEED);
    c->next = cold_;
    cold_ = c;
    --warmCount_;
    ++coldCount_;
    c = next;
  }
}

}  // namespace sluice::stream
