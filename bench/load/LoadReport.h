#pragma once
// The run's figures: totals and percentiles over all sessions, as the JSON document of
// bench/README.md's sluice-load contract and as a one-line human summary.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "load/LoadOptions.h"
#include "load/SessionResult.h"

namespace sluice::load {

struct RunSummary {
  LoadOptions options;
  double seconds = 0;           // measurement window (first POST to the end of the run)
  double cpuSeconds = 0;        // whole process (control thread included)
  double workerCpuSeconds = 0;  // data-plane threads only
  std::vector<SessionResult> sessions;
};

nlohmann::json toJson(const RunSummary& run);
std::string summaryLine(const RunSummary& run);

}  // namespace sluice::load
