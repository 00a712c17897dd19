#pragma once
// Wires everything: config → worker pool → paths and their sources → WebRTC server →
// HTTP routes. Owns the control thread (the main thread's io_context): HTTP, signals and
// other control-plane work run there; packets never do.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "app/Path.h"
#include "auth/AccessControl.h"
#include "auth/AuthManager.h"
#include "config/Config.h"
#include "core/WorkerPool.h"
#include "http/HttpServer.h"
#include "rtsp/RtspServer.h"
#include "webrtc/WebrtcServer.h"

namespace sluice::core {
class ServiceWatchdog;
class SystemdNotifier;
}  // namespace sluice::core

namespace sluice::app {

class WhepBridge;
class RtspBridge;
class ApiBackend;
class ConfigWatcher;
class Hooks;

class App {
 public:
  // `notifier` (borrowed, outlives this) hears READY/RELOADING/STOPPING and the watchdog pings.
  explicit App(config::Config config, const core::SystemdNotifier* notifier = nullptr);
  ~App();

  // Starts every server; false (with error) if one cannot start.
  bool start(std::string& error);
  // Runs the control loop until SIGINT/SIGTERM or stop().
  void run();
  void stop();

  // Re-reads the configuration file (on SIGHUP and when the file changes). A file that does
  // not load is rejected with a log line and the running configuration stays.
  void reload(const std::string& why);
  // Applies a validated configuration: paths added, removed or changed are started,
  // stopped or restarted; paths that did not change are not touched (nor their viewers).
  void applyConfig(config::Config next);

  // ---- control thread ----
  Path* findPath(const std::string& name);
  // Every running path: the configured ones and those created from regex paths.
  const std::map<std::string, std::unique_ptr<Path>>& paths() const { return paths_; }
  // findPath(), or a path created for `name` from a matching regex path ($G1.. substituted
  // into its source). nullptr when nothing is configured for the name.
  Path* findOrCreatePath(const std::string& name);
  // Starts an on-demand path's source (or its runOnDemand command) if needed and calls
  // `done(true)` once the path is ready, or `done(false)` after its sourceOnDemandStartTimeout
  // (runOnDemandStartTimeout). `query`: the first reader's, for runOnDemand's MTX_QUERY.
  void whenReady(const std::string& name, std::function<void(bool ready)> done,
                 const std::string& query = "");
  const config::Config& config() const { return config_; }
  webrtc::WebrtcServer& webrtc() { return *webrtc_; }
  // The RTSP server, or null when `rtsp: no` or `rtspEncryption: strict`.
  rtsp::RtspServer* rtspServer() { return rtsp_.get(); }
  // The RTSPS server, or null unless `rtspEncryption` is strict or optional.
  rtsp::RtspServer* rtspsServer() { return rtsps_.get(); }
  // Readers of a path over every protocol (WebRTC sessions and RTSP sessions playing it).
  size_t readerCount(const std::string& path);
  // Runs `fn` on the control thread (from any thread).
  void postToControl(std::function<void()> fn);
  // The control thread's loop (RTSP and HTTP listeners, the authentication server's calls).
  boost::asio::io_context& controlContext() { return control_; }
  bool webrtcEnabled() const { return webrtc_ != nullptr; }
  // Users and permissions of the running configuration (replaced on reload).
  std::shared_ptr<const auth::AuthManager> auth() const { return access_.users(); }
  // The access decision for every protocol (users of the running configuration plus the
  // per-client failure guard).
  auth::AccessControl& access() { return access_; }
  uint16_t httpPort() const;
  // What /v3/info reports as "version" (main() sets it from the build's version stamp).
  void setVersion(std::string version) { version_ = std::move(version); }
  const std::string& version() const { return version_; }

 private:
  config::Config config_;
  std::string version_ = "sluice";
  boost::asio::io_context control_;
  core::WorkerPool pool_;
  std::map<std::string, std::unique_ptr<Path>> paths_;
  std::unique_ptr<webrtc::WebrtcServer> webrtc_;
  std::unique_ptr<WhepBridge> bridge_;
  std::unique_ptr<RtspBridge> rtspBridge_;   // owned; outlives rtsp_ (declared before it)
  std::unique_ptr<rtsp::RtspServer> rtsp_;   // owned; null with `rtsp: no` or `rtspEncryption: strict`
  std::unique_ptr<rtsp::RtspServer> rtsps_;  // owned; the TLS listener (rtspEncryption strict/optional)
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<ApiBackend> apiBackend_;
  auth::AccessControl access_{
      std::make_shared<const auth::AuthManager>(auth::AuthManager::fromConfig(config_))};
  // Routes of the API, metrics and pprof listeners: kept alive as long as their servers.
  std::vector<std::shared_ptr<void>> routes_;
  std::vector<std::unique_ptr<http::HttpServer>> auxServers_;
  std::vector<std::string> auxServerNames_;  // "API", "metrics", "pprof"; parallel to auxServers_

  // `what` is "API", "metrics" or "pprof": it selects the listener's keys in config_.
  bool startAuxServer(const char* what, size_t bodyLimit, http::HttpHandler handler, std::string& error);
  // Reads every HTTPS listener's certificate and key again; a listener whose new files are
  // unusable keeps the ones it has (logged).
  void reloadCertificates();
  boost::asio::signal_set signals_;
  boost::asio::signal_set hangup_;
  std::unique_ptr<ConfigWatcher> watcher_;
  bool stopped_ = false;
  const core::SystemdNotifier* notifier_;            // borrowed, may be null
  std::unique_ptr<core::ServiceWatchdog> watchdog_;  // owned; its timers run on pool_, stopped first
  void notify(const std::string& state);

  std::unique_ptr<Hooks> hooks_;  // owned; control thread
  bool listening_ = false;        // start() opened every listener
  void addPath(const config::PathConfig& pc);
  void removePath(const std::string& name);
  // The report to hooks_ every 100 ms: availability of every path, readers, connections.
  void updateHooks();
  // Whether session `sessionId` publishes through the RTSPS listener (its source type is then
  // rtspsSession, as in MediaMTX).
  bool publishesOverTls(const std::string& sessionId) const;
  // Every 500 ms on the control thread: on-demand sources nobody reads, and the heap trim
  // workers asked for (core/HeapTrim).
  void scheduleHousekeeping();
  // Every thread's history chunk pool gives its long-idle chunks back to the kernel.
  void trimHistoryChunks();
  void checkOnDemandPaths();
  boost::asio::steady_timer housekeepingTimer_{control_};
  void scheduleHooksCheck();
  boost::asio::steady_timer hooksTimer_{control_};
  void waitHangup();
};

}  // namespace sluice::app
