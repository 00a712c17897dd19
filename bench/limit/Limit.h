#pragma once
// Shared pieces of sluice-limit: every benchmark reports the packets it handled in the
// counter "packets" (total over the run), so main() can turn thread CPU time into
// microseconds per packet, and "per_pkt" (CPU seconds per packet) for the console.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>

namespace sluice::bench {

// The packet every benchmark handles: 12-byte RTP header + 1188 bytes of payload.
constexpr size_t kPacketSize = 1200;

// Which figure of the limit a benchmark competes for ("srtp" or "send"), or "info" for
// the primitive readings that only explain the others. Set as the benchmark's label
// prefix, e.g. "srtp:libsrtp2:AES_CM_128_HMAC_SHA1_80".
inline void setPacketCounters(benchmark::State& state, double packets) {
  state.counters["packets"] = benchmark::Counter(packets);
  state.counters["per_pkt"] =
      benchmark::Counter(packets, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace sluice::bench
