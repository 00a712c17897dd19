#include "http/MetricsText.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <deque>
#include <map>
#include <utility>

#include "http/ApiQuery.h"

namespace sluice::http {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

// "{a="x",b="y"}" with keys sorted, like MediaMTX's tags().
std::string tags(Labels labels) {
  std::sort(labels.begin(), labels.end());
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out.append(labels[i].first).append("=\"").append(escapeLabelValue(labels[i].second)).append("\"");
  }
  return out + "}";
}

void metric(std::string& out, std::string_view name, std::string_view tagText, uint64_t value) {
  out.append(name).append(tagText).append(" ").append(std::to_string(value)).append("\n");
}

void metricFloat(std::string& out, std::string_view name, std::string_view tagText, double value) {
  out.append(name).append(tagText).append(" ").append(formatMetricFloat(value)).append("\n");
}

// One metric of a session-like section: name and how to read it from an item.
template <class T>
struct Field {
  std::string_view name;
  uint64_t T::*integer = nullptr;
  double T::*real = nullptr;
};

// A MediaMTX section pair ("# X" + "# X (deprecated)") for one kind of item.
template <class T>
struct Section {
  std::string_view title;
  std::vector<Field<T>> fields;
  std::vector<Field<T>> deprecated;
};

// A field with neither member is the item's own line: 1 per item, 0 when empty.
template <class T>
void writeFields(std::string& out, const std::vector<Field<T>>& fields, const T* item,
                 const std::string& tagText) {
  for (const Field<T>& f : fields) {
    if (f.real) {
      metricFloat(out, f.name, tagText, item ? item->*f.real : 0.0);
    } else {
      metric(out, f.name, tagText, !item ? 0 : f.integer ? item->*f.integer : 1);
    }
  }
}

// MediaMTX's shape: items present -> both sections with every matching item (headers
// even if the filter matches none); no items and no filter -> unlabeled zero lines;
// no items but a filter -> nothing.
template <class T, class TagFn>
void writeSection(std::string& out, const Section<T>& section, const std::vector<T>& items,
                  const std::string& idFilter, TagFn tagFn) {
  if (!items.empty()) {
    for (int pass = 0; pass < 2; ++pass) {
      out.append("# ").append(section.title).append(pass ? " (deprecated)\n" : "\n");
      for (const T& item : items) {
        if (!idFilter.empty() && idFilter != item.id) continue;
        writeFields(out, pass ? section.deprecated : section.fields, &item, tagFn(item));
      }
      out.append("\n");
    }
  } else if (idFilter.empty()) {
    out.append("# ").append(section.title).append("\n");
    writeFields(out, section.fields, static_cast<const T*>(nullptr), "");
    out.append("\n# ").append(section.title).append(" (deprecated)\n");
    writeFields(out, section.deprecated, static_cast<const T*>(nullptr), "");
    out.append("\n");
  }
}

void writePaths(std::string& out, const std::vector<PathItem>& paths, const std::string& filter) {
  if (paths.empty()) {
    if (!filter.empty()) return;
    // MediaMTX lists paths_readers under the deprecated header here; kept for parity.
    out +=
        "# Paths\npaths 0\npaths_inbound_bytes 0\npaths_outbound_bytes 0\npaths_inbound_frames_in_error 0\n\n"
        "# Paths (deprecated)\npaths_bytes_received 0\npaths_bytes_sent 0\npaths_readers 0\n\n";
    return;
  }
  out += "# Paths\n";
  for (const PathItem& p : paths) {
    if (!filter.empty() && filter != p.name) continue;
    const std::string_view state = p.ready ? "ready" : "notReady";
    const std::string t = tags({{"name", p.name}, {"state", state}});
    metric(out, "paths", t, 1);
    std::map<std::string_view, uint64_t> byType;  // sorted, like sortedKeys()
    for (const ApiPeer& r : p.readers) ++byType[r.type];
    if (byType.empty()) byType[""] = 0;
    for (const auto& [type, count] : byType) {
      metric(out, "paths_readers", tags({{"name", p.name}, {"state", state}, {"readerType", type}}), count);
    }
    metric(out, "paths_inbound_bytes", t, p.inboundBytes);
    metric(out, "paths_outbound_bytes", t, p.outboundBytes);
    metric(out, "paths_inbound_frames_in_error", t, p.inboundFramesInError);
  }
  out += "\n# Paths (deprecated)\n";
  for (const PathItem& p : paths) {
    if (!filter.empty() && filter != p.name) continue;
    const std::string t = tags({{"name", p.name}, {"state", p.ready ? "ready" : "notReady"}});
    metric(out, "paths_bytes_received", t, p.inboundBytes);
    metric(out, "paths_bytes_sent", t, p.outboundBytes);
  }
  out += "\n";
}

const Section<RtspConnItem>& rtspConnSection() {
  using C = RtspConnItem;
  static const Section<C> s{
      "RTSP connections",
      {{"rtsp_conns"},
       {"rtsp_conns_inbound_bytes", &C::inboundBytes},
       {"rtsp_conns_outbound_bytes", &C::outboundBytes}},
      {{"rtsp_conns_bytes_received", &C::inboundBytes}, {"rtsp_conns_bytes_sent", &C::outboundBytes}}};
  return s;
}

const Section<RtspSessionItem>& rtspSessionSection() {
  using S = RtspSessionItem;
  static const Section<S> s{
      "RTSP sessions",
      {{"rtsp_sessions"},
       {"rtsp_sessions_inbound_bytes", &S::inboundBytes},
       {"rtsp_sessions_inbound_rtp_packets", &S::inboundRtpPackets},
       {"rtsp_sessions_inbound_rtp_packets_lost", &S::inboundRtpPacketsLost},
       {"rtsp_sessions_inbound_rtp_packets_in_error", &S::inboundRtpPacketsInError},
       {"rtsp_sessions_inbound_rtp_packets_jitter", nullptr, &S::inboundRtpPacketsJitter},
       {"rtsp_sessions_inbound_rtcp_packets", &S::inboundRtcpPackets},
       {"rtsp_sessions_inbound_rtcp_packets_in_error", &S::inboundRtcpPacketsInError},
       {"rtsp_sessions_outbound_bytes", &S::outboundBytes},
       {"rtsp_sessions_outbound_rtp_packets", &S::outboundRtpPackets},
       {"rtsp_sessions_outbound_rtp_packets_reported_lost", &S::outboundRtpPacketsReportedLost},
       {"rtsp_sessions_outbound_rtp_packets_discarded", &S::outboundRtpPacketsDiscarded},
       {"rtsp_sessions_outbound_rtcp_packets", &S::outboundRtcpPackets}},
      {{"rtsp_sessions_bytes_received", &S::inboundBytes},
       {"rtsp_sessions_bytes_sent", &S::outboundBytes},
       {"rtsp_sessions_rtp_packets_received", &S::inboundRtpPackets},
       {"rtsp_sessions_rtp_packets_sent", &S::outboundRtpPackets},
       {"rtsp_sessions_rtp_packets_lost", &S::inboundRtpPacketsLost},
       {"rtsp_sessions_rtp_packets_in_error", &S::inboundRtpPacketsInError},
       {"rtsp_sessions_rtp_packets_jitter", nullptr, &S::inboundRtpPacketsJitter},
       {"rtsp_sessions_rtcp_packets_received", &S::inboundRtcpPackets},
       {"rtsp_sessions_rtcp_packets_sent", &S::outboundRtcpPackets},
       {"rtsp_sessions_rtcp_packets_in_error", &S::inboundRtcpPacketsInError}}};
  return s;
}

// The RTSPS twin of an RTSP section: the same fields named rtsps_* (MediaMTX's names).
template <class T>
Section<T> rtspsTwin(const Section<T>& plain, std::string_view title) {
  static std::deque<std::string> names;  // storage of the twins' names (built once per section)
  const auto rename = [](std::vector<Field<T>> fields) {
    for (Field<T>& f : fields) {
      names.push_back("rtsps_" + std::string(f.name.substr(std::string_view("rtsp_").size())));
      f.name = names.back();
    }
    return fields;
  };
  return Section<T>{title, rename(plain.fields), rename(plain.deprecated)};
}

const Section<RtspConnItem>& rtspsConnSection() {
  static const Section<RtspConnItem> s = rtspsTwin(rtspConnSection(), "RTSPS connections");
  return s;
}

const Section<RtspSessionItem>& rtspsSessionSection() {
  static const Section<RtspSessionItem> s = rtspsTwin(rtspSessionSection(), "RTSPS sessions");
  return s;
}

const Section<WebrtcSessionItem>& webrtcSection() {
  using W = WebrtcSessionItem;
  static const Section<W> s{
      "WebRTC sessions",
      {{"webrtc_sessions"},
       {"webrtc_sessions_inbound_bytes", &W::inboundBytes},
       {"webrtc_sessions_inbound_rtp_packets", &W::inboundRtpPackets},
       {"webrtc_sessions_inbound_rtp_packets_lost", &W::inboundRtpPacketsLost},
       {"webrtc_sessions_inbound_rtp_packets_jitter", nullptr, &W::inboundRtpPacketsJitter},
       {"webrtc_sessions_inbound_rtcp_packets", &W::inboundRtcpPackets},
       {"webrtc_sessions_outbound_bytes", &W::outboundBytes},
       {"webrtc_sessions_outbound_rtp_packets", &W::outboundRtpPackets},
       {"webrtc_sessions_outbound_rtcp_packets", &W::outboundRtcpPackets},
       {"webrtc_sessions_outbound_frames_discarded", &W::outboundFramesDiscarded}},
      {{"webrtc_sessions_bytes_received", &W::inboundBytes},
       {"webrtc_sessions_bytes_sent", &W::outboundBytes},
       {"webrtc_sessions_rtp_packets_received", &W::inboundRtpPackets},
       {"webrtc_sessions_rtp_packets_sent", &W::outboundRtpPackets},
       {"webrtc_sessions_rtp_packets_lost", &W::inboundRtpPacketsLost},
       {"webrtc_sessions_rtp_packets_jitter", nullptr, &W::inboundRtpPacketsJitter},
       {"webrtc_sessions_rtcp_packets_received", &W::inboundRtcpPackets},
       {"webrtc_sessions_rtcp_packets_sent", &W::outboundRtcpPackets}}};
  return s;
}

template <class T>
std::string sessionTags(const T& s) {
  return tags({{"id", s.id}, {"path", s.path}, {"remoteAddr", s.remoteAddr}, {"state", s.state}});
}

void typeLine(std::string& out, std::string_view name, bool counter) {
  out.append("# TYPE ").append(name).append(counter ? " counter\n" : " gauge\n");
}

void writeSluice(std::string& out, const MetricsSnapshot& snap, const MetricsFilter& filter) {
  const bool all = !filter.anyActive;
  const bool pathsOnly = filter.anyActive && !filter.path.empty();
  if (!all && !pathsOnly) return;
  std::string body;
  if (all && snap.process) {
    const ProcessStats& p = *snap.process;
    typeLine(body, "sluice_process_cpu_seconds_total", true);
    metricFloat(body, "sluice_process_cpu_seconds_total", "", p.cpuSeconds);
    typeLine(body, "sluice_process_resident_memory_bytes", false);
    metric(body, "sluice_process_resident_memory_bytes", "", p.residentBytes);
    typeLine(body, "sluice_process_virtual_memory_bytes", false);
    metric(body, "sluice_process_virtual_memory_bytes", "", p.virtualBytes);
    typeLine(body, "sluice_process_threads", false);
    metric(body, "sluice_process_threads", "", static_cast<uint64_t>(std::max<int64_t>(p.threads, 0)));
    typeLine(body, "sluice_process_open_fds", false);
    metric(body, "sluice_process_open_fds", "", static_cast<uint64_t>(std::max<int64_t>(p.openFds, 0)));
  }
  if (snap.sluice) {
    const SluiceCounters& c = *snap.sluice;
    if (all) {
      typeLine(body, "sluice_egress_batches_total", true);
      metric(body, "sluice_egress_batches_total", "", c.egressBatches);
      typeLine(body, "sluice_egress_packets_total", true);
      metric(body, "sluice_egress_packets_total", "", c.egressPackets);
    }
    std::vector<const PathCounters*> paths;
    for (const PathCounters& p : c.paths) {
      if (filter.path.empty() || filter.path == p.name) paths.push_back(&p);
    }
    std::stable_sort(paths.begin(), paths.end(), [](auto* a, auto* b) { return a->name < b->name; });
    if (!paths.empty()) {
      typeLine(body, "sluice_path_nacks_answered_total", true);
      for (auto* p : paths)
        metric(body, "sluice_path_nacks_answered_total", tags({{"name", p->name}}), p->nacksAnswered);
      typeLine(body, "sluice_path_packets_dropped_slow_viewers_total", true);
      for (auto* p : paths) {
        metric(body, "sluice_path_packets_dropped_slow_viewers_total", tags({{"name", p->name}}),
               p->packetsDroppedSlowViewers);
      }
    }
    if (all) {
      std::string_view last;
      for (const MetricSample& s : c.extra) {
        if (s.name != last) typeLine(body, s.name, s.counter);
        last = s.name;
        Labels labels;
        for (const auto& [k, v] : s.labels) labels.emplace_back(k, v);
        metricFloat(body, s.name, labels.empty() ? std::string() : tags(labels), s.value);
      }
    }
  }
  if (!body.empty()) out.append("# Sluice\n").append(body).append("\n");
}

}  // namespace

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string formatMetricFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::array<char, 400> buf;  // fixed notation of 1e308 needs ~310 chars
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed);
  if (ec != std::errc()) return "0";
  std::string out(buf.data(), end);
  return out == "-0" ? "0" : out;
}

MetricsFilter parseMetricsFilter(std::string_view rawQuery) {
  MetricsFilter f;
  f.type = queryParam(rawQuery, "type");
  f.path = queryParam(rawQuery, "path");
  f.rtspConn = queryParam(rawQuery, "rtsp_conn");
  f.rtspSession = queryParam(rawQuery, "rtsp_session");
  f.rtspsConn = queryParam(rawQuery, "rtsps_conn");
  f.rtspsSession = queryParam(rawQuery, "rtsps_session");
  f.webrtcSession = queryParam(rawQuery, "webrtc_session");
  f.anyActive = !f.path.empty() || !f.rtspConn.empty() || !f.rtspSession.empty() || !f.rtspsConn.empty() ||
                !f.rtspsSession.empty() || !f.webrtcSession.empty();
  for (std::string_view other :
       {"forward_dest", "hls_muxer", "hls_session", "rtmp_conn", "rtmps_conn", "srt_conn", "moq_session"}) {
    if (!queryParam(rawQuery, other).empty()) f.anyActive = true;
  }
  return f;
}

std::string renderMetrics(const MetricsSnapshot& snap, const MetricsFilter& filter) {
  std::string out;
  const std::string& type = filter.type;
  const bool any = filter.anyActive;
  if ((type.empty() || type == "paths") && (!any || !filter.path.empty())) {
    writePaths(out, snap.paths, filter.path);
  }
  // Sluice has no forward destinations; MediaMTX prints the zero lines only on request.
  if (type == "forward_dests" && !any) {
    out += "# Forward destinations\nforward_dests 0\nforward_dests_outbound_bytes 0\n\n";
  }
  if (snap.rtspEnabled) {
    if ((type.empty() || type == "rtsp_conns") && (!any || !filter.rtspConn.empty())) {
      writeSection(out, rtspConnSection(), snap.rtspConns, filter.rtspConn, [](const RtspConnItem& c) {
        return tags({{"id", c.id}});
      });
    }
    if ((type.empty() || type == "rtsp_sessions") && (!any || !filter.rtspSession.empty())) {
      writeSection(out, rtspSessionSection(), snap.rtspSessions, filter.rtspSession,
                   [](const RtspSessionItem& s) { return sessionTags(s); });
    }
  }
  if (snap.rtspsEnabled) {
    if ((type.empty() || type == "rtsps_conns") && (!any || !filter.rtspsConn.empty())) {
      writeSection(out, rtspsConnSection(), snap.rtspsConns, filter.rtspsConn, [](const RtspConnItem& c) {
        return tags({{"id", c.id}});
      });
    }
    if ((type.empty() || type == "rtsps_sessions") && (!any || !filter.rtspsSession.empty())) {
      writeSection(out, rtspsSessionSection(), snap.rtspsSessions, filter.rtspsSession,
                   [](const RtspSessionItem& s) { return sessionTags(s); });
    }
  }
  if (snap.webrtcEnabled && (type.empty() || type == "webrtc_sessions") &&
      (!any || !filter.webrtcSession.empty())) {
    writeSection(out, webrtcSection(), snap.webrtcSessions, filter.webrtcSession,
                 [](const WebrtcSessionItem& s) { return sessionTags(s); });
  }
  if (type.empty() || type == "sluice") writeSluice(out, snap, filter);
  return out;
}

}  // namespace sluice::http
