#pragma once
// Answers the HTTP layer's WHEP calls with the app's paths and the WebRTC server, so that
// http/ and webrtc/ never include each other. Control thread only. Read access is checked
// before these calls, by the WebRTC routes' access check (app/HttpAccess).
#include "core/KeyedRateLimit.h"
#include "http/WebrtcHttpHandler.h"

namespace sluice::app {

class App;

class WhepBridge : public http::WebrtcHttpHandler {
 public:
  explicit WhepBridge(App& app) : app_(app) {}
  void createWhepSession(http::WhepCreateRequest request,
                         std::function<void(http::WhepCreateResult)> done) override;
  int patchWhepSession(const std::string& path, const std::string& secret, const std::string& body,
                       std::string& error) override;
  int deleteWhepSession(const std::string& path, const std::string& secret, std::string& error) override;
  bool pathConfigured(const std::string& path) override;
  std::vector<http::PathListing> listPaths() override;
  std::vector<std::string> iceServerLinks() override;

 private:
  void createReadySession(http::WhepCreateRequest request,
                          const std::function<void(http::WhepCreateResult)>& done);
  App& app_;  // borrowed, outlives this
  core::KeyedRateLimit refusalLog_{std::chrono::seconds(10)};
};

}  // namespace sluice::app
