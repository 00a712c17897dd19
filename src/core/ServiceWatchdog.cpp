#include "core/ServiceWatchdog.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cassert>

#include "core/Log.h"

namespace sluice::core {

namespace {
std::chrono::steady_clock::rep nowStamp() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}
long long millis(std::chrono::microseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
}  // namespace

ServiceWatchdog::ServiceWatchdog(boost::asio::io_context& control, WorkerPool& pool,
                                 const SystemdNotifier& notifier)
    : pool_(pool), notifier_(notifier), timer_(control) {}

void ServiceWatchdog::start() {
  if (!notifier_.enabled() || notifier_.watchdogPeriod().count() == 0) return;
  // Workers beat twice per ping period, so a healthy one is never older than half of it.
  beatPeriod_ = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(pingPeriod() / 2),
                         std::chrono::milliseconds(1));
  for (size_t i = 0; i < pool_.size(); ++i) {
    beats_.push_back(std::make_unique<Heartbeat>(pool_.at(i)));
    Heartbeat& h = *beats_.back();
    h.last.store(nowStamp());  // alive from now on: the first check sees no old stamp
    boost::asio::post(h.worker.io(), [this, &h] { beat(h); });
  }
  log::info("systemd watchdog: a ping every {} ms while every worker loop runs", millis(pingPeriod()));
  schedule();
}

void ServiceWatchdog::stop() {
  timer_.cancel();
  for (auto& b : beats_) {
    boost::asio::post(b->worker.io(), [&h = *b] { h.timer.cancel(); });
  }
}

void ServiceWatchdog::beat(Heartbeat& h) {
  assert(h.worker.inThisThread());
  h.last.store(nowStamp());
  h.timer.expires_after(beatPeriod_);
  h.timer.async_wait([this, &h](const boost::system::error_code& ec) {
    if (!ec) beat(h);
  });
}

std::optional<size_t> ServiceWatchdog::stalledWorker(std::chrono::steady_clock::duration maxAge) const {
  const auto now = nowStamp();
  for (const auto& b : beats_) {
    if (now - b->last.load() > maxAge.count()) return b->worker.index();
  }
  return std::nullopt;
}

void ServiceWatchdog::schedule() {
  timer_.expires_after(pingPeriod());
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    tick();
    schedule();
  });
}

void ServiceWatchdog::tick() {
  if (auto worker = stalledWorker(pingPeriod())) {
    if (!stalled_) {
      log::error("worker {} has not run its loop for over {} ms: no longer feeding the systemd watchdog",
                 *worker, millis(pingPeriod()));
    }
    stalled_ = true;
    return;
  }
  if (stalled_) log::warn("every worker loop runs again: feeding the systemd watchdog");
  stalled_ = false;
  if (!notifier_.send("WATCHDOG=1")) log::warn("systemd watchdog ping could not be sent");
}

}  // namespace sluice::core
