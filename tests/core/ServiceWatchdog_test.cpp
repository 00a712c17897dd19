#include "core/ServiceWatchdog.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <string>
#include <thread>

using namespace sluice::core;
using namespace std::chrono_literals;

namespace {

struct NotifyListener {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  std::string path = (std::filesystem::temp_directory_path() /
                      ("sluice-watchdog-" + std::to_string(::getpid()) + ".sock"))
                         .string();
  NotifyAddress address;
  NotifyListener() {
    std::string error;
    address = *parseNotifySocket(path, error);
    ::unlink(path.c_str());
    EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.length), 0);
  }
  ~NotifyListener() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  // WATCHDOG=1 datagrams received since the last call.
  int pings() {
    int n = 0;
    char buf[256];
    for (ssize_t got; (got = ::recv(fd, buf, sizeof buf, 0)) >= 0;) {
      if (std::string(buf, static_cast<size_t>(got)) == "WATCHDOG=1") ++n;
    }
    return n;
  }
};

}  // namespace

TEST(ServiceWatchdog, PingsWhileEveryWorkerRunsAndStopsWhileOneIsStuck) {
  NotifyListener listener;
  // WatchdogSec = 400 ms: a ping every 200 ms, workers beat every 100 ms.
  SystemdNotifier notifier(listener.address, 400ms);
  boost::asio::io_context control;
  WorkerPool pool(2);
  pool.start();
  ServiceWatchdog watchdog(control, pool, notifier);
  EXPECT_EQ(watchdog.pingPeriod(), 200ms);
  watchdog.start();

  control.run_for(1100ms);
  EXPECT_GE(listener.pings(), 3) << "healthy workers: a ping every 200 ms";

  // Worker 1 is stuck in a handler for 1.6 s: after the stamps age past 200 ms, no ping.
  boost::asio::post(pool.at(1).io(), [] { std::this_thread::sleep_for(1600ms); });
  control.run_for(300ms);
  listener.pings();  // a ping may leave before the stall is seen
  control.run_for(1000ms);
  EXPECT_EQ(listener.pings(), 0) << "a stuck worker must stop the watchdog pings";
  EXPECT_TRUE(watchdog.stalledWorker(200ms).has_value());

  // Once it runs again, pings resume.
  std::this_thread::sleep_for(400ms);
  control.run_for(1000ms);
  EXPECT_GE(listener.pings(), 2) << "pings must resume when the worker loop runs again";

  watchdog.stop();
  pool.stop();
}

TEST(ServiceWatchdog, DoesNothingWithoutAWatchdogPeriod) {
  NotifyListener listener;
  SystemdNotifier notifier(listener.address, 0us);
  boost::asio::io_context control;
  WorkerPool pool(1);
  pool.start();
  ServiceWatchdog watchdog(control, pool, notifier);
  watchdog.start();
  control.run_for(300ms);
  EXPECT_EQ(listener.pings(), 0);
  pool.stop();
}
