#pragma once
// Feeds systemd's watchdog from the worker loops: a timer on each worker's own event loop
// stamps that worker's heartbeat, and the control thread sends WATCHDOG=1 every
// WatchdogSec/2 only while every worker stamped within that half period. A worker stuck in
// a handler (or a stuck control thread) therefore stops the pings, and systemd restarts the
// service after WatchdogSec.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "core/SystemdNotify.h"
#include "core/WorkerPool.h"

namespace sluice::core {

class ServiceWatchdog {
 public:
  // All borrowed: `pool` and `notifier` outlive this, and the pool is stopped (its threads
  // joined) before this is destroyed. Runs on `control`'s thread.
  ServiceWatchdog(boost::asio::io_context& control, WorkerPool& pool, const SystemdNotifier& notifier);

  // Does nothing when systemd asked for no watchdog. Call after the pool started.
  void start();
  void stop();

  std::chrono::microseconds pingPeriod() const { return notifier_.watchdogPeriod() / 2; }
  // The first worker whose heartbeat is older than `maxAge`, if any (any thread).
  std::optional<size_t> stalledWorker(std::chrono::steady_clock::duration maxAge) const;

 private:
  // One worker's heartbeat: `timer` runs on that worker's loop and stamps `last`.
  struct Heartbeat {
    explicit Heartbeat(Worker& w) : worker(w), timer(w.io()) {}
    Worker& worker;  // borrowed
    boost::asio::steady_timer timer;  // used on `worker` only
    std::atomic<std::chrono::steady_clock::rep> last{0};
  };

  WorkerPool& pool_;                 // borrowed
  const SystemdNotifier& notifier_;  // borrowed
  boost::asio::steady_timer timer_;
  std::vector<std::unique_ptr<Heartbeat>> beats_;
  std::chrono::milliseconds beatPeriod_{0};
  bool stalled_ = false;  // a stall was logged and not yet recovered from

  void beat(Heartbeat& h);
  void schedule();
  void tick();
};

}  // namespace sluice::core
