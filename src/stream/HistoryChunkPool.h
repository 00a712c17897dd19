#pragma once
// Fixed-size pieces of memory for packet histories (PacketHistory), recycled within a thread.
// A history gives back a chunk once it holds no packet any more and takes one when its writer
// moves on, so on a worker whose cameras are out of step (as independent cameras are) the
// chunks one history drops feed the next, resident, with no page fault and no zeroing: the
// histories together cost the bytes they hold, not each the largest interval it has seen.
// A chunk idle for kIdleUs goes back to the kernel at the next trim (a stream that ended, a
// burst of drops).
// One pool per thread, no lock; chunks come from mappings that are never unmapped, so a chunk
// may be given to another thread's pool (a history destroyed elsewhere).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::stream {

class HistoryChunkPool {
 public:
  static constexpr size_t kChunkBytes = size_t{32} * 1024;  // aligned to its size
  static constexpr int64_t kIdleUs = 10'000'000;

  // This thread's pool.
  static HistoryChunkPool& local();

  uint8_t* take();
  void give(uint8_t* chunk);
  // The chunk that holds address p.
  static uint8_t* chunkOf(const uint8_t* p) {
    return const_cast<uint8_t*>(p) - (reinterpret_cast<uintptr_t>(p) & (kChunkBytes - 1));
  }

  size_t idleChunks() const { return warmCount_ + cold_.size(); }
  // Idle chunks still in memory (the rest were given back to the kernel).
  size_t warmChunks() const { return warmCount_; }
  // Gives the chunks idle since before nowUs - kIdleUs back to the kernel, whole. Called on the
  // pool's own thread by its owner now and then (the app: every worker and its control thread,
  // twice a second), not from give(): a thread whose histories all ended gives nothing any
  // more. The only call that may allocate (the cold list's growth).
  void trim(int64_t nowUs);

 private:
  struct Idle {  // written into the warm chunk itself: give() and take() allocate nothing
    Idle* next;
    int64_t sinceUs;
  };
  Idle* warm_ = nullptr;  // most recently given first
  size_t warmCount_ = 0;
  // Given back to the kernel: kept apart, as the chunk's own pages hold nothing any more.
  std::vector<uint8_t*> cold_;
  uint8_t* arenaNext_ = nullptr;  // the current mapping's unused part
  uint8_t* arenaEnd_ = nullptr;
};

}  // namespace sluice::stream
