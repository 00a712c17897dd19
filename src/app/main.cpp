// sluice: a real-time media server (RTSP cameras → WebRTC/WHEP), MediaMTX-compatible.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>

#include "app/App.h"
#include "app/Version.h"
#include "config/Config.h"
#include "core/Log.h"
#include "core/SystemdNotify.h"

using namespace sluice;

namespace {

int run(int argc, char** argv) {
  CLI::App cli{"Sluice: RTSP cameras to WebRTC (WHEP) viewers, speaking MediaMTX's configuration"};
  std::string configPath;
  std::string checkPath;
  cli.add_option("config", configPath, "configuration file (default: sluice.yml, mediamtx.yml, ...)");
  cli.add_option("--check-config", checkPath, "validate a configuration file and exit");
  bool version = false;
  cli.add_flag("--version", version, "print the version and exit");
  CLI11_PARSE(cli, argc, argv);

  if (version) {
    std::printf("sluice %s (commit %s)\n", app::kVersion, app::kGitCommit);
    return 0;
  }
  if (!checkPath.empty()) {
    config::ConfigResult r = config::loadConfigFile(checkPath);
    for (auto& w : r.warnings) std::fprintf(stderr, "WAR %s\n", w.c_str());
    if (!r.config) {
      std::fprintf(stderr, "ERR %s\n", r.error.c_str());
      return 1;
    }
    std::printf("configuration '%s' is valid: %zu path(s)\n", checkPath.c_str(), r.config->paths.size());
    return 0;
  }

  // Before any thread starts: reading it also removes systemd's variables from the environment.
  std::string notifyWarning;
  core::SystemdNotifier notifier = core::SystemdNotifier::fromEnvironment(notifyWarning);

  config::ConfigResult r = config::loadConfigFile(configPath);
  if (!r.config) {
    log::error("{}", r.error);
    return 1;
  }
  log::Options lo;
  lo.level = r.config->logLevel;
  lo.structured = r.config->logStructured;
  bool toFile = false;
  lo.toStdout = false;
  for (auto& d : r.config->logDestinations) {
    if (d == "stdout") lo.toStdout = true;
    if (d == "file") toFile = true;
    if (d == "syslog") lo.toSyslog = true;
  }
  if (toFile) lo.file = r.config->logFile;
  log::init(lo);
  log::info("Sluice v{} (commit {})", app::kVersion, app::kGitCommit);
  if (!notifyWarning.empty()) log::warn("systemd notifications disabled: {}", notifyWarning);
  if (!r.config->sourceFile.empty()) log::info("configuration loaded from {}", r.config->sourceFile);
  for (auto& w : r.warnings) log::warn("{}", w);

  app::App app(std::move(*r.config), &notifier);
  app.setVersion(std::string("sluice v") + app::kVersion);
  std::string error;
  if (!app.start(error)) {
    log::error("{}", error);
    return 1;
  }
  app.run();
  log::info("shutdown complete");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Not expected (errors are returned, not thrown): one clear line instead of std::terminate's.
    log::error("fatal: {}", e.what());
  } catch (...) {
    log::error("fatal: an unknown exception");
  }
  return 1;
}
