#include "core/SystemdNotify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

using namespace sluice::core;

namespace {

// A datagram socket the test listens on, like systemd's notify socket.
struct Listener {
  int fd = -1;
  std::string name;  // as $NOTIFY_SOCKET spells it
  explicit Listener(std::string notifyName) : name(std::move(notifyName)) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    std::string error;
    auto a = parseNotifySocket(name, error);
    EXPECT_TRUE(a) << error;
    if (a) {
      int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&a->addr), a->length);
      EXPECT_EQ(rc, 0) << std::strerror(errno);
    }
  }
  ~Listener() {
    ::close(fd);
    if (name[0] == '/') ::unlink(name.c_str());
  }
  std::string receive() {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<size_t>(n));
  }
};

std::string tempSocketPath() {
  return (std::filesystem::temp_directory_path() / ("sluice-notify-" + std::to_string(::getpid()) + ".sock"))
      .string();
}

}  // namespace

TEST(NotifySocket, ParsesAnAbsolutePathWithItsTerminatingNul) {
  std::string error;
  auto a = parseNotifySocket("/run/systemd/notify", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->addr.sun_family, AF_UNIX);
  EXPECT_STREQ(a->addr.sun_path, "/run/systemd/notify");
  EXPECT_EQ(a->length, offsetof(sockaddr_un, sun_path) + std::strlen("/run/systemd/notify") + 1);
}

TEST(NotifySocket, ParsesAnAbstractNameAsLeadingNulWithoutTrailingNul) {
  std::string error;
  auto a = parseNotifySocket("@sluice/notify", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->addr.sun_path[0], '\0');
  EXPECT_EQ(std::string(a->addr.sun_path + 1, 13), "sluice/notify");
  EXPECT_EQ(a->length, offsetof(sockaddr_un, sun_path) + 14);
}

TEST(NotifySocket, RejectsEmptyRelativeBareAndOverlongNames) {
  std::string error;
  EXPECT_FALSE(parseNotifySocket("", error));
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
  EXPECT_FALSE(parseNotifySocket("run/notify", error));
  EXPECT_NE(error.find("neither an absolute path nor an abstract"), std::string::npos) << error;
  EXPECT_FALSE(parseNotifySocket("@", error));
  EXPECT_NE(error.find("names no socket"), std::string::npos) << error;
  EXPECT_FALSE(parseNotifySocket("/", error));

  const size_t room = sizeof(sockaddr_un::sun_path);
  EXPECT_TRUE(parseNotifySocket("/" + std::string(room - 2, 'a'), error)) << error;  // + NUL fills it
  EXPECT_FALSE(parseNotifySocket("/" + std::string(room - 1, 'a'), error));
  EXPECT_NE(error.find("more than a unix socket takes"), std::string::npos) << error;
  EXPECT_TRUE(parseNotifySocket("@" + std::string(room - 1, 'a'), error)) << error;  // no NUL needed
  EXPECT_FALSE(parseNotifySocket("@" + std::string(room, 'a'), error));
}

TEST(WatchdogPeriod, ReadsUsecForThisProcessOnly) {
  using std::chrono::microseconds;
  EXPECT_EQ(parseWatchdogPeriod("20000000", nullptr, 42), microseconds(20000000));
  EXPECT_EQ(parseWatchdogPeriod("3000000", "42", 42), microseconds(3000000));
  EXPECT_EQ(parseWatchdogPeriod("3000000", "43", 42), microseconds(0)) << "meant for another process";
  EXPECT_EQ(parseWatchdogPeriod(nullptr, "42", 42), microseconds(0));
  EXPECT_EQ(parseWatchdogPeriod("9223372036854775807", nullptr, 42), microseconds(INT64_MAX));
  for (const char* bad :
       {"", "0", "-5", "12x", "x", " 5", "99999999999999999999999", "9223372036854775808"}) {
    EXPECT_EQ(parseWatchdogPeriod(bad, nullptr, 42), microseconds(0)) << "'" << bad << "'";
  }
  EXPECT_EQ(parseWatchdogPeriod("5000", "4x2", 42), microseconds(0));
}

TEST(SystemdNotifier, SendsOneDatagramToAPathSocket) {
  Listener listener(tempSocketPath());
  std::string error;
  SystemdNotifier n(*parseNotifySocket(listener.name, error), std::chrono::seconds(10));
  ASSERT_TRUE(n.enabled());
  EXPECT_TRUE(n.send("READY=1\nSTATUS=serving 3 path(s)"));
  EXPECT_EQ(listener.receive(), "READY=1\nSTATUS=serving 3 path(s)");
  EXPECT_TRUE(n.send("WATCHDOG=1"));
  EXPECT_EQ(listener.receive(), "WATCHDOG=1");
  EXPECT_EQ(listener.receive(), "<nothing>");
}

TEST(SystemdNotifier, SendsToAnAbstractSocket) {
  Listener listener("@sluice-notify-test-" + std::to_string(::getpid()));
  std::string error;
  SystemdNotifier n(*parseNotifySocket(listener.name, error), std::chrono::microseconds(0));
  EXPECT_TRUE(n.send("STOPPING=1"));
  EXPECT_EQ(listener.receive(), "STOPPING=1");
}

TEST(SystemdNotifier, ReportsASocketNobodyListensOn) {
  std::string error;
  SystemdNotifier n(*parseNotifySocket(tempSocketPath() + ".absent", error), std::chrono::microseconds(0));
  EXPECT_FALSE(n.send("READY=1"));
}

TEST(SystemdNotifier, DisabledDoesNothing) {
  SystemdNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_EQ(n.watchdogPeriod().count(), 0);
  EXPECT_TRUE(n.send("READY=1"));
}

TEST(SystemdNotifier, FromEnvironmentReadsAndClearsSystemdsVariables) {
  Listener listener(tempSocketPath());
  ::setenv("NOTIFY_SOCKET", listener.name.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "4000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  std::string warning;
  SystemdNotifier n = SystemdNotifier::fromEnvironment(warning);
  EXPECT_TRUE(warning.empty()) << warning;
  EXPECT_TRUE(n.enabled());
  EXPECT_EQ(n.watchdogPeriod(), std::chrono::seconds(4));
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr) << "children must not inherit it";
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
  SystemdNotifier moved = std::move(n);
  EXPECT_FALSE(n.enabled());
  EXPECT_TRUE(moved.send("READY=1"));
  EXPECT_EQ(listener.receive(), "READY=1");
}

TEST(SystemdNotifier, FromEnvironmentWithoutSystemdOrWithABadSocketIsDisabled) {
  ::unsetenv("NOTIFY_SOCKET");
  std::string warning;
  EXPECT_FALSE(SystemdNotifier::fromEnvironment(warning).enabled());
  EXPECT_TRUE(warning.empty());
  ::setenv("NOTIFY_SOCKET", "relative.sock", 1);
  EXPECT_FALSE(SystemdNotifier::fromEnvironment(warning).enabled());
  EXPECT_NE(warning.find("relative.sock"), std::string::npos) << warning;
}

TEST(SystemdNotifier, ReloadingCarriesTheMonotonicClock) {
  std::string m = reloadingMessage();
  ASSERT_EQ(m.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << m;
  std::string usec = m.substr(std::strlen("RELOADING=1\nMONOTONIC_USEC="));
  EXPECT_FALSE(usec.empty());
  EXPECT_EQ(usec.find_first_not_of("0123456789"), std::string::npos) << m;
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  EXPECT_LE(std::stoll(usec), static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000);
}
