#pragma once
// Shared by the control API, metrics and pprof tests: a fake application behind
// ControlApiBackend/MetricsBackend, and a real HttpServer on 127.0.0.1:0 whose
// io_context runs on its own thread.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "RawHttpClient.h"
#include "http/ControlApiBackend.h"
#include "http/HttpServer.h"
#include "http/MetricsBackend.h"

namespace sluice::http::testing {

inline WallTime wallTime(int64_t unixSeconds, int64_t millis = 0) {
  return WallTime(std::chrono::seconds(unixSeconds) + std::chrono::milliseconds(millis));
}

// 2026-08-22T10:00:00Z
constexpr int64_t kT0 = 1787392800;
constexpr const char* kSessionId = "1884e185-7b0d-4c35-9d2e-5a0a8b3c1f11";

inline PathItem readyCamPath() {
  PathItem cam;
  cam.name = "cam";
  cam.confName = "cam";
  cam.source = ApiPeer{"rtspSource", ""};
  cam.ready = true;
  cam.readyTime = wallTime(kT0, 123);
  cam.tracks = {
      ApiTrack{"H264",
               {{"width", int64_t{1920}},
                {"height", int64_t{1080}},
                {"profile", std::string("Main")},
                {"level", std::string("4.1")}}},
      ApiTrack{"G711", {{"muLaw", false}, {"sampleRate", int64_t{8000}}, {"channelCount", int64_t{1}}}}};
  cam.readers = {ApiPeer{"webRTCSession", kSessionId}};
  cam.inboundBytes = 123456;
  cam.outboundBytes = 654321;
  cam.inboundFramesInError = 2;
  return cam;
}

inline WebrtcSessionItem camSession() {
  WebrtcSessionItem s;
  s.id = kSessionId;
  s.created = wallTime(kT0 + 5);
  s.remoteAddr = "192.168.0.55:32342";
  s.peerConnectionEstablished = true;
  s.localCandidate = "host/udp/192.168.1.74/8189";
  s.remoteCandidate = "prflx/udp/192.168.0.55/48883";
  s.path = "cam";
  s.query = "controls=0";
  s.userAgent = "Mozilla/5.0";
  s.inboundRtcpPackets = 12;
  s.outboundBytes = 469706375;
  s.outboundRtpPackets = 380000;
  s.outboundRtcpPackets = 300;
  s.outboundFramesDiscarded = 7;
  s.inboundRtpPacketsJitter = 0.5;
  return s;
}

class FakeBackend : public ControlApiBackend, public MetricsBackend {
 public:
  // Settings: tests change them before sending requests (or under `mutex`).
  std::mutex mutex;
  std::vector<PathItem> pathItems;
  std::vector<WebrtcSessionItem> sessions;
  bool webrtcOn = true;
  bool rtspOn = true;
  bool rtspsOn = false;  // an RTSPS listener (rtspEncryption strict/optional)
  std::vector<RtspConnItem> rtspsConnItems;
  std::vector<RtspSessionItem> rtspsSessionItems;
  std::string globalJson = R"({"logLevel":"info","api":true,"apiAddress":":9997"})";
  std::string pathDefaultsJson = R"({"source":"publisher","sourceOnDemand":false})";
  std::map<std::string, std::string> pathConfs{{"cam", R"({"name":"cam","source":"rtsp://10.0.0.1/s"})"},
                                               {"floor/1", R"({"name":"floor/1","source":"publisher"})"}};
  int patchStatus = 200;
  std::string patchError;
  SluiceCounters counters;

  // Observations.
  std::vector<std::string> calls;  // "patchGlobal <json>", "add <name> <json>", "kick <id>", ...

  ApiInfo info() override { return {"v1.20.1", wallTime(kT0, 123)}; }

  std::string configGlobalJson() override { return globalJson; }
  int patchConfigGlobal(const std::string& json, std::string& error) override {
    return record("patchGlobal " + json, error);
  }
  std::string configPathDefaultsJson() override { return pathDefaultsJson; }
  int patchConfigPathDefaults(const std::string& json, std::string& error) override {
    return record("patchDefaults " + json, error);
  }
  std::string configPathsJson() override {
    std::string out = "[";
    // Reverse order on purpose: the routes must sort by name.
    for (auto it = pathConfs.rbegin(); it != pathConfs.rend(); ++it) {
      if (out.size() > 1) out += ",";
      out += it->second;
    }
    return out + "]";
  }
  std::optional<std::string> configPathJson(const std::string& name) override {
    auto it = pathConfs.find(name);
    if (it == pathConfs.end()) return std::nullopt;
    return it->second;
  }
  int addConfigPath(const std::string& name, const std::string& json, std::string& error) override {
    if (pathConfs.count(name)) {
      error = "path '" + name + "' already exists";
      calls.push_back("add " + name + " " + json);
      return 400;
    }
    return record("add " + name + " " + json, error);
  }
  int patchConfigPath(const std::string& name, const std::string& json, std::string& error) override {
    if (!pathConfs.count(name)) return notFound("patch " + name, error);
    return record("patch " + name + " " + json, error);
  }
  int replaceConfigPath(const std::string& name, const std::string& json, std::string& error) override {
    return record("replace " + name + " " + json, error);
  }
  int deleteConfigPath(const std::string& name, std::string& error) override {
    if (!pathConfs.count(name)) return notFound("delete " + name, error);
    return record("delete " + name, error);
  }

  std::vector<PathItem> paths() override { return pathItems; }
  bool webrtcEnabled() override { return webrtcOn; }
  std::vector<WebrtcSessionItem> webrtcSessions() override { return sessions; }
  int kickWebrtcSession(const std::string& id, std::string& error) override {
    calls.push_back("kick " + id);
    for (const auto& s : sessions) {
      if (s.id == id) return 200;
    }
    error = "session not found";
    return 404;
  }
  bool rtspEnabled() override { return rtspOn; }
  bool rtspsEnabled() override { return rtspsOn; }
  std::vector<RtspConnItem> rtspsConns() override { return rtspsConnItems; }
  std::vector<RtspSessionItem> rtspsSessions() override { return rtspsSessionItems; }
  int kickRtspsSession(const std::string& id, std::string& error) override {
    calls.push_back("kick rtsps " + id);
    for (const auto& s : rtspsSessionItems) {
      if (s.id == id) return 200;
    }
    error = "session not found";
    return 404;
  }

  SluiceCounters sluiceCounters() override { return counters; }

 private:
  int record(std::string call, std::string& error) {
    calls.push_back(std::move(call));
    error = patchError;
    return patchStatus;
  }
  int notFound(std::string call, std::string& error) {
    calls.push_back(std::move(call));
    return 404;  // no message: the routes supply MediaMTX's
  }
};

// A started HttpServer on 127.0.0.1:<ephemeral> serving `handler`.
class TestServer {
 public:
  explicit TestServer(HttpHandler handler, HttpServerOptions options = {}) {
    options.address = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(io_, options, std::move(handler));
    std::string error;
    started_ = server_->start(error);
    error_ = error;
    port_ = server_->boundPort();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    onIo([this] { server_->stop(); });
    guard_.reset();
    io_.stop();
    thread_.join();
    server_.reset();
  }

  bool started() const { return started_; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  boost::asio::io_context& io() { return io_; }

  template <class F>
  void onIo(F f) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  RawResponse request(std::string_view method, std::string_view target,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::string_view body = {}, int timeoutMs = 5000) {
    RawHttpClient client(port_);
    client.send(buildRequest(method, target, std::move(headers), body));
    return client.read(method == "HEAD", timeoutMs);
  }
  RawResponse get(std::string_view target) { return request("GET", target); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  bool started_ = false;
  std::string error_;
};

// Runs a handler directly (no socket) with a chosen remote address; returns the answer.
template <class Routes>
HttpResponse callRoutes(Routes& routes, std::string method, std::string target, std::string remoteAddress,
                        std::string body = {}) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = target;
  const size_t q = target.find('?');
  request.path = target.substr(0, q);
  request.query = q == std::string::npos ? "" : target.substr(q + 1);
  request.body = std::move(body);
  request.remoteAddress = std::move(remoteAddress);
  HttpResponse out;
  out.status = 0;
  routes.handle(request, HttpResponder([&out](HttpResponse r) { out = std::move(r); }));
  return out;
}

}  // namespace sluice::http::testing
