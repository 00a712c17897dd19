#pragma once
// Which stream a request names and which worker owns it. Filled before the workers start
// and read-only afterwards, so any thread may look up.
#include <cstddef>
#include <string_view>
#include <vector>

#include "rtsp/RtspText.h"

namespace sluice::camsim {

class CamsimStream;
class CamsimWorker;

struct CamsimRoute {
  CamsimStream* stream = nullptr;
  CamsimWorker* worker = nullptr;
};

// Streams are named cam1..camN (1-based, as cameras are usually numbered).
class CamsimDirectory {
 public:
  void add(CamsimRoute route) { routes_.push_back(route); }
  size_t size() const { return routes_.size(); }

  const CamsimRoute* find(std::string_view name) const {
    if (name.size() < 4 || name.substr(0, 3) != "cam") return nullptr;
    auto k = rtsp::parseDecimal<size_t>(name.substr(3));
    if (!k || *k == 0 || *k > routes_.size() || name[3] == '0') return nullptr;
    return &routes_[*k - 1];
  }

 private:
  std::vector<CamsimRoute> routes_;
};

}  // namespace sluice::camsim
