#include "load/LatencyHistogram.h"

#include <bit>

namespace sluice::load {

size_t LatencyHistogram::bucketOf(uint64_t v) {
  if (v < kSub) return static_cast<size_t>(v);
  int exponent = std::bit_width(v) - 1;  // >= kSubBits
  if (exponent > kMaxExponent) return kBuckets - 1;
  const uint64_t sub = (v >> (exponent - kSubBits)) & (kSub - 1);
  return static_cast<size_t>((exponent - kSubBits + 1) * kSub + sub);
}

double LatencyHistogram::bucketMid(size_t index) {
  if (index < kSub) return static_cast<double>(index);
  const int exponent = static_cast<int>(index / kSub) - 1 + kSubBits;
  const uint64_t sub = index % kSub;
  const uint64_t low = (kSub + sub) << (exponent - kSubBits);
  const uint64_t width = uint64_t{1} << (exponent - kSubBits);
  return static_cast<double>(low) + static_cast<double>(width - 1) / 2.0;
}

void LatencyHistogram::record(int64_t us) {
  if (us < 0) {
    ++negatives_;
    us = 0;
  }
  ++buckets_[bucketOf(static_cast<uint64_t>(us))];
  ++count_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  negatives_ += other.negatives_;
}

double LatencyHistogram::percentileUs(double p) const {
  if (count_ == 0) return -1;
  // Nearest-rank: the smallest value with at least p% of the samples at or below it.
  uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return bucketMid(i);
  }
  return bucketMid(kBuckets - 1);
}

}  // namespace sluice::load
