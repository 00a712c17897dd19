#pragma once
// systemd's service notification protocol (sd_notify(3)), written here rather than linked
// from libsystemd: it is one datagram to a unix socket, and without libsystemd the binary
// and the container image need no systemd library at all.
//
// $NOTIFY_SOCKET names the socket: an absolute path, or "@name" for an abstract socket.
// $WATCHDOG_USEC asks for "WATCHDOG=1" at least that often; $WATCHDOG_PID, when set, says
// which process it is meant for. A process not started by systemd has neither variable,
// and then every call here does nothing.
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::core {

struct NotifyAddress {
  sockaddr_un addr{};
  socklen_t length = 0;  // what sendto() takes: for an abstract name, no trailing NUL
};

// Parses a $NOTIFY_SOCKET value. nullopt (and a reason in `error`) when it is empty, neither
// absolute nor abstract, or longer than a unix socket address holds.
std::optional<NotifyAddress> parseNotifySocket(std::string_view value, std::string& error);

// The watchdog period asked for by $WATCHDOG_USEC / $WATCHDOG_PID (either may be null), or
// zero when none is asked of process `self`: unset, not a positive integer (or beyond int64),
// or for another PID.
std::chrono::microseconds parseWatchdogPeriod(const char* usec, const char* pid, pid_t self);

class SystemdNotifier {
 public:
  // Disabled: send() does nothing.
  SystemdNotifier() = default;
  SystemdNotifier(NotifyAddress address, std::chrono::microseconds watchdogPeriod);
  ~SystemdNotifier();
  SystemdNotifier(SystemdNotifier&& other) noexcept;
  SystemdNotifier& operator=(SystemdNotifier&& other) noexcept;
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and removes them from the
  // environment, so that child processes do not talk to systemd in our name. Call before
  // any thread starts (unsetenv is not thread-safe). A malformed $NOTIFY_SOCKET yields a
  // disabled notifier and the reason in `warning`.
  static SystemdNotifier fromEnvironment(std::string& warning);

  bool enabled() const { return fd_ >= 0; }
  // Zero when systemd asked for no watchdog.
  std::chrono::microseconds watchdogPeriod() const { return watchdogPeriod_; }

  // Sends newline-separated assignments ("READY=1", "STATUS=...") as one datagram.
  // Returns false (errno kept) if the datagram could not be sent; true when disabled.
  bool send(std::string_view state) const;

 private:
  int fd_ = -1;  // owned: an unbound datagram socket
  NotifyAddress address_{};
  std::chrono::microseconds watchdogPeriod_{0};
};

// "RELOADING=1" with the MONOTONIC_USEC systemd 253+ wants beside it (older ones ignore it).
std::string reloadingMessage();

}  // namespace sluice::core
