#include "load/LoadWorker.h"

#include <time.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <future>

#include "core/Clock.h"

namespace sluice::load {
namespace {

// Fine enough for the 5 ms NACK polling and the ICE/DTLS retransmission timers.
constexpr auto kTickInterval = std::chrono::milliseconds(5);

// Runs `fn` on the worker thread and waits for its result.
template <class Fn>
auto runOn(boost::asio::io_context& io, Fn fn) -> decltype(fn()) {
  std::promise<decltype(fn())> done;
  auto result = done.get_future();
  boost::asio::post(io, [&] { done.set_value(fn()); });
  return result.get();
}

}  // namespace

LoadWorker::LoadWorker(core::Worker& worker)
    : worker_(worker), batch_(std::make_unique<RecvBatch>()), timer_(worker.io()) {}

void LoadWorker::startTicking() {
  boost::asio::post(io(), [this] {
    ticking_ = true;
    scheduleTick();
  });
}

void LoadWorker::stopTicking() {
  runOn(io(), [this] {
    ticking_ = false;
    timer_.cancel();
    return 0;
  });
}

void LoadWorker::scheduleTick() {
  timer_.expires_after(kTickInterval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !ticking_) return;
    const int64_t now = core::monotonicUs();
    for (const auto& s : sessions_) s->tick(now);
    scheduleTick();
  });
}

void LoadWorker::add(std::shared_ptr<WorkerSession> session) {
  boost::asio::post(io(), [this, session = std::move(session)] {
    sessions_.push_back(session);
    session->start();
  });
}

SessionResult LoadWorker::finish(std::shared_ptr<WorkerSession> session) {
  return runOn(io(), [&] {
    session->close();
    sessions_.erase(std::remove(sessions_.begin(), sessions_.end(), session), sessions_.end());
    SessionResult result = session->result();
    // The last reference goes on this thread (here or in the cancelled read handler), so the
    // descriptor is deregistered from the reactor by the thread that runs it.
    session.reset();
    return result;
  });
}

double LoadWorker::cpuSeconds() {
  return runOn(io(), [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  });
}

}  // namespace sluice::load
