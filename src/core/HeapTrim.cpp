#include "core/HeapTrim.h"

#include <malloc.h>

#include <atomic>

namespace sluice::core {
namespace {
std::atomic<bool> requested{false};
int64_t lastTrimUs = INT64_MIN / 2;  // the trimming thread's only
}  // namespace

void requestHeapTrim() { requested.store(true, std::memory_order_relaxed); }

bool trimHeapIfRequested(int64_t nowUs, int64_t intervalUs) {
  if (nowUs - lastTrimUs < intervalUs || !requested.exchange(false, std::memory_order_relaxed)) return false;
  lastTrimUs = nowUs;
  malloc_trim(0);
  return true;
}

}  // namespace sluice::core
