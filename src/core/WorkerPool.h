#pragma once
// A fixed set of event-loop threads, one io_context each (default: one per core).
// Everything mutable belongs to exactly one worker; other threads reach it by post().
// No thread is ever created per stream, viewer or timer.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace sluice::core {

class Worker {
 public:
  explicit Worker(size_t index);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& io() { return io_; }
  size_t index() const { return index_; }
  bool inThisThread() const { return std::this_thread::get_id() == threadId_; }

  void start();
  void stop();
  void join();

 private:
  size_t index_;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
  std::thread::id threadId_{};
};

class WorkerPool {
 public:
  // threads == 0 means one per core.
  explicit WorkerPool(size_t threads = 0);
  ~WorkerPool();

  size_t size() const { return workers_.size(); }
  Worker& at(size_t i) { return *workers_.at(i); }
  // Round-robin placement for new streams.
  Worker& next();

  void start();
  void stop();

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  size_t next_ = 0;
};

}  // namespace sluice::core
