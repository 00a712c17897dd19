#pragma once
// Counts calls to the global operator new of this process, so the statistics line can show
// that the media path does not allocate in the steady state (a claim cheaper to watch than
// to argue). Counting is one relaxed atomic increment per allocation.
#include <cstdint>

namespace sluice::camsim {

uint64_t allocationCount();

}  // namespace sluice::camsim
