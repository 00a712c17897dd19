#include "app/Hooks.h"

#include <fmt/format.h>

#include <set>

#include "core/Log.h"

namespace sluice::app {

Hooks::~Hooks() { stopAll(); }

std::map<std::string, std::string> Hooks::pathVariables(const std::string& name) const {
  std::map<std::string, std::string> vars{{"MTX_PATH", name}, {"RTSP_PORT", std::to_string(rtspPort_)}};
  if (config_) {
    std::vector<std::string> groups;
    const config::PathConfig* pc = config::findPath(*config_, name, &groups);
    if (pc && pc->regex) {
      for (size_t g = 1; g < groups.size(); ++g) vars["G" + std::to_string(g)] = groups[g];
    }
  }
  return vars;
}

std::map<std::string, std::string> Hooks::sourceVariables(const std::string& name, const PathHooks& h) const {
  auto vars = pathVariables(name);
  vars["MTX_SOURCE_TYPE"] = h.sourceType;
  vars["MTX_SOURCE_ID"] = h.sourceId;
  return vars;
}

Hooks::Command Hooks::run(const std::string& label, const std::string& commandLine,
                          std::map<std::string, std::string> vars, bool restart) {
  if (commandLine.empty()) return nullptr;
  core::ExternalCommand::Options o;
  o.label = label;
  o.commandLine = commandLine;
  o.variables = std::move(vars);
  o.restart = restart;
  return core::ExternalCommand::start(control_, std::move(o));
}

namespace {
void closeCommand(std::shared_ptr<core::ExternalCommand>& command) {
  if (command) command->close();
  command.reset();
}
}  // namespace

void Hooks::pathStarted(const config::PathConfig& path) {
  PathHooks& h = paths_[path.name];
  h.conf = path;
  if (!h.init) {
    h.init = run(fmt::format("[path {}] runOnInit", path.name), path.runOnInit, pathVariables(path.name),
                 path.runOnInitRestart);
  }
}

void Hooks::pathStopped(const std::string& name) {
  auto it = paths_.find(name);
  if (it == paths_.end()) return;
  PathHooks& h = it->second;
  closeCommand(h.init);
  if (h.onDemand) endDemand(name, h, "the path stopped");
  if (h.wasOnline) {
    closeCommand(h.online);
    run(fmt::format("[path {}] runOnOffline", name), h.conf.runOnOffline, sourceVariables(name, h), false);
  }
  if (h.wasAvailable) {
    closeCommand(h.available);
    run(fmt::format("[path {}] runOnUnavailable", name), h.conf.runOnUnavailable, sourceVariables(name, h),
        false);
  }
  paths_.erase(it);
}

bool Hooks::demand(const config::PathConfig& path, const std::string& query) {
  if (path.runOnDemand.empty()) return false;
  PathHooks& h = paths_[path.name];
  if (h.conf.name.empty()) h.conf = path;
  h.demandIdleSince.reset();
  if (h.onDemand) return true;
  auto vars = pathVariables(path.name);
  vars["MTX_QUERY"] = query;
  h.demandQuery = query;
  h.demandSince = std::chrono::steady_clock::now();
  log::info("[path {}] runOnDemand: a reader wants the path", path.name);
  h.onDemand =
      run(fmt::format("[path {}] runOnDemand", path.name), path.runOnDemand, vars, path.runOnDemandRestart);
  return true;
}

void Hooks::endDemand(const std::string& name, PathHooks& h, const char* why) {
  log::info("[path {}] runOnDemand command stopped: {}", name, why);
  closeCommand(h.onDemand);
  h.demandIdleSince.reset();
  auto vars = pathVariables(name);
  vars["MTX_QUERY"] = h.demandQuery;
  run(fmt::format("[path {}] runOnUnDemand", name), h.conf.runOnUnDemand, vars, false);
}

void Hooks::readerEnded(const ReaderHook& ended) {
  auto it = paths_.find(ended.reader.path);
  if (it == paths_.end()) return;
  auto vars = pathVariables(ended.reader.path);
  vars["MTX_QUERY"] = ended.reader.query;
  vars["MTX_READER_TYPE"] = ended.reader.type;
  vars["MTX_READER_ID"] = ended.reader.id;
  run(fmt::format("[path {}] runOnUnread", ended.reader.path), it->second.conf.runOnUnread, vars, false);
}

void Hooks::update(const std::vector<PathState>& paths, const std::vector<Reader>& readers,
                   const std::vector<Connection>& connections) {
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, size_t> readersOf;
  for (const Reader& r : readers) ++readersOf[r.path];

  for (const PathState& state : paths) {
    auto it = paths_.find(state.name);
    if (it == paths_.end() || !state.conf) continue;
    PathHooks& h = it->second;
    const config::PathConfig& conf = *state.conf;
    auto sourceVars = [&] { return sourceVariables(state.name, h); };
    if (state.available || state.online) {
      h.sourceType = state.sourceType;
      h.sourceId = state.sourceId;
    }
    if (state.available != h.wasAvailable) {
      h.wasAvailable = state.available;
      if (state.available) {
        h.available = run(fmt::format("[path {}] runOnAvailable", state.name), conf.runOnAvailable,
                          sourceVars(), conf.runOnAvailableRestart);
      } else {
        closeCommand(h.available);
        run(fmt::format("[path {}] runOnUnavailable", state.name), conf.runOnUnavailable, sourceVars(),
            false);
      }
    }
    if (state.online != h.wasOnline) {
      h.wasOnline = state.online;
      if (state.online) {
        h.online = run(fmt::format("[path {}] runOnOnline", state.name), conf.runOnOnline, sourceVars(),
                       conf.runOnOnlineRestart);
      } else {
        closeCommand(h.online);
        run(fmt::format("[path {}] runOnOffline", state.name), conf.runOnOffline, sourceVars(), false);
      }
    }
    if (h.onDemand) {
      if (!state.available) {
        if (now - h.demandSince >= conf.runOnDemandStartTimeout) {
          endDemand(state.name, h, "its publisher did not come within runOnDemandStartTimeout");
        }
      } else if (readersOf[state.name] > 0) {
        h.demandIdleSince.reset();
      } else if (!h.demandIdleSince) {
        h.demandIdleSince = now;
      } else if (now - *h.demandIdleSince >= conf.runOnDemandCloseAfter) {
        endDemand(state.name, h, "no reader for runOnDemandCloseAfter");
      }
    }
  }

  // Readers: runOnRead for each new one, runOnUnread for each gone.
  std::set<std::string> current;
  for (const Reader& r : readers) {
    current.insert(r.id);
    if (readers_.count(r.id)) continue;
    auto it = paths_.find(r.path);
    if (it == paths_.end()) continue;
    auto vars = pathVariables(r.path);
    vars["MTX_QUERY"] = r.query;
    vars["MTX_READER_TYPE"] = r.type;
    vars["MTX_READER_ID"] = r.id;
    readers_[r.id] = {r, run(fmt::format("[path {}] runOnRead", r.path), it->second.conf.runOnRead, vars,
                             it->second.conf.runOnReadRestart)};
  }
  for (auto it = readers_.begin(); it != readers_.end();) {
    if (current.count(it->first)) {
      ++it;
      continue;
    }
    closeCommand(it->second.command);
    readerEnded(it->second);
    it = readers_.erase(it);
  }

  // Connections: runOnConnect for each new one, runOnDisconnect for each gone.
  if (!config_) return;
  std::set<std::string> open;
  for (const Connection& c : connections) {
    open.insert(c.id);
    if (connectionTypes_.count(c.id)) continue;
    connectionTypes_[c.id] = c.type;
    std::map<std::string, std::string> vars{
        {"MTX_CONN_TYPE", c.type}, {"MTX_CONN_ID", c.id}, {"RTSP_PORT", std::to_string(rtspPort_)}};
    connections_[c.id] = run("runOnConnect", config_->runOnConnect, vars, config_->runOnConnectRestart);
  }
  for (auto it = connectionTypes_.begin(); it != connectionTypes_.end();) {
    if (open.count(it->first)) {
      ++it;
      continue;
    }
    closeCommand(connections_[it->first]);
    connections_.erase(it->first);
    std::map<std::string, std::string> vars{
        {"MTX_CONN_TYPE", it->second}, {"MTX_CONN_ID", it->first}, {"RTSP_PORT", std::to_string(rtspPort_)}};
    run("runOnDisconnect", config_->runOnDisconnect, vars, false);
    it = connectionTypes_.erase(it);
  }
}

void Hooks::stopAll() {
  for (auto& [name, h] : paths_) {
    closeCommand(h.init);
    closeCommand(h.onDemand);
    closeCommand(h.available);
    closeCommand(h.online);
  }
  for (auto& [id, r] : readers_) closeCommand(r.command);
  for (auto& [id, c] : connections_) closeCommand(c);
}

}  // namespace sluice::app
