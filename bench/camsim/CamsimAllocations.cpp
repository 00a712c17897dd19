#include "camsim/CamsimAllocations.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<uint64_t> gAllocations{0};
}  // namespace

namespace sluice::camsim {
uint64_t allocationCount() { return gAllocations.load(std::memory_order_relaxed); }
}  // namespace sluice::camsim

// The array and nothrow forms of libstdc++ call these, so they are counted too; the
// aligned forms are left alone (nothing on the media path uses them).
void* operator new(std::size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
