#pragma once
// A log-linear histogram of microsecond values for percentiles over millions of packets
// without storing them: 64 linear buckets per power of two, so a percentile is within
// 1/64 (1.6%) of the exact value. Fixed size; recording is a few instructions.
#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::load {

class LatencyHistogram {
 public:
  // Values below 0 (clock steps, an SR that maps a little late) count as 0 and are also
  // counted in negatives(); values past ~35 minutes land in the last bucket.
  void record(int64_t us);
  // A viewer's latency once it is watching live: samples are ignored until the first one within
  // kLiveEdgeUs. Before that the server may still be handing over a cached GOP (Sluice paces it
  // at a multiple of the stream's rate), whose packets are old by design and measure the start,
  // not the live delay; a server without a cache is live from its first packet.
  static constexpr int64_t kLiveEdgeUs = 50'000;
  void recordLive(int64_t us) {
    if (!live_ && us > kLiveEdgeUs) return;
    live_ = true;
    record(us);
  }
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t negatives() const { return negatives_; }
  // The value at percentile p (0..100) in microseconds (bucket midpoint); -1 when empty.
  double percentileUs(double p) const;

 private:
  static constexpr int kSubBits = 6;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr int kMaxExponent = 31;
  static constexpr size_t kBuckets = (kMaxExponent - kSubBits + 2) * kSub;

  static size_t bucketOf(uint64_t v);
  static double bucketMid(size_t index);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t negatives_ = 0;
  bool live_ = false;  // recordLive() saw a sample within kLiveEdgeUs
};

}  // namespace sluice::load
