#include "core/ExternalCommand.h"

#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/CommandLine.h"
#include "core/Log.h"

extern char** environ;

namespace sluice::core {

std::shared_ptr<ExternalCommand> ExternalCommand::start(boost::asio::io_context& io, Options options) {
  std::shared_ptr<ExternalCommand> command(new ExternalCommand(io, std::move(options)));
  command->spawn();
  return command;
}

ExternalCommand::ExternalCommand(boost::asio::io_context& io, Options options)
    : options_(std::move(options)), pidfd_(io), restartTimer_(io) {}

ExternalCommand::~ExternalCommand() {
  // Only reached once nothing waits on the process any more (or the control loop is gone at
  // shutdown): make sure a process still running is asked to stop.
  if (pid_ > 0 && !closed_ && pidfd_.is_open()) ::kill(-pid_, SIGINT);
}

void ExternalCommand::spawn() {
  std::string error;
  std::optional<std::vector<std::string>> words = splitCommandLine(options_.commandLine, error);
  if (words && words->empty()) error = "the command is empty";
  if (!error.empty()) {
    log::error("{} command not started: {}", options_.label, error);
    return;  // a malformed command line stays malformed: never retried
  }
  auto lookup = [this](std::string_view name) -> std::optional<std::string> {
    auto it = options_.variables.find(std::string(name));
    if (it != options_.variables.end()) return it->second;
    if (const char* value = std::getenv(std::string(name).c_str())) return std::string(value);
    return std::nullopt;
  };
  std::vector<std::string> argv;
  for (const std::string& word : *words) argv.push_back(expandVariables(word, lookup));

  // The server's environment, with the hook's variables replacing any of the same name.
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos && options_.variables.count(std::string(entry.substr(0, eq)))) continue;
    env.emplace_back(entry);
  }
  for (const auto& [name, value] : options_.variables) env.emplace_back(name).append("=").append(value);

  std::vector<char*> argvPtrs, envPtrs;
  for (std::string& a : argv) argvPtrs.push_back(a.data());
  argvPtrs.push_back(nullptr);
  for (std::string& e : env) envPtrs.push_back(e.data());
  envPtrs.push_back(nullptr);

  // Its own process group (so that close() reaches the command's children), signals as a fresh
  // process has them (the server ignores SIGPIPE; ffmpeg in a pipe must not).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argvPtrs[0], nullptr, &attr, argvPtrs.data(), envPtrs.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    log::error("{} command '{}' not started: {}", options_.label, argv[0], std::strerror(rc));
    scheduleRestart();
    return;
  }
  ++starts_;
  pid_ = pid;
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    // Without a pidfd (a kernel before 5.3) the exit cannot be watched: the process is still
    // stopped by close(), and reaped by the kernel's init once the server exits.
    log::warn("{} command started (pid {}), its exit cannot be watched: {}", options_.label, pid,
              std::strerror(errno));
    return;
  }
  log::info("{} command started (pid {})", options_.label, pid);
  boost::system::error_code ec;
  pidfd_.assign(fd, ec);
  watchExit();
}

void ExternalCommand::watchExit() {
  pidfd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [self = shared_from_this()](const boost::system::error_code& ec) {
                      if (ec == boost::asio::error::operation_aborted) return;
                      self->onExit();
                    });
}

void ExternalCommand::onExit() {
  int status = 0;
  const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
  if (reaped == 0) {  // spurious: not exited yet
    watchExit();
    return;
  }
  boost::system::error_code ec;
  pidfd_.close(ec);
  const pid_t pid = pid_;
  pid_ = -1;
  if (closed_) {
    log::debug("{} command (pid {}) ended", options_.label, pid);
    return;
  }
  if (WIFSIGNALED(status)) {
    log::info("{} command (pid {}) killed by signal {}", options_.label, pid, WTERMSIG(status));
  } else if (WEXITSTATUS(status) != 0) {
    log::info("{} command (pid {}) exited with code {}", options_.label, pid, WEXITSTATUS(status));
  } else {
    log::debug("{} command (pid {}) exited", options_.label, pid);
  }
  scheduleRestart();
}

void ExternalCommand::scheduleRestart() {
  if (!options_.restart || closed_) return;
  log::info("{} command restarting in {} s", options_.label,
            std::chrono::duration<double>(options_.restartPause).count());
  restartTimer_.expires_after(options_.restartPause);
  restartTimer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->closed_) self->spawn();
  });
}

void ExternalCommand::close() {
  if (closed_) return;
  closed_ = true;
  restartTimer_.cancel();
  if (pid_ > 0) ::kill(-pid_, SIGINT);
}

}  // namespace sluice::core
