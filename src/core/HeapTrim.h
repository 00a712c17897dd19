#pragma once
// Gives freed heap memory back to the system after frees in the middle of the heap, which
// glibc otherwise keeps for the process's life (it only returns the heap's top on its own).
// For bulk frees of long-lived state, e.g. each WHEP viewer's DTLS session released once its
// handshake is known complete: without this, a join of 400 viewers keeps their handshake
// memory as RSS after it is freed. A request is O(1) from any thread; the trim runs where
// trimHeapIfRequested() is called, at most once per interval: the control thread (App's
// housekeeping), never a worker, as it can take milliseconds and holds each arena's lock.
#include <cstdint>

namespace sluice::core {

void requestHeapTrim();
// Trims if requested and the last trim is at least `intervalUs` old; true if it trimmed.
// One thread only (the control thread).
bool trimHeapIfRequested(int64_t nowUs, int64_t intervalUs = 1'000'000);

}  // namespace sluice::core
