#include "core/WorkerPool.h"

#include <pthread.h>

#include <string>

namespace sluice::core {

Worker::Worker(size_t index) : index_(index), guard_(boost::asio::make_work_guard(io_)) {}

void Worker::start() {
  thread_ = std::thread([this] {
    threadId_ = std::this_thread::get_id();
    std::string name = "sluice-w" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.c_str());
    io_.run();
  });
}

void Worker::stop() {
  guard_.reset();
  io_.stop();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

WorkerPool::WorkerPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>(i));
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
