#pragma once
// Answers the control API and /metrics from the app's paths, the WebRTC server and the
// configuration; config changes go through App::applyConfig, the same path as a reload.
// Control thread only.
#include <chrono>

#include "http/ControlApiBackend.h"
#include "http/MetricsBackend.h"

namespace sluice::app {

class App;

class ApiBackend : public http::ControlApiBackend, public http::MetricsBackend {
 public:
  explicit ApiBackend(App& app);

  http::ApiInfo info() override;
  std::string configGlobalJson() override;
  int patchConfigGlobal(const std::string& json, std::string& error) override;
  std::string configPathDefaultsJson() override;
  int patchConfigPathDefaults(const std::string& json, std::string& error) override;
  std::string configPathsJson() override;
  std::optional<std::string> configPathJson(const std::string& name) override;
  int addConfigPath(const std::string& name, const std::string& json, std::string& error) override;
  int patchConfigPath(const std::string& name, const std::string& json, std::string& error) override;
  int replaceConfigPath(const std::string& name, const std::string& json, std::string& error) override;
  int deleteConfigPath(const std::string& name, std::string& error) override;
  std::vector<http::PathItem> paths() override;
  bool webrtcEnabled() override;
  std::vector<http::WebrtcSessionItem> webrtcSessions() override;
  int kickWebrtcSession(const std::string& id, std::string& error) override;
  bool rtspEnabled() override;
  std::vector<http::RtspConnItem> rtspConns() override;
  std::vector<http::RtspSessionItem> rtspSessions() override;
  int kickRtspSession(const std::string& id, std::string& error) override;
  bool rtspsEnabled() override;
  std::vector<http::RtspConnItem> rtspsConns() override;
  std::vector<http::RtspSessionItem> rtspsSessions() override;
  int kickRtspsSession(const std::string& id, std::string& error) override;

  http::SluiceCounters sluiceCounters() override;

 private:
  template <class Change>
  int change(const std::string& json, std::string& error, Change&& fn);

  App& app_;
  std::chrono::system_clock::time_point started_;
};

}  // namespace sluice::app
