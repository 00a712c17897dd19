#include "load/LoadReport.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sluice::load {
namespace {

using nlohmann::json;

// Linear interpolation between closest ranks (numpy's default), as bench/lib recomputes
// the TTFF percentiles from per_session when it merges two load clients.
std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double k = (static_cast<double>(values.size()) - 1) * p / 100.0;
  const size_t lo = static_cast<size_t>(std::floor(k));
  const size_t hi = static_cast<size_t>(std::ceil(k));
  return values[lo] + (values[hi] - values[lo]) * (k - static_cast<double>(lo));
}

json number(std::optional<double> v, int decimals = 3) {
  if (!v) return nullptr;
  const double scale = std::pow(10.0, decimals);
  return std::round(*v * scale) / scale;
}

json msOf(const LatencyHistogram& h, double p) {
  if (h.count() == 0) return nullptr;
  return number(h.percentileUs(p) / 1000.0);
}

struct Totals {
  uint64_t packets = 0, bytes = 0, verified = 0, lost = 0, nacksSent = 0, nackedPackets = 0, nackRequests = 0,
           plisSent = 0, retransmissions = 0, reordered = 0, duplicates = 0, authFailures = 0,
           discontinuities = 0;
  uint64_t audioPackets = 0, audioBytes = 0, audioLost = 0, audioDuplicates = 0, audioSenderReports = 0;
  size_t connected = 0, receiving = 0, failed = 0, audioAnswered = 0, audioReceiving = 0;
  std::vector<double> ttff, connect;
  LatencyHistogram latency;
};

Totals totalsOf(const RunSummary& run) {
  Totals t;
  for (const auto& s : run.sessions) {
    t.packets += s.packets;
    t.bytes += s.bytes;
    t.verified += s.verified;
    t.lost += s.lost;
    t.nacksSent += s.nacksSent;
    t.nackedPackets += s.nackedPackets;
    t.nackRequests += s.nackRequests;
    t.plisSent += s.plisSent;
    t.retransmissions += s.retransmissions;
    t.reordered += s.reordered;
    t.duplicates += s.duplicates;
    t.authFailures += s.authFailures;
    t.discontinuities += s.discontinuities;
    t.audioPackets += s.audioPackets;
    t.audioBytes += s.audioBytes;
    t.audioLost += s.audioLost;
    t.audioDuplicates += s.audioDuplicates;
    t.audioSenderReports += s.audioSenderReports;
    if (!s.audioCodec.empty()) ++t.audioAnswered;
    if (s.audioPackets > 0) ++t.audioReceiving;
    if (s.connected) ++t.connected;
    if (s.packets > 0) ++t.receiving;
    if (!s.error.empty()) ++t.failed;
    if (s.ttffMs >= 0) t.ttff.push_back(s.ttffMs);
    if (s.connectMs >= 0) t.connect.push_back(s.connectMs);
    t.latency.merge(s.latency);
  }
  return t;
}

json sessionJson(const SessionResult& s) {
  return json{
      {"index", s.index},
      {"url", s.url},
      {"protocol", s.protocol},
      {"location", s.location},
      {"post_status", s.postStatus},
      {"delete_status", s.deleteStatus},
      {"connected", s.packets > 0},
      {"dtls_connected", s.connected},
      {"ice_lite", s.iceLite},
      {"dtls_role", s.dtlsRole},
      {"srtp_profile", s.srtpProfile},
      {"started_s", number(s.startedS)},
      {"duration_s", number(s.durationS)},
      {"connect_ms", s.connectMs >= 0 ? number(s.connectMs) : json(nullptr)},
      {"ttff_ms", s.ttffMs >= 0 ? number(s.ttffMs) : json(nullptr)},
      {"ice_requests_answered", s.iceRequestsAnswered},
      {"ice_rtt_ms", s.iceRttUs >= 0 ? number(s.iceRttUs / 1000.0) : json(nullptr)},
      {"packets", s.packets},
      {"bytes", s.bytes},
      {"verified", s.verified},
      {"lost", s.lost},
      {"nacks_sent", s.nacksSent},
      {"nacked_packets", s.nackedPackets},
      {"nack_requests", s.nackRequests},
      {"plis_sent", s.plisSent},
      {"retransmissions", s.retransmissions},
      {"late_decrypted", s.lateDecrypted},
      {"reordered", s.reordered},
      {"duplicates", s.duplicates},
      {"auth_failures", s.authFailures},
      {"discontinuities", s.discontinuities},
      {"keyframes", s.keyframes},
      {"rtcp_received", s.rtcpReceived},
      {"sender_reports", s.senderReports},
      {"receiver_reports_sent", s.receiverReportsSent},
      {"keepalives_sent", s.keepAlivesSent},
      {"latency_samples", s.latency.count()},
      {"latency_ms_p50", msOf(s.latency, 50)},
      {"latency_ms_p99", msOf(s.latency, 99)},
      {"video_codec", s.videoCodec},
      {"audio_codec", s.audioCodec.empty() ? json(nullptr) : json(s.audioCodec)},
      {"audio_packets", s.audioPackets},
      {"audio_bytes", s.audioBytes},
      {"audio_lost", s.audioLost},
      {"audio_duplicates", s.audioDuplicates},
      {"audio_sender_reports", s.audioSenderReports},
      {"error", s.error.empty() ? json(nullptr) : json(s.error)},
  };
}

}  // namespace

json toJson(const RunSummary& run) {
  const Totals t = totalsOf(run);
  const double secs = run.seconds > 0 ? run.seconds : 1;
  // Duplicates are not counted as packets, so every packet is a distinct sequence number.
  const double expected = static_cast<double>(t.packets + t.lost);
  const double audioExpected = static_cast<double>(t.audioPackets + t.audioLost);
  auto pct = [](uint64_t lost, double of) {
    return number(of > 0 ? 100.0 * static_cast<double>(lost) / of : 0.0, 4);
  };
  // packets/bytes/egress: every RTP packet the viewers got (video + audio); loss_pct, NACKs
  // and latency are the video's; `tracks` splits them.
  const uint64_t allPackets = t.packets + t.audioPackets, allBytes = t.bytes + t.audioBytes;
  json tracks{
      {"video", json{{"packets", t.packets},
                     {"bytes", t.bytes},
                     {"lost", t.lost},
                     {"loss_pct", pct(t.lost, expected)},
                     {"egress_mbps", number(static_cast<double>(t.bytes) * 8 / secs / 1e6)}}},
      {"audio", json{{"sessions_answered", t.audioAnswered},
                     {"sessions_receiving", t.audioReceiving},
                     {"packets", t.audioPackets},
                     {"bytes", t.audioBytes},
                     {"lost", t.audioLost},
                     {"loss_pct", pct(t.audioLost, audioExpected)},
                     {"duplicates", t.audioDuplicates},
                     {"sender_reports", t.audioSenderReports},
                     {"egress_mbps", number(static_cast<double>(t.audioBytes) * 8 / secs / 1e6)}}},
  };
  json doc{
      {"tool", "sluice-load"},
      {"urls", run.options.urls},
      {"sessions", run.sessions.size()},
      {"sessions_requested", run.options.sessions},
      {"sessions_connected", t.receiving},
      {"sessions_dtls_connected", t.connected},
      {"sessions_failed", t.failed},
      {"seconds", number(run.seconds)},
      {"packets", allPackets},
      {"bytes", allBytes},
      {"egress_mbps", number(static_cast<double>(allBytes) * 8 / secs / 1e6)},
      {"egress_pps", number(static_cast<double>(allPackets) / secs, 1)},
      {"loss_pct", pct(t.lost, expected)},
      {"tracks", std::move(tracks)},
      {"lost", t.lost},
      {"nacks_sent", t.nacksSent},
      {"nacked_packets", t.nackedPackets},
      {"nack_requests", t.nackRequests},
      {"retransmissions", t.retransmissions},
      {"reordered", t.reordered},
      {"duplicates", t.duplicates},
      {"plis_sent", t.plisSent},
      {"auth_failures", t.authFailures},
      {"discontinuities", t.discontinuities},
      {"verified_packets", t.verified},
      {"sample", run.options.sample},
      {"ttff_ms_p50", number(percentile(t.ttff, 50))},
      {"ttff_ms_p95", number(percentile(t.ttff, 95))},
      {"connect_ms_p50", number(percentile(t.connect, 50))},
      {"connect_ms_p95", number(percentile(t.connect, 95))},
      {"latency_ms_p50", msOf(t.latency, 50)},
      {"latency_ms_p99", msOf(t.latency, 99)},
      {"latency_samples", t.latency.count()},
      {"latency_negative_samples", t.latency.negatives()},
      {"threads", run.options.threads},
      {"cpu_seconds", number(run.cpuSeconds)},
      {"worker_cpu_seconds", number(run.workerCpuSeconds)},
      // Data-plane efficiency: packets handled per second of data-plane CPU.
      {"packets_per_cpu_second", run.workerCpuSeconds > 0
                                     ? number(static_cast<double>(allPackets) / run.workerCpuSeconds, 0)
                                     : json(nullptr)},
  };
  json perSession = json::array();
  for (const auto& s : run.sessions) perSession.push_back(sessionJson(s));
  doc["per_session"] = std::move(perSession);
  return doc;
}

std::string summaryLine(const RunSummary& run) {
  const Totals t = totalsOf(run);
  const double secs = run.seconds > 0 ? run.seconds : 1;
  auto ms = [](std::optional<double> v) { return v ? fmt::format("{:.1f}", *v) : std::string("-"); };
  auto lat = [&](double p) {
    return t.latency.count() ? fmt::format("{:.2f}", t.latency.percentileUs(p) / 1000.0) : std::string("-");
  };
  // Duplicates are not counted as packets, so every packet is a distinct sequence number.
  const double expected = static_cast<double>(t.packets + t.lost);
  return fmt::format(
      "sluice-load: {}/{} sessions received media in {:.1f} s: {} video packets ({:.0f} pps, {:.2f} Mbit/s), "
      "loss {:.3f}% ({} lost, {} NACKed, {} retransmitted, {} NACK / {} PLI sent), "
      "ttff p50 {} ms p95 {} ms, latency p50 {} ms p99 {} ms, {} pkt/s per data-plane core{}",
      t.receiving, run.sessions.size(), run.seconds, t.packets, static_cast<double>(t.packets) / secs,
      static_cast<double>(t.bytes) * 8 / secs / 1e6,
      expected > 0 ? 100.0 * static_cast<double>(t.lost) / expected : 0.0, t.lost, t.nackedPackets,
      t.retransmissions, t.nacksSent, t.plisSent, ms(percentile(t.ttff, 50)), ms(percentile(t.ttff, 95)),
      lat(50), lat(99),
      run.workerCpuSeconds > 0 ? fmt::format("{:.0f}", static_cast<double>(t.packets) / run.workerCpuSeconds)
                               : std::string("-"),
      t.audioAnswered == 0 ? std::string()
                           : fmt::format("; audio: {}/{} sessions, {} packets, {} lost", t.audioReceiving,
                                         t.audioAnswered, t.audioPackets, t.audioLost));
}

}  // namespace sluice::load
