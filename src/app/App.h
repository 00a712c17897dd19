#pragma once
// Wires everything: config → worker pool → paths and their sources → WebRTC server →
// HTTP routes. Owns the control thread (the main thread's io_context): HTTP, signals and
// other control-plane work run there; packets never do.
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "app/Path.h"
#include "config/Config.h"
#include "core/WorkerPool.h"
#include "http/HttpServer.h"
#include "webrtc/WebrtcServer.h"

namespace sluice::app {

class WhepBridge;

class App {
 public:
  explicit App(config::Config config);
  ~App();

  // Starts every server; false (with error) if one cannot start.
  bool start(std::string& error);
  // Runs the control loop until SIGINT/SIGTERM or stop().
  void run();
  void stop();

  // ---- control thread ----
  Path* findPath(const std::string& name);
  const config::Config& config() const { return config_; }
  webrtc::WebrtcServer& webrtc() { return *webrtc_; }
  uint16_t httpPort() const;

 private:
  config::Config config_;
  boost::asio::io_context control_;
  core::WorkerPool pool_;
  std::map<std::string, std::unique_ptr<Path>> paths_;
  std::unique_ptr<webrtc::WebrtcServer> webrtc_;
  std::unique_ptr<WhepBridge> bridge_;
  std::unique_ptr<http::HttpServer> http_;
  boost::asio::signal_set signals_;
  bool stopped_ = false;
};

}  // namespace sluice::app
