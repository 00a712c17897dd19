#include "app/App.h"

#include <malloc.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <exception>

#include "app/ApiBackend.h"
#include "app/ConfigWatcher.h"
#include "app/Hooks.h"
#include "app/HttpAccess.h"
#include "app/RtspBridge.h"
#include "app/WhepBridge.h"
#include "core/Clock.h"
#include "core/HeapTrim.h"
#include "core/Log.h"
#include "core/ServiceWatchdog.h"
#include "core/SystemdNotify.h"
#include "core/TlsContext.h"
#include "core/UrlRedaction.h"
#include "http/ControlApiRoutes.h"
#include "http/MetricsRoutes.h"
#include "http/PprofRoutes.h"
#include "http/WebrtcRoutes.h"
#include "stream/HistoryChunkPool.h"

namespace sluice::app {

App::App(config::Config config, const core::SystemdNotifier* notifier)
    : config_(std::move(config)),
      pool_(static_cast<size_t>(config_.workerThreads),
            std::chrono::duration_cast<std::chrono::microseconds>(config_.workerBatchInterval)),
      signals_(control_, SIGINT, SIGTERM),
      hangup_(control_, SIGHUP),
      notifier_(notifier),
      hooks_(std::make_unique<Hooks>(control_)) {
  hooks_->setConfig(config_);
}

void App::notify(const std::string& state) {
  if (notifier_ && !notifier_->send(state)) log::warn("systemd notification '{}' could not be sent", state);
}

App::~App() {
  // A destructor must not throw; stop() only fails if memory runs out while shutting down.
  try {
    stop();
  } catch (const std::exception& e) {
    log::error("shutdown: {}", e.what());
  }
}

namespace {
// What a running path depends on: when this changes the path restarts, otherwise it is
// left alone (with its viewers) across a reload.
std::string pathSignature(const config::PathConfig& p, const config::Config& c) {
  return p.source + "|" + p.sourceFingerprint + "|" + std::to_string(static_cast<int>(p.rtspTransport)) +
         "|" + std::to_string(p.sourceOnDemand) + "|" + std::to_string(p.maxReaders) + "|" +
         std::to_string(p.rtspAnyPort) + "|" + std::to_string(c.readTimeout.count()) + "|" +
         std::to_string(c.writeTimeout.count()) + "|" + std::to_string(c.streamHistoryPackets) + "|" +
         std::to_string(p.alwaysAvailable) + "|" + std::to_string(p.alwaysAvailableTracks.size()) + "|" +
         p.alwaysAvailableFile + "|" + std::to_string(p.sourceOfflineGrace.count()) + "|" + p.runOnInit +
         "|" + std::to_string(p.runOnInitRestart) + "|" + p.runOnDemand + "|" +
         std::to_string(p.runOnDemandRestart) + "|" + std::to_string(p.runOnDemandStartTimeout.count()) +
         "|" + std::to_string(p.runOnDemandCloseAfter.count()) + "|" + p.runOnUnDemand + "|" + p.runOnOnline +
         "|" + std::to_string(p.runOnOnlineRestart) + "|" + p.runOnOffline + "|" + p.runOnAvailable + "|" +
         std::to_string(p.runOnAvailableRestart) + "|" + p.runOnUnavailable + "|" + p.runOnRead + "|" +
         std::to_string(p.runOnReadRestart) + "|" + p.runOnUnread;
}

// The keys of one HTTP listener ("WebRTC", "API", "metrics", "pprof").
struct ListenerKeys {
  const std::string& address;
  const std::vector<std::string>& allowOrigins;
  bool encryption;
  const std::string& serverKey;
  const std::string& serverCert;
  const std::vector<std::string>& trustedProxies;
};

ListenerKeys listenerKeys(const config::Config& c, std::string_view what) {
  if (what == "API") {
    return {c.apiAddress,   c.apiAllowOrigins, c.apiEncryption,
            c.apiServerKey, c.apiServerCert,   c.apiTrustedProxies};
  }
  if (what == "metrics") {
    return {c.metricsAddress,   c.metricsAllowOrigins, c.metricsEncryption,
            c.metricsServerKey, c.metricsServerCert,   c.metricsTrustedProxies};
  }
  if (what == "pprof") {
    return {c.pprofAddress,   c.pprofAllowOrigins, c.pprofEncryption,
            c.pprofServerKey, c.pprofServerCert,   c.pprofTrustedProxies};
  }
  return {c.webrtcAddress,   c.webrtcAllowOrigins, c.webrtcEncryption,
          c.webrtcServerKey, c.webrtcServerCert,   c.webrtcTrustedProxies};
}

http::HttpServerOptions listenerOptions(const config::Config& c, std::string_view what) {
  const ListenerKeys keys = listenerKeys(c, what);
  http::HttpServerOptions o;
  o.address = keys.address;
  o.allowOrigins = keys.allowOrigins;
  o.tls = keys.encryption;
  o.tlsKeyFile = keys.serverKey;
  o.tlsCertFile = keys.serverCert;
  o.trustedProxies = keys.trustedProxies;
  o.readTimeout = c.readTimeout;
  o.writeTimeout = c.writeTimeout;
  o.maxConnectionsPerClient = static_cast<size_t>(c.httpMaxConnectionsPerClient);
  return o;
}

}  // namespace

void App::addPath(const config::PathConfig& pc) {
  // A regular-expression path has no stream of its own: findOrCreatePath() makes one per
  // matching name when a reader asks for it.
  if (pc.regex) return;
  if (!pc.sourceSupported) {
    log::warn("[path {}] source '{}' is not supported yet; the path will stay not ready", pc.name,
              core::redactUrlPassword(pc.source));
  }
  paths_[pc.name] = std::make_unique<Path>(pc, pool_.next(), config_);
  // At start, runOnInit waits for the listeners (its command usually publishes to the RTSP one).
  if (listening_) hooks_->pathStarted(pc);
}

void App::reload(const std::string& why) {
  if (config_.sourceFile.empty()) {
    log::warn("configuration reload ({}) ignored: no configuration file was loaded", why);
    return;
  }
  notify(core::reloadingMessage());
  config::ConfigResult r = config::loadConfigFile(config_.sourceFile);
  if (!r.config) {
    log::error("configuration reload ({}) rejected, the running configuration stays: {}", why, r.error);
    // A rejected file may have cost a lot of memory (up to the loader's limits): give the freed
    // pages back to the system instead of keeping them in the heap.
    r = {};
    malloc_trim(0);
    notify("READY=1\nSTATUS=reload rejected, the running configuration stays");
    return;
  }
  for (auto& w : r.warnings) log::warn("{}", w);
  log::info("configuration reloaded ({})", why);
  applyConfig(std::move(*r.config));
  notify("READY=1\nSTATUS=serving " + std::to_string(paths_.size()) + " path(s)");
}

void App::applyConfig(config::Config next) {
  log::setLevel(next.logLevel);
  auto warnRestart = [&](const char* key, bool changed) {
    if (changed) log::warn("'{}' changed: it takes effect after a restart", key);
  };
  warnRestart("webrtc", next.webrtc != config_.webrtc);
  warnRestart("webrtcAddress", next.webrtcAddress != config_.webrtcAddress);
  warnRestart("webrtcLocalUDPAddress", next.webrtcLocalUDPAddress != config_.webrtcLocalUDPAddress);
  warnRestart("webrtcLocalTCPAddress", next.webrtcLocalTCPAddress != config_.webrtcLocalTCPAddress);
  warnRestart("webrtcAdditionalHosts", next.webrtcAdditionalHosts != config_.webrtcAdditionalHosts);
  warnRestart("rtsp", next.rtsp != config_.rtsp);
  warnRestart("rtspAddress", next.rtspAddress != config_.rtspAddress);
  warnRestart("rtspTransports", next.rtspTransports != config_.rtspTransports);
  warnRestart("rtspAuthMethods", next.rtspAuthMethods != config_.rtspAuthMethods);
  warnRestart("rtpAddress", next.rtpAddress != config_.rtpAddress);
  warnRestart("rtcpAddress", next.rtcpAddress != config_.rtcpAddress);
  warnRestart("multicastIPRange", next.multicastIPRange != config_.multicastIPRange);
  warnRestart("multicastRTPPort", next.multicastRTPPort != config_.multicastRTPPort);
  warnRestart("multicastRTCPPort", next.multicastRTCPPort != config_.multicastRTCPPort);
  warnRestart("rtspEncryption", next.rtspEncryption != config_.rtspEncryption);
  warnRestart("rtspsAddress", next.rtspsAddress != config_.rtspsAddress);
  warnRestart("rtspServerKey", next.rtspServerKey != config_.rtspServerKey);
  warnRestart("rtspServerCert", next.rtspServerCert != config_.rtspServerCert);
  warnRestart("writeQueueSize", next.writeQueueSize != config_.writeQueueSize);
  warnRestart("workerThreads", next.workerThreads != config_.workerThreads);
  warnRestart("workerBatchInterval", next.workerBatchInterval != config_.workerBatchInterval);
  warnRestart("httpMaxConnectionsPerClient",
              next.httpMaxConnectionsPerClient != config_.httpMaxConnectionsPerClient);
  warnRestart("webrtcMaxHandshakesPerClient",
              next.webrtcMaxHandshakesPerClient != config_.webrtcMaxHandshakesPerClient);
  warnRestart("webrtcMaxHandshakes", next.webrtcMaxHandshakes != config_.webrtcMaxHandshakes);
  for (const char* what : {"webrtc", "api", "metrics", "pprof"}) {
    const std::string_view name = what[0] == 'w' ? "WebRTC" : what[0] == 'a' ? "API" : what;
    const ListenerKeys now = listenerKeys(config_, name), then = listenerKeys(next, name);
    warnRestart(fmt::format("{}Encryption", what).c_str(), now.encryption != then.encryption);
    warnRestart(fmt::format("{}TrustedProxies", what).c_str(), now.trustedProxies != then.trustedProxies);
  }

  std::map<std::string, std::string> wanted;
  for (const auto& p : next.paths) {
    if (!p.regex) wanted[p.name] = pathSignature(p, next);
  }
  std::map<std::string, std::string> running;
  for (const auto& p : config_.paths) {
    if (!p.regex) running[p.name] = pathSignature(p, config_);
  }
  std::vector<std::string> toStop;
  for (auto& [name, path] : paths_) {
    auto w = wanted.find(name);
    if (w == wanted.end() || w->second != running[name]) toStop.push_back(name);
  }
  for (auto& name : toStop) {
    log::info("[path {}] {}", name, wanted.count(name) ? "configuration changed, restarting" : "removed");
    removePath(name);
  }
  config_ = std::move(next);
  reloadCertificates();
  access_.setUsers(std::make_shared<const auth::AuthManager>(auth::AuthManager::fromConfig(config_)));
  for (const auto& p : config_.paths) {
    if (p.regex || paths_.count(p.name)) continue;
    addPath(p);
    if (Path* added = findPath(p.name)) {
      if (!running.count(p.name)) log::info("[path {}] added", p.name);
      if (!p.sourceOnDemand) added->start();
    }
  }
}

void App::reloadCertificates() {
  auto reloadOne = [this](http::HttpServer& server, const std::string& what) {
    if (server.tlsFingerprint().empty()) return;  // a plain listener (encryption changes need a restart)
    const ListenerKeys keys = listenerKeys(config_, what);
    std::string error;
    const std::string before = server.tlsFingerprint();
    if (!server.reloadTls(keys.serverCert, keys.serverKey, error)) {
      log::error("[{}] new TLS certificate rejected, the running one stays: {}", what, error);
      return;
    }
    if (server.tlsFingerprint() != before) {
      log::info("[{}] TLS certificate reloaded (SHA-256 {})", what, server.tlsFingerprint());
    }
  };
  if (http_) reloadOne(*http_, "WebRTC");
  for (size_t i = 0; i < auxServers_.size(); ++i) reloadOne(*auxServers_[i], auxServerNames_[i]);
}

void App::waitHangup() {
  hangup_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    reload("SIGHUP");
    waitHangup();
  });
}

Path* App::findPath(const std::string& name) {
  auto it = paths_.find(name);
  return it == paths_.end() ? nullptr : it->second.get();
}

Path* App::findOrCreatePath(const std::string& name) {
  if (Path* p = findPath(name)) return p;
  std::vector<std::string> groups;
  const config::PathConfig* pc = config::findPath(config_, name, &groups);
  if (!pc || !pc->regex) return nullptr;
  config::PathConfig conf = *pc;
  conf.name = name;
  conf.regex = false;
  // MediaMTX's $G1..$G9 in the source of a regex path.
  for (size_t g = groups.size(); g-- > 1;) {
    std::string key = "$G" + std::to_string(g);
    for (size_t at = conf.source.find(key); at != std::string::npos; at = conf.source.find(key, at)) {
      conf.source.replace(at, key.size(), groups[g]);
      at += groups[g].size();
    }
  }
  log::info("[path {}] created from '{}'", name, pc->name);
  auto path = std::make_unique<Path>(conf, pool_.next(), config_, true);
  Path* raw = path.get();
  paths_[name] = std::move(path);
  hooks_->pathStarted(raw->conf());
  return raw;
}

void App::whenReady(const std::string& name, std::function<void(bool)> done, const std::string& query) {
  Path* path = findPath(name);
  if (!path) return done(false);
  const bool byCommand = !path->conf().sourceOnDemand && hooks_->demand(path->conf(), query);
  if (!byCommand && !path->running()) {
    log::info("[path {}] starting source on demand", name);
    path->start();
  }
  path->idleSince.reset();
  if (path->ready()) return done(true);
  auto deadline = std::chrono::steady_clock::now() + (byCommand ? path->conf().runOnDemandStartTimeout
                                                                : path->conf().sourceOnDemandStartTimeout);
  auto timer = std::make_shared<boost::asio::steady_timer>(control_);
  auto poll = std::make_shared<std::function<void()>>();
  *poll = [this, name, deadline, timer, poll, done = std::move(done)]() {
    Path* p = findPath(name);
    if (p && p->ready()) return done(true), void(*poll = nullptr);
    if (!p || std::chrono::steady_clock::now() >= deadline) return done(false), void(*poll = nullptr);
    timer->expires_after(std::chrono::milliseconds(50));
    timer->async_wait([poll](const boost::system::error_code& ec) {
      if (!ec && *poll) (*poll)();
    });
  };
  (*poll)();
}

size_t App::readerCount(const std::string& name) {
  size_t n = 0;
  if (webrtc_) {
    for (const auto& s : webrtc_->listSessions()) n += s.path == name;
  }
  for (rtsp::RtspServer* server : {rtsp_.get(), rtsps_.get()}) {
    if (!server) continue;
    for (const auto& c : server->connections()) n += c.state == "read" && c.path == name;
  }
  return n;
}

void App::postToControl(std::function<void()> fn) { boost::asio::post(control_, std::move(fn)); }

void App::scheduleHousekeeping() {
  housekeepingTimer_.expires_after(std::chrono::milliseconds(500));
  housekeepingTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    checkOnDemandPaths();
    // Here, not on a worker: a trim can take milliseconds (one madvise per free run of pages).
    core::trimHeapIfRequested(core::monotonicUs());
    trimHistoryChunks();
    scheduleHousekeeping();
  });
}

void App::trimHistoryChunks() {
  // A thread's pool gives its long-idle chunks back to the kernel only when asked on that
  // thread: every worker, and this thread (where removed paths' streams may end). A worker
  // trims in a handler of its own, between packets (one madvise per idle chunk, ≈ µs each).
  stream::HistoryChunkPool::local().trim(core::monotonicUs());
  for (size_t i = 0; i < pool_.size(); ++i) {
    boost::asio::post(pool_.at(i).io(), [] { stream::HistoryChunkPool::local().trim(core::monotonicUs()); });
  }
}

void App::removePath(const std::string& name) {
  auto it = paths_.find(name);
  if (it == paths_.end()) return;
  it->second->stop();
  hooks_->pathStopped(name);
  paths_.erase(it);
}

bool App::publishesOverTls(const std::string& sessionId) const {
  if (!rtsps_) return false;
  for (const auto& c : rtsps_->connections()) {
    if (c.sessionId == sessionId && c.state == "publish") return true;
  }
  return false;
}

void App::updateHooks() {
  // Listing sessions copies every session's figures under the WebRTC server's lock: done only
  // when a hook needs readers or connections.
  bool wantReaders = false;
  const bool wantConnections = !config_.runOnConnect.empty() || !config_.runOnDisconnect.empty();
  std::vector<Hooks::PathState> states;
  for (auto& [name, path] : paths_) {
    const config::PathConfig& pc = path->conf();
    wantReaders = wantReaders || !pc.runOnRead.empty() || !pc.runOnUnread.empty() || !pc.runOnDemand.empty();
    Hooks::PathState s;
    s.name = name;
    s.conf = &path->conf();
    s.available = path->ready();
    s.online = path->online();
    if (path->publisher) {
      s.sourceType = publishesOverTls(path->publisher->sessionId) ? "rtspsSession" : "rtspSession";
      s.sourceId = path->publisher->sessionId;
    } else if (path->sourceKind()) {
      s.sourceType = path->sourceKind();
    }
    states.push_back(std::move(s));
  }
  std::vector<Hooks::Reader> readers;
  std::vector<Hooks::Connection> connections;
  if (!wantReaders && !wantConnections) {
    hooks_->update(states, readers, connections);
    return;
  }
  if (webrtc_) {
    for (const auto& s : webrtc_->listSessions()) {
      readers.push_back({s.id, s.path, s.query, "webRTCSession"});
      connections.push_back({s.id, "webRTCSession"});
    }
  }
  for (rtsp::RtspServer* server : {rtsp_.get(), rtsps_.get()}) {
    if (!server) continue;
    const bool tls = server == rtsps_.get();
    for (const auto& c : server->connections()) {
      connections.push_back({c.id, tls ? "rtspsConn" : "rtspConn"});
      if (c.state == "read") {
        readers.push_back({c.sessionId.empty() ? c.id : c.sessionId, c.path, c.query,
                           tls ? "rtspsSession" : "rtspSession"});
      }
    }
  }
  hooks_->update(states, readers, connections);
}

void App::checkOnDemandPaths() {
  // Stops on-demand sources nobody has read for sourceOnDemandCloseAfter, as MediaMTX does.
  std::map<std::string, size_t> readers;
  if (webrtc_) {
    for (const auto& s : webrtc_->listSessions()) ++readers[s.path];
  }
  for (rtsp::RtspServer* server : {rtsp_.get(), rtsps_.get()}) {
    if (!server) continue;
    for (const auto& c : server->connections()) readers[c.path] += c.state == "read";
  }
  auto now = std::chrono::steady_clock::now();
  std::vector<std::string> remove;
  for (auto& [name, path] : paths_) {
    if (!path->conf().sourceOnDemand || !path->running()) continue;
    if (readers[name] > 0) {
      path->idleSince.reset();
      continue;
    }
    if (!path->idleSince) {
      path->idleSince = now;
      continue;
    }
    if (now - *path->idleSince < path->conf().sourceOnDemandCloseAfter) continue;
    log::info("[path {}] is not needed by anyone, stopping source", name);
    path->stop();
    path->idleSince.reset();
    if (path->dynamic()) remove.push_back(name);
  }
  for (auto& name : remove) {
    hooks_->pathStopped(name);
    paths_.erase(name);
  }
}

void App::scheduleHooksCheck() {
  // Often enough that a reader of a fraction of a second still gets its runOnRead and
  // runOnUnread; the report costs a listing of the sessions, on the control thread only.
  hooksTimer_.expires_after(std::chrono::milliseconds(100));
  hooksTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    updateHooks();
    scheduleHooksCheck();
  });
}

uint16_t App::httpPort() const { return http_ ? http_->boundPort() : 0; }

bool App::start(std::string& error) {
  // SIGPIPE would kill the process on a peer's reset; errors are handled per socket.
  std::signal(SIGPIPE, SIG_IGN);
  pool_.start();

  for (const config::PathConfig& pc : config_.paths) addPath(pc);

  if (config_.webrtc) {
    webrtc::WebrtcServerConfig wc;
    wc.localUdpAddress = config_.webrtcLocalUDPAddress;
    wc.localTcpAddress = config_.webrtcLocalTCPAddress;
    wc.ipsFromInterfaces = config_.webrtcIPsFromInterfaces;
    wc.ipsFromInterfacesList = config_.webrtcIPsFromInterfacesList;
    wc.additionalHosts = config_.webrtcAdditionalHosts;
    wc.handshakeTimeout = config_.webrtcHandshakeTimeout;
    wc.senderReportPeriod = config_.webrtcSenderReportPeriod;
    wc.udpReadBufferSize = config_.udpReadBufferSize;
    wc.maxHandshakesPerClient = static_cast<size_t>(config_.webrtcMaxHandshakesPerClient);
    wc.maxHandshakes = static_cast<size_t>(config_.webrtcMaxHandshakes);
    webrtc_ = std::make_unique<webrtc::WebrtcServer>(pool_, control_, wc);
    if (!webrtc_->start(error)) return false;

    bridge_ = std::make_unique<WhepBridge>(*this);
    auto routes =
        std::make_shared<http::WebrtcRoutes>(*bridge_, makeHttpAccessCheck(control_, access_, "WebRTC"));
    http_ = std::make_unique<http::HttpServer>(
        control_, listenerOptions(config_, "WebRTC"),
        [routes](const http::HttpRequest& req, http::HttpResponder respond) {
          routes->handle(req, std::move(respond));
        });
    if (!http_->start(error)) {
      error = "unable to listen on " + config_.webrtcAddress + ": " + error;
      return false;
    }
    log::info("[WebRTC] listener opened on {} ({}), {} (ICE/UDP)", config_.webrtcAddress,
              config_.webrtcEncryption ? "HTTPS" : "HTTP", config_.webrtcLocalUDPAddress);
  }

  if (config_.rtsp) {
    rtsp::RtspServerOptions ro;
    ro.address = config_.rtspAddress;
    ro.tcp = std::find(config_.rtspTransports.begin(), config_.rtspTransports.end(), "tcp") !=
             config_.rtspTransports.end();
    ro.udp = std::find(config_.rtspTransports.begin(), config_.rtspTransports.end(), "udp") !=
             config_.rtspTransports.end();
    ro.multicast = std::find(config_.rtspTransports.begin(), config_.rtspTransports.end(), "multicast") !=
                   config_.rtspTransports.end();
    {
      // multicastIPRange was checked at load ("a.b.c.d/n" inside 224.0.0.0/4).
      unsigned a = 0, b = 0, c = 0, d = 0, bits = 32;
      std::sscanf(config_.multicastIPRange.c_str(), "%u.%u.%u.%u/%u", &a, &b, &c, &d, &bits);
      const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
      ro.multicastOptions.firstGroup = ((a << 24) | (b << 16) | (c << 8) | d) & mask;
      ro.multicastOptions.groupCount = bits >= 32 ? 1 : uint32_t{1} << (32 - bits);
      ro.multicastOptions.rtpPort = static_cast<uint16_t>(config_.multicastRTPPort);
      ro.multicastOptions.rtcpPort = static_cast<uint16_t>(config_.multicastRTCPPort);
    }
    ro.authMethods.clear();
    for (const std::string& m : config_.rtspAuthMethods)
      ro.authMethods.push_back(m == "digest" ? rtsp::RtspAuthMethod::Digest : rtsp::RtspAuthMethod::Basic);
    ro.rtpAddress = config_.rtpAddress;
    ro.rtcpAddress = config_.rtcpAddress;
    ro.udpReadBufferSize = config_.udpReadBufferSize;
    ro.writeQueueSize = static_cast<size_t>(config_.writeQueueSize);
    ro.readTimeout = config_.readTimeout;
    ro.writeTimeout = config_.writeTimeout;
    rtspBridge_ = std::make_unique<RtspBridge>(*this);
    if (config_.rtspEncryption != config::RtspEncryption::No) {
      // RTSPS: the same server over TLS, media only interleaved in it (no UDP pair).
      rtsp::RtspServerOptions tlsOptions = ro;
      tlsOptions.address = config_.rtspsAddress;
      tlsOptions.udp = false;
      tlsOptions.multicast = false;
      tlsOptions.tls = core::TlsContext::load(config_.rtspServerCert, config_.rtspServerKey, error);
      if (!tlsOptions.tls) {
        error = "unable to open the RTSPS listener: " + error;
        return false;
      }
      const std::string fingerprint = tlsOptions.tls->fingerprint();
      rtsps_ = std::make_unique<rtsp::RtspServer>(control_, *rtspBridge_, std::move(tlsOptions));
      if (!rtsps_->start(error)) {
        error = "unable to open the RTSPS listener: " + error;
        return false;
      }
      log::info("[RTSPS] listener opened on {} (TCP/TLS, certificate SHA-256 {})", config_.rtspsAddress,
                fingerprint);
    }
    if (config_.rtspEncryption != config::RtspEncryption::Strict) {
      rtsp_ = std::make_unique<rtsp::RtspServer>(control_, *rtspBridge_, std::move(ro));
      if (!rtsp_->start(error)) {
        error = "unable to open the RTSP listener: " + error;
        return false;
      }
      std::string udpPart, multicastPart;
      if (rtsp_->udp())
        udpPart = fmt::format(", {} (UDP/RTP), {} (UDP/RTCP)", config_.rtpAddress, config_.rtcpAddress);
      if (rtsp_->multicast()) {
        multicastPart = fmt::format(", multicast {} on ports {}/{}", config_.multicastIPRange,
                                    config_.multicastRTPPort, config_.multicastRTCPPort);
      }
      log::info("[RTSP] listener opened on {} (TCP){}{}", config_.rtspAddress, udpPart, multicastPart);
      hooks_->setRtspPort(rtsp_->port());
    }
  }

  apiBackend_ = std::make_unique<ApiBackend>(*this);
  if (config_.api) {
    auto r =
        std::make_shared<http::ControlApiRoutes>(*apiBackend_, makeHttpAccessCheck(control_, access_, "API"));
    routes_.push_back(r);
    if (!startAuxServer("API", http::kControlApiBodyLimit, r->handler(), error)) {
      return false;
    }
  }
  if (config_.metrics) {
    auto r = std::make_shared<http::MetricsRoutes>(*apiBackend_, apiBackend_.get(),
                                                   makeHttpAccessCheck(control_, access_, "metrics"));
    routes_.push_back(r);
    if (!startAuxServer("metrics", size_t{128} * 1024, r->handler(), error)) {
      return false;
    }
  }
  if (config_.pprof) {
    auto r = std::make_shared<http::PprofRoutes>(control_, makeHttpAccessCheck(control_, access_, "pprof"));
    routes_.push_back(r);
    if (!startAuxServer("pprof", size_t{128} * 1024, r->handler(), error)) {
      return false;
    }
  }

  for (auto& [name, path] : paths_) {
    if (!path->conf().sourceOnDemand) path->start();
  }
  listening_ = true;
  for (auto& [name, path] : paths_) hooks_->pathStarted(path->conf());
  scheduleHousekeeping();
  scheduleHooksCheck();

  if (http_) {
    std::string host = "localhost";
    for (auto& [name, path] : paths_) {
      if (path->conf().source == "redirect") continue;  // nothing to watch here: RTSP readers go elsewhere
      log::info("open {}://{}:{}/{}/ in a browser to watch path '{}'",
                config_.webrtcEncryption ? "https" : "http", host, http_->boundPort(), name, name);
    }
  }
  waitHangup();
  if (!config_.sourceFile.empty()) {
    watcher_ =
        std::make_unique<ConfigWatcher>(control_, config_.sourceFile, [this] { reload("file changed"); });
    std::string werr;
    if (!watcher_->start(werr)) log::warn("configuration file will not be watched: {}", werr);
  }
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("received signal {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    stop();
  });
  // Every listener is open: tell systemd (Type=notify), then feed its watchdog.
  notify("READY=1\nSTATUS=serving " + std::to_string(paths_.size()) + " path(s)");
  if (notifier_) {
    watchdog_ = std::make_unique<core::ServiceWatchdog>(control_, pool_, *notifier_);
    watchdog_->start();
  }
  return true;
}

bool App::startAuxServer(const char* what, size_t bodyLimit, http::HttpHandler handler, std::string& error) {
  http::HttpServerOptions o = listenerOptions(config_, what);
  o.bodyLimit = bodyLimit;
  const std::string address = o.address;
  const bool tls = o.tls;
  auto server = std::make_unique<http::HttpServer>(control_, std::move(o), std::move(handler));
  if (!server->start(error)) {
    error = std::string("unable to open the ") + what + " listener on " + address + ": " + error;
    return false;
  }
  log::info("[{}] listener opened on {}{}", what, address, tls ? " (HTTPS)" : "");
  auxServers_.push_back(std::move(server));
  auxServerNames_.emplace_back(what);
  return true;
}

void App::run() { control_.run(); }

void App::stop() {
  if (stopped_) return;
  stopped_ = true;
  notify("STOPPING=1");
  if (watchdog_) watchdog_->stop();
  boost::system::error_code ec;
  signals_.cancel(ec);
  hangup_.cancel(ec);
  housekeepingTimer_.cancel();
  hooksTimer_.cancel();
  if (watcher_) watcher_->stop();
  if (http_) http_->stop();
  for (auto& s : auxServers_) s->stop();
  if (rtsp_) rtsp_->stop();
  if (rtsps_) rtsps_->stop();
  for (auto& [name, path] : paths_) path->stop();
  if (hooks_) hooks_->stopAll();
  if (webrtc_) webrtc_->stop();
  pool_.stop();
  control_.stop();
}

}  // namespace sluice::app
