#pragma once
// Sluice's own counters for /metrics, next to MediaMTX's families (which come from the
// same ControlApiBackend as the API, so both always agree). Called on the HTTP server's
// io_context thread; the app returns a snapshot of its atomic counters.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice::http {

struct PathCounters {
  std::string name;
  uint64_t nacksAnswered = 0;              // NACKed packets resent from the shared history
  uint64_t packetsDroppedSlowViewers = 0;  // video packets not sent to viewers moved ahead to a keyframe
};

// Any further family, so the app can add counters without touching http/.
struct MetricSample {
  std::string name;  // [a-zA-Z_:][a-zA-Z0-9_:]*; samples of one family must be adjacent
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  bool counter = false;  // "# TYPE <name> counter", else gauge
};

struct SluiceCounters {
  std::vector<PathCounters> paths;
  uint64_t egressBatches = 0;  // sendmmsg calls
  uint64_t egressPackets = 0;  // datagrams handed to the kernel
  std::vector<MetricSample> extra;
};

class MetricsBackend {
 public:
  virtual ~MetricsBackend() = default;
  virtual SluiceCounters sluiceCounters() = 0;
};

}  // namespace sluice::http
