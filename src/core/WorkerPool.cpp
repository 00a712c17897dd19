#include "core/WorkerPool.h"

#include <pthread.h>

#include <string>

namespace sluice::core {

Worker::Worker(size_t index, std::chrono::microseconds minTurn)
    : index_(index), minTurn_(minTurn), guard_(boost::asio::make_work_guard(io_)) {}

void Worker::start() {
  thread_ = std::thread([this] {
    threadId_ = std::this_thread::get_id();
    std::string name = "sluice-w" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.c_str());
    loop();
  });
}

void Worker::loop() {
  if (minTurn_.count() <= 0) {
    io_.run();
    return;
  }
  while (!io_.stopped()) {
    if (io_.run_one() == 0) return;  // stopped
    const auto woke = std::chrono::steady_clock::now();
    io_.poll();  // everything else that is ready, including what this turn posted
    std::this_thread::sleep_until(woke + minTurn_);
  }
}

void Worker::stop() {
  guard_.reset();
  io_.stop();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

WorkerPool::WorkerPool(size_t threads, std::chrono::microseconds minTurn) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>(i, minTurn));
}

WorkerPool::~WorkerPool() { stop(); }

Worker& WorkerPool::next() {
  Worker& w = *workers_[next_ % workers_.size()];
  ++next_;
  return w;
}

void WorkerPool::start() {
  for (auto& w : workers_) w->start();
}

void WorkerPool::stop() {
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
}

}  // namespace sluice::core
