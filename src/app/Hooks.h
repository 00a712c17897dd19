#pragma once
// The hooks of paths and connections, as MediaMTX runs them (docs/CONFIGURATION.md, "Hooks"):
//   runOnInit       while the path exists;
//   runOnDemand     while readers want a publisher path nobody publishes to (runOnUnDemand
//                   once it is no longer wanted, or its publisher did not come in time);
//   runOnAvailable  while the stream can be read (the offline slate included), runOnUnavailable after;
//   runOnOnline     while a live source feeds it (runOnReady is its old name), runOnOffline after;
//   runOnRead       while a reader reads it, runOnUnread after;
//   runOnConnect    while an RTSP connection or a WebRTC session lasts, runOnDisconnect after.
// "While" commands get SIGINT when their condition ends ("...Restart: yes" restarts them when they
// exit early); the others run once and are left to finish.
//
// Control thread only. Path creation, removal and demand are told by App as they happen; the
// rest (availability, readers, connections) is found by comparing what App reports every
// 100 ms with the previous report, so no worker or protocol module knows about hooks and no
// hook can slow a packet. A reader or connection that lasts less than that may be missed.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"
#include "core/ExternalCommand.h"

namespace sluice::app {

class Hooks {
 public:
  // What App reports on each tick.
  struct PathState {
    std::string name;
    const config::PathConfig* conf = nullptr;  // borrowed for the call
    bool available = false, online = false;
    std::string sourceType, sourceId;
  };
  struct Reader {
    std::string id, path, query, type;  // type: "webRTCSession", "rtspSession"
  };
  struct Connection {
    std::string id, type;  // type: "rtspConn", "webRTCSession"
  };

  explicit Hooks(boost::asio::io_context& control) : control_(control) {}
  ~Hooks();
  Hooks(const Hooks&) = delete;
  Hooks& operator=(const Hooks&) = delete;

  // The running configuration (its global hooks, and the regex groups of path names).
  void setConfig(const config::Config& config) { config_ = &config; }
  void setRtspPort(uint16_t port) { rtspPort_ = port; }

  // A path began (runOnInit) or ended (every command of it stops; the "un" hooks of what was
  // still on run, as MediaMTX does).
  void pathStarted(const config::PathConfig& path);
  void pathStopped(const std::string& name);

  // A reader asks for a publisher path that has runOnDemand: starts the command unless it runs.
  // True when the path has a runOnDemand command.
  bool demand(const config::PathConfig& path, const std::string& query);

  void update(const std::vector<PathState>& paths, const std::vector<Reader>& readers,
              const std::vector<Connection>& connections);

  // Every command gets SIGINT (the server stops).
  void stopAll();

 private:
  using Command = std::shared_ptr<core::ExternalCommand>;
  struct PathHooks {
    config::PathConfig conf;  // what the path runs with (its "un" hooks need it after it is gone)
    Command init, onDemand, available, online;
    bool wasAvailable = false, wasOnline = false;
    std::chrono::steady_clock::time_point demandSince;
    std::optional<std::chrono::steady_clock::time_point> demandIdleSince;
    std::string demandQuery;
    std::string sourceType, sourceId;
  };
  struct ReaderHook {
    Reader reader;
    Command command;
  };

  std::map<std::string, std::string> pathVariables(const std::string& name) const;
  // pathVariables plus MTX_SOURCE_TYPE / MTX_SOURCE_ID of the path's last source.
  std::map<std::string, std::string> sourceVariables(const std::string& name, const PathHooks& h) const;
  Command run(const std::string& label, const std::string& commandLine,
              std::map<std::string, std::string> vars, bool restart);
  void endDemand(const std::string& name, PathHooks& hooks, const char* why);
  void readerEnded(const ReaderHook& ended);

  boost::asio::io_context& control_;
  const config::Config* config_ = nullptr;  // borrowed: App's running configuration
  uint16_t rtspPort_ = 8554;
  std::map<std::string, PathHooks> paths_;
  std::map<std::string, ReaderHook> readers_;   // reader id -> its runOnRead command
  std::map<std::string, Command> connections_;  // connection id -> its runOnConnect command
  std::map<std::string, std::string> connectionTypes_;
};

}  // namespace sluice::app
