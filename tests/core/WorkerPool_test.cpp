#include "core/WorkerPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <thread>

namespace sluice::core {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Posts a handler that records when it ran, and waits for it.
Clock::time_point runAndTime(Worker& worker) {
  std::atomic<int64_t> ranAt{0};
  boost::asio::post(worker.io(), [&] { ranAt.store(Clock::now().time_since_epoch().count()); });
  const auto deadline = Clock::now() + 5s;
  while (ranAt.load() == 0 && Clock::now() < deadline) std::this_thread::sleep_for(100us);
  EXPECT_NE(ranAt.load(), 0) << "the handler never ran";
  return Clock::time_point(Clock::duration(ranAt.load()));
}

// What arrives while a worker sleeps out its turn waits for the turn's end: the batching that
// saves wake-ups. (Only the lower bound is asserted: a loaded machine may wake it later.)
TEST(Worker, WorkArrivingWithinATurnWaitsForTheTurnToEnd) {
  Worker worker(0, std::chrono::microseconds(60ms));
  worker.start();
  const auto first = runAndTime(worker);
  std::this_thread::sleep_for(5ms);  // within the turn that `first` started
  const auto second = runAndTime(worker);
  EXPECT_GE(second - first, 55ms);
  worker.stop();
  const auto stopping = Clock::now();
  worker.join();
  EXPECT_LT(Clock::now() - stopping, 2s) << "a sleeping worker must still stop";
}

// A pool passes its minimum turn to every worker; with none (the bench tools' pools) the
// workers run as plain event loops. Either way every posted handler runs, and stop() stops.
TEST(WorkerPool, RunsEveryHandlerWithOrWithoutAMinimumTurn) {
  for (auto turn : {std::chrono::microseconds(0), std::chrono::microseconds(2ms)}) {
    WorkerPool pool(2, turn);
    pool.start();
    std::atomic<int> ran{0};
    for (int i = 0; i < 200; ++i) boost::asio::post(pool.at(static_cast<size_t>(i % 2)).io(), [&] { ++ran; });
    const auto deadline = Clock::now() + 5s;
    while (ran.load() < 200 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(ran.load(), 200) << "turn " << turn.count() << " us";
    pool.stop();
  }
}

}  // namespace
}  // namespace sluice::core
