#include "webrtc/ViewerPlacement.h"

namespace sluice::webrtc {

ViewerPlacement::ViewerPlacement(size_t workers, uint32_t localViewers)
    : localViewers_(localViewers), perWorker_(workers == 0 ? 1 : workers, 0) {}

size_t ViewerPlacement::place(const void* stream, size_t home, bool mayMove) {
  std::vector<uint32_t>& counts = perStream_[stream];
  if (counts.empty()) counts.assign(perWorker_.size(), 0);
  if (home >= perWorker_.size()) home = 0;
  size_t chosen = home;
  if (mayMove && counts[home] >= localViewers_) {
    for (size_t w = 0; w < perWorker_.size(); ++w) {
      if (perWorker_[w] < perWorker_[chosen]) chosen = w;
    }
  }
  ++counts[chosen];
  ++perWorker_[chosen];
  return chosen;
}

uint32_t ViewerPlacement::release(const void* stream, size_t worker) {
  auto it = perStream_.find(stream);
  if (it == perStream_.end() || worker >= perWorker_.size() || it->second[worker] == 0) return 0;
  --perWorker_[worker];
  const uint32_t left = --it->second[worker];
  bool any = false;
  for (uint32_t n : it->second) any = any || n > 0;
  if (!any) perStream_.erase(it);
  return left;
}

uint32_t ViewerPlacement::viewers(const void* stream, size_t worker) const {
  auto it = perStream_.find(stream);
  return it == perStream_.end() || worker >= it->second.size() ? 0 : it->second[worker];
}

}  // namespace sluice::webrtc
