#include "core/HeapTrim.h"

#include <malloc.h>

#include <atomic>

namespace sluice::core {
namespace {
std::atomic<bool> requested{false};
std::atomic<int64_t> lastTrimUs{INT64_MIN / 2};
}  // namespace

void requestHeapTrim() { requested.store(true, std::memory_order_relaxed); }

bool trimHeapIfRequested(int64_t nowUs, int64_t intervalUs) {
  if (!requested.load(std::memory_order_relaxed)) return false;
  int64_t last = lastTrimUs.load(std::memory_order_relaxed);
  // One thread wins the interval; the others return at once.
  if (nowUs - last < intervalUs || !lastTrimUs.compare_exchange_strong(last, nowUs)) return false;
  requested.store(false, std::memory_order_relaxed);
  malloc_trim(0);
  return true;
}

}  // namespace sluice::core
