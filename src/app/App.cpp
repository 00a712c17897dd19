#include "app/App.h"

#include <csignal>

#include <boost/asio/post.hpp>

#include "app/WhepBridge.h"
#include "core/Log.h"
#include "http/WebrtcRoutes.h"

namespace sluice::app {

App::App(config::Config config)
    : config_(std::move(config)),
      pool_(static_cast<size_t>(config_.workerThreads)),
      signals_(control_, SIGINT, SIGTERM) {}

App::~App() { stop(); }

Path* App::findPath(const std::string& name) {
  auto it = paths_.find(name);
  return it == paths_.end() ? nullptr : it->second.get();
}

uint16_t App::httpPort() const { return http_ ? http_->boundPort() : 0; }

bool App::start(std::string& error) {
  // SIGPIPE would kill the process on a peer's reset; errors are handled per socket.
  std::signal(SIGPIPE, SIG_IGN);
  pool_.start();

  for (const config::PathConfig& pc : config_.paths) {
    if (pc.regex) {
      log::warn("[path {}] regular-expression paths are not served yet; ignored", pc.name);
      continue;
    }
    if (!pc.sourceSupported) {
      log::warn("[path {}] source '{}' is not supported yet; the path will stay not ready", pc.name, pc.source);
    }
    paths_[pc.name] = std::make_unique<Path>(pc, pool_.next(), config_);
  }

  if (config_.webrtc) {
    webrtc::WebrtcServerConfig wc;
    wc.localUdpAddress = config_.webrtcLocalUDPAddress;
    wc.ipsFromInterfaces = config_.webrtcIPsFromInterfaces;
    wc.ipsFromInterfacesList = config_.webrtcIPsFromInterfacesList;
    wc.additionalHosts = config_.webrtcAdditionalHosts;
    wc.handshakeTimeout = config_.webrtcHandshakeTimeout;
    wc.senderReportPeriod = config_.webrtcSenderReportPeriod;
    wc.udpReadBufferSize = config_.udpReadBufferSize;
    webrtc_ = std::make_unique<webrtc::WebrtcServer>(pool_, control_, wc);
    if (!webrtc_->start(error)) return false;

    bridge_ = std::make_unique<WhepBridge>(*this);
    static_assert(sizeof(http::WebrtcRoutes) > 0);
    auto routes = std::make_shared<http::WebrtcRoutes>(*bridge_);
    http::HttpServerOptions ho;
    ho.address = config_.webrtcAddress;
    ho.allowOrigins = config_.webrtcAllowOrigins;
    ho.readTimeout = config_.readTimeout;
    ho.writeTimeout = config_.writeTimeout;
    http_ = std::make_unique<http::HttpServer>(
        control_, ho, [routes](http::HttpRequest req, http::HttpResponder respond) {
          routes->handle(req, std::move(respond));
        });
    if (!http_->start(error)) {
      error = "unable to listen on " + config_.webrtcAddress + ": " + error;
      return false;
    }
    log::info("[WebRTC] listener opened on {} (HTTP), {} (ICE/UDP)", config_.webrtcAddress,
              config_.webrtcLocalUDPAddress);
  }

  for (auto& [name, path] : paths_) path->start();

  if (http_) {
    std::string host = "localhost";
    for (auto& [name, path] : paths_) {
      log::info("open http://{}:{}/{}/ in a browser to watch path '{}'", host, http_->boundPort(), name, name);
    }
  }
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("received signal {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    stop();
  });
  return true;
}

void App::run() { control_.run(); }

void App::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  signals_.cancel(ec);
  if (http_) http_->stop();
  for (auto& [name, path] : paths_) path->stop();
  if (webrtc_) webrtc_->stop();
  pool_.stop();
  control_.stop();
}

}  // namespace sluice::app
