#pragma once
// What the control API (/v3/...) and /metrics need from the application. http/ knows
// nothing about paths, sessions or the configuration model: the app implements this on
// top of stream/, webrtc/, rtsp/ and config/. Every method is called on the HTTP
// server's io_context thread (the control thread); none may block.
//
// Status convention of the mutating calls: return 200 on success; otherwise 400 (bad
// input, validation failed), 404 (no such path/session) or 500, with `error` set to the
// message for {"status":"error","error":"..."}.
#include <optional>
#include <string>
#include <vector>

#include "http/ApiItems.h"

namespace sluice::http {

class ControlApiBackend {
 public:
  virtual ~ControlApiBackend() = default;

  virtual ApiInfo info() = 0;

  // --- configuration. JSON texts use MediaMTX's key names. The routes have already
  // checked that a request body is a JSON object; the backend validates keys and values
  // (unknown key -> 400), applies the change (hot reload) and answers with a status.
  virtual std::string configGlobalJson() = 0;  // object: every global key
  virtual int patchConfigGlobal(const std::string& json, std::string& error) = 0;
  virtual std::string configPathDefaultsJson() = 0;  // object
  virtual int patchConfigPathDefaults(const std::string& json, std::string& error) = 0;
  // Array of full path configurations, each with its "name" (the routes sort by it).
  virtual std::string configPathsJson() = 0;
  // One path configuration object; nullopt -> 404 "path configuration not found".
  virtual std::optional<std::string> configPathJson(const std::string& name) = 0;
  virtual int addConfigPath(const std::string& name, const std::string& json, std::string& error) = 0;
  virtual int patchConfigPath(const std::string& name, const std::string& json, std::string& error) = 0;
  virtual int replaceConfigPath(const std::string& name, const std::string& json, std::string& error) = 0;
  virtual int deleteConfigPath(const std::string& name, std::string& error) = 0;

  // --- runtime state. Lists may come in any order: the routes sort them.
  virtual std::vector<PathItem> paths() = 0;
  // Default: searched in paths().
  virtual std::optional<PathItem> path(const std::string& name);

  // MediaMTX registers /v3/webrtcsessions/* and the WebRTC metrics only when the WebRTC
  // server is enabled; the same for RTSP.
  virtual bool webrtcEnabled() { return true; }
  virtual std::vector<WebrtcSessionItem> webrtcSessions() = 0;
  // `id` is in canonical lowercase UUID form. Default: searched in webrtcSessions().
  virtual std::optional<WebrtcSessionItem> webrtcSession(const std::string& id);
  // Closes the session. 200, or 404 "session not found".
  virtual int kickWebrtcSession(const std::string& id, std::string& error) = 0;

  // RTSP connections and sessions (empty lists by default).
  virtual bool rtspEnabled() { return true; }
  virtual std::vector<RtspConnItem> rtspConns() { return {}; }
  virtual std::vector<RtspSessionItem> rtspSessions() { return {}; }
  virtual std::optional<RtspConnItem> rtspConn(const std::string& id);
  virtual std::optional<RtspSessionItem> rtspSession(const std::string& id);
  virtual int kickRtspSession(const std::string& id, std::string& error);

  // The same for the RTSPS listener (rtspEncryption strict or optional), whose connections
  // MediaMTX lists apart: /v3/rtspsconns, /v3/rtspssessions, rtsps_* metrics. Off by default.
  virtual bool rtspsEnabled() { return false; }
  virtual std::vector<RtspConnItem> rtspsConns() { return {}; }
  virtual std::vector<RtspSessionItem> rtspsSessions() { return {}; }
  virtual std::optional<RtspConnItem> rtspsConn(const std::string& id);
  virtual std::optional<RtspSessionItem> rtspsSession(const std::string& id);
  virtual int kickRtspsSession(const std::string& id, std::string& error);
};

}  // namespace sluice::http
