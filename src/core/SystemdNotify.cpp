#include "core/SystemdNotify.h"

#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <utility>

namespace sluice::core {

std::optional<NotifyAddress> parseNotifySocket(std::string_view value, std::string& error) {
  if (value.empty()) {
    error = "NOTIFY_SOCKET is empty";
    return std::nullopt;
  }
  if (value[0] != '/' && value[0] != '@') {
    error = "NOTIFY_SOCKET '" + std::string(value) + "' is neither an absolute path nor an abstract '@' name";
    return std::nullopt;
  }
  if (value.size() == 1) {
    error = "NOTIFY_SOCKET '" + std::string(value) + "' names no socket";
    return std::nullopt;
  }
  NotifyAddress a;
  a.addr.sun_family = AF_UNIX;
  // A path needs its terminating NUL inside sun_path; an abstract name does not.
  const size_t nul = value[0] == '/' ? 1 : 0;
  const size_t room = sizeof(a.addr.sun_path) - nul;
  if (value.size() > room) {
    error = "NOTIFY_SOCKET is " + std::to_string(value.size()) +
            " bytes long, more than a unix socket takes (" + std::to_string(room) + ")";
    return std::nullopt;
  }
  std::memcpy(a.addr.sun_path, value.data(), value.size());
  if (value[0] == '@') a.addr.sun_path[0] = '\0';  // abstract namespace: leading NUL
  a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size() + nul);
  return a;
}

namespace {
bool parsePositive(const char* text, unsigned long long& out) {
  if (!text || !*text) return false;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && p == end && out > 0;
}
}  // namespace

std::chrono::microseconds parseWatchdogPeriod(const char* usec, const char* pid, pid_t self) {
  unsigned long long period = 0;
  // Beyond what a microseconds count holds it is no watchdog anyway (~292,000 years).
  if (!parsePositive(usec, period) || period > static_cast<unsigned long long>(INT64_MAX)) {
    return std::chrono::microseconds(0);
  }
  if (pid) {
    unsigned long long forPid = 0;
    if (!parsePositive(pid, forPid) || forPid != static_cast<unsigned long long>(self)) {
      return std::chrono::microseconds(0);
    }
  }
  return std::chrono::microseconds(static_cast<int64_t>(period));
}

SystemdNotifier::SystemdNotifier(NotifyAddress address, std::chrono::microseconds watchdogPeriod)
    : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)),
      address_(address),
      watchdogPeriod_(watchdogPeriod) {}

SystemdNotifier::~SystemdNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

SystemdNotifier::SystemdNotifier(SystemdNotifier&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), address_(other.address_), watchdogPeriod_(other.watchdogPeriod_) {}

SystemdNotifier& SystemdNotifier::operator=(SystemdNotifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    address_ = other.address_;
    watchdogPeriod_ = other.watchdogPeriod_;
  }
  return *this;
}

SystemdNotifier SystemdNotifier::fromEnvironment(std::string& warning) {
  const char* socketName = std::getenv("NOTIFY_SOCKET");
  std::string socketValue = socketName ? socketName : "";
  auto period = parseWatchdogPeriod(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), ::getpid());
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  if (!socketName) return SystemdNotifier();
  auto address = parseNotifySocket(socketValue, warning);
  if (!address) return SystemdNotifier();
  return SystemdNotifier(*address, period);
}

bool SystemdNotifier::send(std::string_view state) const {
  if (fd_ < 0) return true;
  ssize_t n = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&address_.addr), address_.length);
  return n == static_cast<ssize_t>(state.size());
}

std::string reloadingMessage() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace sluice::core
