#pragma once
// Which worker a new WebRTC viewer lives on. A stream's first kLocalViewers viewers live on the
// stream's own worker, which takes the stream in: they read its history directly. Beyond that a
// popular stream's viewers spread: each new one goes to the worker with the fewest WebRTC
// viewers (the stream's own on a tie), where the stream is read through a mirror
// (stream/StreamMirror), so a 1 → 1,000 viewer stream uses every core. Streams with few viewers
// never pay for a mirror. Control thread only; O(workers) per viewer.
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace sluice::webrtc {

class ViewerPlacement {
 public:
  static constexpr uint32_t kLocalViewers = 16;

  explicit ViewerPlacement(size_t workers, uint32_t localViewers = kLocalViewers);

  // The worker for a new viewer of `stream`, whose own worker is `home`; counted until
  // release(). `mayMove`: false keeps it at home (it reads a track only the origin has).
  size_t place(const void* stream, size_t home, bool mayMove);
  // The viewer placed on `worker` left; returns how many viewers of `stream` remain there.
  uint32_t release(const void* stream, size_t worker);

  uint32_t viewers(const void* stream, size_t worker) const;
  uint32_t viewersOn(size_t worker) const { return perWorker_.at(worker); }

 private:
  uint32_t localViewers_;
  std::vector<uint32_t> perWorker_;                                   // all streams' viewers, per worker
  std::unordered_map<const void*, std::vector<uint32_t>> perStream_;  // per stream, per worker
};

}  // namespace sluice::webrtc
