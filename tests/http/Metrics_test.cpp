// /metrics over a real HttpServer: MediaMTX's exact text for a fake path with a fake
// WebRTC reader, its zero lines, its filters, and Sluice's own families.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "ApiTestSupport.h"
#include "http/MetricsRoutes.h"
#include "http/MetricsText.h"
#include "http/ProcStats.h"

using namespace sluice::http;
using namespace sluice::http::testing;

namespace {

const std::string kSessionTags =
    R"({id="1884e185-7b0d-4c35-9d2e-5a0a8b3c1f11",path="cam",remoteAddr="192.168.0.55:32342",state="read"})";

const std::string kPathsSection =
    "# Paths\n"
    "paths{name=\"cam\",state=\"ready\"} 1\n"
    "paths_readers{name=\"cam\",readerType=\"webRTCSession\",state=\"ready\"} 1\n"
    "paths_inbound_bytes{name=\"cam\",state=\"ready\"} 123456\n"
    "paths_outbound_bytes{name=\"cam\",state=\"ready\"} 654321\n"
    "paths_inbound_frames_in_error{name=\"cam\",state=\"ready\"} 2\n"
    "\n"
    "# Paths (deprecated)\n"
    "paths_bytes_received{name=\"cam\",state=\"ready\"} 123456\n"
    "paths_bytes_sent{name=\"cam\",state=\"ready\"} 654321\n"
    "\n";

const std::string kRtspZero =
    "# RTSP connections\n"
    "rtsp_conns 0\n"
    "rtsp_conns_inbound_bytes 0\n"
    "rtsp_conns_outbound_bytes 0\n"
    "\n"
    "# RTSP connections (deprecated)\n"
    "rtsp_conns_bytes_received 0\n"
    "rtsp_conns_bytes_sent 0\n"
    "\n"
    "# RTSP sessions\n"
    "rtsp_sessions 0\n"
    "rtsp_sessions_inbound_bytes 0\n"
    "rtsp_sessions_inbound_rtp_packets 0\n"
    "rtsp_sessions_inbound_rtp_packets_lost 0\n"
    "rtsp_sessions_inbound_rtp_packets_in_error 0\n"
    "rtsp_sessions_inbound_rtp_packets_jitter 0\n"
    "rtsp_sessions_inbound_rtcp_packets 0\n"
    "rtsp_sessions_inbound_rtcp_packets_in_error 0\n"
    "rtsp_sessions_outbound_bytes 0\n"
    "rtsp_sessions_outbound_rtp_packets 0\n"
    "rtsp_sessions_outbound_rtp_packets_reported_lost 0\n"
    "rtsp_sessions_outbound_rtp_packets_discarded 0\n"
    "rtsp_sessions_outbound_rtcp_packets 0\n"
    "\n"
    "# RTSP sessions (deprecated)\n"
    "rtsp_sessions_bytes_received 0\n"
    "rtsp_sessions_bytes_sent 0\n"
    "rtsp_sessions_rtp_packets_received 0\n"
    "rtsp_sessions_rtp_packets_sent 0\n"
    "rtsp_sessions_rtp_packets_lost 0\n"
    "rtsp_sessions_rtp_packets_in_error 0\n"
    "rtsp_sessions_rtp_packets_jitter 0\n"
    "rtsp_sessions_rtcp_packets_received 0\n"
    "rtsp_sessions_rtcp_packets_sent 0\n"
    "rtsp_sessions_rtcp_packets_in_error 0\n"
    "\n";

const std::string kWebrtcSection =
    "# WebRTC sessions\n"
    "webrtc_sessions" +
    kSessionTags +
    " 1\n"
    "webrtc_sessions_inbound_bytes" +
    kSessionTags +
    " 0\n"
    "webrtc_sessions_inbound_rtp_packets" +
    kSessionTags +
    " 0\n"
    "webrtc_sessions_inbound_rtp_packets_lost" +
    kSessionTags +
    " 0\n"
    "webrtc_sessions_inbound_rtp_packets_jitter" +
    kSessionTags +
    " 0.5\n"
    "webrtc_sessions_inbound_rtcp_packets" +
    kSessionTags +
    " 12\n"
    "webrtc_sessions_outbound_bytes" +
    kSessionTags +
    " 469706375\n"
    "webrtc_sessions_outbound_rtp_packets" +
    kSessionTags +
    " 380000\n"
    "webrtc_sessions_outbound_rtcp_packets" +
    kSessionTags +
    " 300\n"
    "webrtc_sessions_outbound_frames_discarded" +
    kSessionTags +
    " 7\n"
    "\n"
    "# WebRTC sessions (deprecated)\n"
    "webrtc_sessions_bytes_received" +
    kSessionTags +
    " 0\n"
    "webrtc_sessions_bytes_sent" +
    kSessionTags +
    " 469706375\n"
    "webrtc_sessions_rtp_packets_received" +
    kSessionTags +
    " 0\n"
    "webrtc_sessions_rtp_packets_sent" +
    kSessionTags +
    " 380000\n"
    "webrtc_sessions_rtp_packets_lost" +
    kSessionTags +
    " 0\n"
    "webrtc_sessions_rtp_packets_jitter" +
    kSessionTags +
    " 0.5\n"
    "webrtc_sessions_rtcp_packets_received" +
    kSessionTags +
    " 12\n"
    "webrtc_sessions_rtcp_packets_sent" +
    kSessionTags +
    " 300\n"
    "\n";

const std::string kWebrtcZero =
    "# WebRTC sessions\n"
    "webrtc_sessions 0\n"
    "webrtc_sessions_inbound_bytes 0\n"
    "webrtc_sessions_inbound_rtp_packets 0\n"
    "webrtc_sessions_inbound_rtp_packets_lost 0\n"
    "webrtc_sessions_inbound_rtp_packets_jitter 0\n"
    "webrtc_sessions_inbound_rtcp_packets 0\n"
    "webrtc_sessions_outbound_bytes 0\n"
    "webrtc_sessions_outbound_rtp_packets 0\n"
    "webrtc_sessions_outbound_rtcp_packets 0\n"
    "webrtc_sessions_outbound_frames_discarded 0\n"
    "\n"
    "# WebRTC sessions (deprecated)\n"
    "webrtc_sessions_bytes_received 0\n"
    "webrtc_sessions_bytes_sent 0\n"
    "webrtc_sessions_rtp_packets_received 0\n"
    "webrtc_sessions_rtp_packets_sent 0\n"
    "webrtc_sessions_rtp_packets_lost 0\n"
    "webrtc_sessions_rtp_packets_jitter 0\n"
    "webrtc_sessions_rtcp_packets_received 0\n"
    "webrtc_sessions_rtcp_packets_sent 0\n"
    "\n";

// Everything before Sluice's own section (whose process figures vary).
std::string mediaMtxPart(const std::string& text) { return text.substr(0, text.find("# Sluice\n")); }

std::string sluicePart(const std::string& text) {
  const size_t at = text.find("# Sluice\n");
  return at == std::string::npos ? "" : text.substr(at);
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.pathItems = {readyCamPath()};
    backend_.sessions = {camSession()};
    backend_.counters.paths = {{"cam", 5, 2}};
    backend_.counters.egressBatches = 40;
    backend_.counters.egressPackets = 900;
    ASSERT_TRUE(server_.started()) << server_.error();
  }

  std::string metrics(const std::string& query = "") {
    RawResponse r = server_.get("/metrics" + query);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.status, 200) << query;
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
    return r.body;
  }

  FakeBackend backend_;
  MetricsRoutes routes_{backend_, &backend_};
  TestServer server_{routes_.handler()};
};

TEST_F(MetricsTest, ExactMediaMtxLinesForPathWithWebrtcReader) {
  const std::string text = metrics();
  EXPECT_EQ(mediaMtxPart(text), kPathsSection + kRtspZero + kWebrtcSection);
}

TEST_F(MetricsTest, ZeroLinesWhenEmpty) {
  backend_.pathItems.clear();
  backend_.sessions.clear();
  const std::string text = metrics();
  EXPECT_EQ(
      mediaMtxPart(text),
      "# Paths\npaths 0\npaths_inbound_bytes 0\npaths_outbound_bytes 0\npaths_inbound_frames_in_error 0\n\n"
      "# Paths (deprecated)\npaths_bytes_received 0\npaths_bytes_sent 0\npaths_readers 0\n\n" +
          kRtspZero + kWebrtcZero);
}

TEST_F(MetricsTest, PathWithoutReadersHasEmptyReaderTypeLine) {
  PathItem idle;
  idle.name = "idle";
  backend_.pathItems = {idle};
  const std::string text = metrics("?type=paths");
  EXPECT_EQ(text,
            "# Paths\n"
            "paths{name=\"idle\",state=\"notReady\"} 1\n"
            "paths_readers{name=\"idle\",readerType=\"\",state=\"notReady\"} 0\n"
            "paths_inbound_bytes{name=\"idle\",state=\"notReady\"} 0\n"
            "paths_outbound_bytes{name=\"idle\",state=\"notReady\"} 0\n"
            "paths_inbound_frames_in_error{name=\"idle\",state=\"notReady\"} 0\n\n"
            "# Paths (deprecated)\n"
            "paths_bytes_received{name=\"idle\",state=\"notReady\"} 0\n"
            "paths_bytes_sent{name=\"idle\",state=\"notReady\"} 0\n\n");
}

TEST_F(MetricsTest, ReadersAreCountedPerType) {
  PathItem cam = readyCamPath();
  cam.readers = {{"webRTCSession", "a"}, {"rtspSession", "b"}, {"webRTCSession", "c"}};
  backend_.pathItems = {cam};
  const std::string text = metrics("?type=paths");
  EXPECT_NE(text.find("paths_readers{name=\"cam\",readerType=\"rtspSession\",state=\"ready\"} 1\n"
                      "paths_readers{name=\"cam\",readerType=\"webRTCSession\",state=\"ready\"} 2\n"),
            std::string::npos)
      << text;
}

TEST_F(MetricsTest, TypeFilter) {
  EXPECT_EQ(metrics("?type=paths"), kPathsSection);
  EXPECT_EQ(metrics("?type=webrtc_sessions"), kWebrtcSection);
  EXPECT_EQ(metrics("?type=rtsp_conns"), kRtspZero.substr(0, kRtspZero.find("# RTSP sessions")));
  EXPECT_EQ(metrics("?type=forward_dests"),
            "# Forward destinations\nforward_dests 0\nforward_dests_outbound_bytes 0\n\n");
  EXPECT_EQ(metrics("?type=hls_muxers"), "");  // a server Sluice doesn't have
  EXPECT_EQ(metrics("?type=nonsense"), "");
  EXPECT_EQ(mediaMtxPart(metrics("?type=sluice")), "");
  EXPECT_NE(metrics("?type=sluice").find("sluice_egress_batches_total 40\n"), std::string::npos);
}

TEST_F(MetricsTest, RtspsSectionsOnlyWithAnRtspsListener) {
  EXPECT_EQ(metrics("").find("rtsps_"), std::string::npos);
  backend_.rtspsOn = true;
  RtspSessionItem s;
  s.id = kSessionId;
  s.path = "cam";
  s.remoteAddr = "127.0.0.1:5000";
  s.state = "read";
  s.outboundBytes = 99;
  backend_.rtspsSessionItems = {s};
  const std::string text = metrics("?type=rtsps_sessions");
  const std::string tags =
      std::string("{id=\"") + kSessionId + "\",path=\"cam\",remoteAddr=\"127.0.0.1:5000\",state=\"read\"}";
  EXPECT_EQ(text.rfind("# RTSPS sessions\nrtsps_sessions" + tags + " 1\n", 0), 0u) << text;
  EXPECT_NE(text.find("rtsps_sessions_outbound_bytes" + tags + " 99\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# RTSPS sessions (deprecated)\nrtsps_sessions_bytes_received" + tags + " 0\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("rtsp_"), std::string::npos) << text;
  // No connections: MediaMTX's unlabeled zero lines.
  EXPECT_EQ(
      metrics("?type=rtsps_conns"),
      "# RTSPS connections\nrtsps_conns 0\nrtsps_conns_inbound_bytes 0\nrtsps_conns_outbound_bytes 0\n\n"
      "# RTSPS connections (deprecated)\nrtsps_conns_bytes_received 0\nrtsps_conns_bytes_sent 0\n\n");
  // ?rtsps_session= shows that session alone.
  const std::string one = metrics(std::string("?rtsps_session=") + kSessionId);
  EXPECT_EQ(one.rfind("# RTSPS sessions\n", 0), 0u) << one;
  EXPECT_EQ(one.find("# Paths"), std::string::npos) << one;
}

TEST_F(MetricsTest, ItemFilters) {
  PathItem other;
  other.name = "other";
  backend_.pathItems.push_back(other);
  backend_.counters.paths.push_back({"other", 1, 1});
  // ?path= keeps only that path's lines (and Sluice's per-path counters for it).
  const std::string cam = metrics("?path=cam");
  EXPECT_EQ(mediaMtxPart(cam), kPathsSection);
  EXPECT_EQ(sluicePart(cam),
            "# Sluice\n"
            "# TYPE sluice_path_nacks_answered_total counter\n"
            "sluice_path_nacks_answered_total{name=\"cam\"} 5\n"
            "# TYPE sluice_path_packets_dropped_slow_viewers_total counter\n"
            "sluice_path_packets_dropped_slow_viewers_total{name=\"cam\"} 2\n\n");
  // A path filter that matches nothing still prints MediaMTX's headers.
  EXPECT_EQ(metrics("?path=none"), "# Paths\n\n# Paths (deprecated)\n\n");
  EXPECT_EQ(metrics(std::string("?webrtc_session=") + kSessionId), kWebrtcSection);
  EXPECT_EQ(metrics("?webrtc_session=00000000-0000-4000-8000-000000000000"),
            "# WebRTC sessions\n\n# WebRTC sessions (deprecated)\n\n");
  // A filter for an empty section prints nothing at all (no zero lines).
  EXPECT_EQ(metrics("?rtsp_session=x"), "");
  EXPECT_EQ(metrics("?srt_conn=x"), "");
  EXPECT_EQ(metrics("?type=paths&webrtc_session=x"), "");
}

TEST_F(MetricsTest, SluiceFamilies) {
  const std::string text = sluicePart(metrics());
  ASSERT_FALSE(text.empty());
  std::istringstream lines(text);
  std::string line;
  std::map<std::string, double> values;
  const std::regex sample(R"(^([a-z_]+)(\{[^}]*\})? ([0-9.]+)$)");
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
    values[m[1].str() + m[2].str()] = std::stod(m[3].str());
  }
  EXPECT_GT(values["sluice_process_resident_memory_bytes"], 1e5);
  EXPECT_GT(values["sluice_process_virtual_memory_bytes"], values["sluice_process_resident_memory_bytes"]);
  EXPECT_GE(values["sluice_process_threads"], 2);  // main + the server's io thread
  EXPECT_GE(values["sluice_process_open_fds"], 3);
  EXPECT_TRUE(values.count("sluice_process_cpu_seconds_total"));
  EXPECT_EQ(values["sluice_egress_batches_total"], 40);
  EXPECT_EQ(values["sluice_egress_packets_total"], 900);
  EXPECT_EQ(values["sluice_path_nacks_answered_total{name=\"cam\"}"], 5);
  EXPECT_EQ(values["sluice_path_packets_dropped_slow_viewers_total{name=\"cam\"}"], 2);
  EXPECT_NE(text.find("# TYPE sluice_process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE sluice_process_threads gauge\n"), std::string::npos);
}

TEST_F(MetricsTest, ExtraSamplesAndLabelEscaping) {
  backend_.counters.extra = {{"sluice_keyframe_cache_hits_total", {{"path", "a\"b"}}, 3, true},
                             {"sluice_keyframe_cache_hits_total", {{"path", "c"}}, 4, true},
                             {"sluice_workers", {}, 8, false}};
  PathItem odd;
  odd.name = "we\"ird\\name\n";
  backend_.pathItems = {odd};
  const std::string text = metrics();
  EXPECT_NE(text.find("# TYPE sluice_keyframe_cache_hits_total counter\n"
                      "sluice_keyframe_cache_hits_total{path=\"a\\\"b\"} 3\n"
                      "sluice_keyframe_cache_hits_total{path=\"c\"} 4\n"
                      "# TYPE sluice_workers gauge\nsluice_workers 8\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("paths{name=\"we\\\"ird\\\\name\\n\",state=\"notReady\"} 1\n"), std::string::npos)
      << text;
}

TEST_F(MetricsTest, RoutesMethodsAndDisabledServers) {
  EXPECT_EQ(server_.get("/other").status, 404);
  EXPECT_EQ(server_.get("/metrics/").status, 404);
  RawResponse post = server_.request("POST", "/metrics", {}, "");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("Allow"), "GET, HEAD");
  RawResponse pre = server_.request("OPTIONS", "/metrics", {{"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("Access-Control-Allow-Methods"), "OPTIONS, GET");
  EXPECT_EQ(pre.header("Access-Control-Allow-Headers"), "Authorization");
  // Servers that are off have no section at all, as in MediaMTX.
  backend_.rtspOn = false;
  backend_.webrtcOn = false;
  EXPECT_EQ(mediaMtxPart(metrics()), kPathsSection);
}

TEST(MetricsGate, NonLoopbackGets401) {
  FakeBackend backend;
  MetricsRoutes routes(backend, nullptr);
  HttpResponse r = callRoutes(routes, "GET", "/metrics", "198.51.100.7:1234");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"mediamtx\"");
  EXPECT_EQ(callRoutes(routes, "GET", "/metrics", "127.0.0.1:1234").status, 200);
  std::string action;
  MetricsRoutes custom(backend, nullptr,
                       [&](const HttpRequest&, std::string_view a, std::string_view, AccessDone done) {
                         action = a;
                         done({AccessVerdict::Allowed, {}});
                       });
  EXPECT_EQ(callRoutes(custom, "GET", "/metrics", "198.51.100.7:1234").status, 200);
  EXPECT_EQ(action, "metrics");
}

TEST(MetricsText, FloatsLikeGo) {
  EXPECT_EQ(formatMetricFloat(0), "0");
  EXPECT_EQ(formatMetricFloat(-0.0), "0");
  EXPECT_EQ(formatMetricFloat(0.5), "0.5");
  EXPECT_EQ(formatMetricFloat(0.1), "0.1");
  EXPECT_EQ(formatMetricFloat(12345.678), "12345.678");
  EXPECT_EQ(formatMetricFloat(1e21), "1000000000000000000000");
}

TEST(ProcStat, ParsesCommWithSpacesAndParens) {
  const std::string line =
      "4242 (sl (uice) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 12345 104857600 2560 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
  ProcStat stat;
  ASSERT_TRUE(parseProcStat(line, stat));
  EXPECT_EQ(stat.pid, 4242);
  EXPECT_EQ(stat.comm, "sl (uice) x");
  EXPECT_EQ(stat.state, 'S');
  EXPECT_EQ(stat.utimeTicks, 250u);
  EXPECT_EQ(stat.stimeTicks, 75u);
  EXPECT_EQ(stat.numThreads, 9);
  EXPECT_EQ(stat.startTimeTicks, 12345u);
  EXPECT_EQ(stat.vsizeBytes, 104857600u);
  EXPECT_EQ(stat.rssPages, 2560);
  EXPECT_FALSE(parseProcStat("", stat));
  EXPECT_FALSE(parseProcStat("12 (x) S 1 2", stat));
  EXPECT_FALSE(parseProcStat("x) S (1", stat));
}

}  // namespace
