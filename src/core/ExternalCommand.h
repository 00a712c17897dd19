#pragma once
// The process of a hook (runOnInit, runOnReady, runOnRead, ...), run as MediaMTX runs it: the
// command line split into words (CommandLine.h, no shell), $VARIABLES expanded from the hook's
// variables, started in its own process group with the server's environment plus those
// variables and the server's stdout/stderr. Its exit is watched through a pidfd on the control
// thread's io_context (no thread, no SIGCHLD handler). With `restart`, a command that exits is
// started again 5 s later. close() sends SIGINT to its process group (the command's own
// children too) and no longer restarts it; the exit is still reaped when it comes.
//
// Control thread only. The object keeps itself alive while its process runs, so a one-shot hook
// (runOnUnread, ...) may be started and forgotten.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace sluice::core {

class ExternalCommand : public std::enable_shared_from_this<ExternalCommand> {
 public:
  struct Options {
    std::string label;                             // for the log: "[path cam1] runOnReady"
    std::string commandLine;                       // as configured
    std::map<std::string, std::string> variables;  // MTX_PATH, RTSP_PORT, ...
    bool restart = false;
    std::chrono::milliseconds restartPause{5000};  // MediaMTX's
  };

  // Starts the command (a failure to start is logged, and retried with `restart`).
  static std::shared_ptr<ExternalCommand> start(boost::asio::io_context& io, Options options);
  ~ExternalCommand();
  ExternalCommand(const ExternalCommand&) = delete;
  ExternalCommand& operator=(const ExternalCommand&) = delete;

  // SIGINT to the process group; no restart. Idempotent.
  void close();
  // The running process, or -1.
  pid_t pid() const { return pid_; }
  // How many times the process was started.
  int starts() const { return starts_; }

 private:
  ExternalCommand(boost::asio::io_context& io, Options options);
  void spawn();
  void watchExit();
  void onExit();
  void scheduleRestart();

  Options options_;
  boost::asio::posix::stream_descriptor pidfd_;  // owned: readable once the process exited
  boost::asio::steady_timer restartTimer_;
  pid_t pid_ = -1;
  int starts_ = 0;
  bool closed_ = false;
};

}  // namespace sluice::core
