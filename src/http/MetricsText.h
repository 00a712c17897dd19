#pragma once
// Renders /metrics in MediaMTX's text format (internal/metrics/metrics.go): no HELP/TYPE
// lines, "# Section" comments, alphabetically sorted labels, one unlabeled 0 line per
// metric when a section has no items, and the deprecated duplicate sections. Sluice's own
// families follow, with TYPE lines. Pure: the routes take the snapshot, this formats it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/ApiItems.h"
#include "http/MetricsBackend.h"
#include "http/ProcStats.h"

namespace sluice::http {

// ?type= and the per-item filters (?path=, ?rtsp_conn=, ?rtsp_session=, ?rtsps_conn=,
// ?rtsps_session=, ?webrtc_session=). Filters of servers Sluice lacks (hls_muxer, srt_conn, ...) still
// count as "a filter is active", which hides every other section, as in MediaMTX.
struct MetricsFilter {
  std::string type;
  std::string path;
  std::string rtspConn;
  std::string rtspSession;
  std::string rtspsConn;
  std::string rtspsSession;
  std::string webrtcSession;
  bool anyActive = false;
};

MetricsFilter parseMetricsFilter(std::string_view rawQuery);

struct MetricsSnapshot {
  std::vector<PathItem> paths;  // sorted by name
  bool rtspEnabled = false;
  std::vector<RtspConnItem> rtspConns;
  std::vector<RtspSessionItem> rtspSessions;
  bool rtspsEnabled = false;
  std::vector<RtspConnItem> rtspsConns;
  std::vector<RtspSessionItem> rtspsSessions;
  bool webrtcEnabled = false;
  std::vector<WebrtcSessionItem> webrtcSessions;
  std::optional<ProcessStats> process;  // Sluice family; absent if /proc can't be read
  std::optional<SluiceCounters> sluice;
};

std::string renderMetrics(const MetricsSnapshot& snapshot, const MetricsFilter& filter);

// Prometheus label-value escaping (\\, \", \n). MediaMTX writes values raw, which breaks
// the scrape for a path name with a quote; for every ordinary value both are the same.
std::string escapeLabelValue(std::string_view value);

// Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip, never an exponent.
std::string formatMetricFloat(double value);

}  // namespace sluice::http
