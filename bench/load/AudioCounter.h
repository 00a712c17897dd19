#pragma once
// Counts one received audio track: packets, bytes, loss and duplicates from its 16-bit
// sequence numbers extended to 64 bits. Audio is not NACKed (browsers don't either), so loss
// is what never arrived: expected (first to highest sequence number) minus received, with a
// 64-packet window to tell duplicates from late arrivals. O(1), no allocation.
#include <cstdint>

namespace sluice::load {

class AudioCounter {
 public:
  // One authenticated packet (or one skipped by --sample) of `bytes` on the wire.
  void onPacket(uint16_t sequence, uint64_t bytes);

  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t lost() const {
    if (packets_ == 0) return 0;
    const uint64_t expected = static_cast<uint64_t>(highest_ - first_ + 1);
    return expected > packets_ ? expected - packets_ : 0;
  }

 private:
  bool started_ = false;
  int64_t first_ = 0, highest_ = 0;  // extended sequence numbers
  uint64_t window_ = 0;              // bit k: highest_ - k received
  uint64_t packets_ = 0, bytes_ = 0, duplicates_ = 0;
};

}  // namespace sluice::load
