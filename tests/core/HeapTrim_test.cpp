#include "core/HeapTrim.h"

#include <gtest/gtest.h>

namespace sluice::core {
namespace {

// One process-wide throttle: the times used are far apart from any other caller's.
TEST(HeapTrim, TrimsOnlyWhenAskedAndAtMostOncePerInterval) {
  const int64_t t0 = int64_t{1} << 50;
  requestHeapTrim();
  EXPECT_TRUE(trimHeapIfRequested(t0));
  EXPECT_FALSE(trimHeapIfRequested(t0 + 5'000'000)) << "nothing was asked since";
  requestHeapTrim();
  EXPECT_FALSE(trimHeapIfRequested(t0 + 500'000)) << "within the interval of the last trim";
  EXPECT_TRUE(trimHeapIfRequested(t0 + 1'000'000)) << "the request waited for the interval";
  EXPECT_FALSE(trimHeapIfRequested(t0 + 9'000'000));
}

}  // namespace
}  // namespace sluice::core
