#pragma once
// A fixed set of event-loop threads, one io_context each (default: one per core).
// Everything mutable belongs to exactly one worker; other threads reach it by post().
// No thread is ever created per stream, viewer or timer.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace sluice::core {

class Worker {
 public:
  // minTurn: the shortest event-loop turn. A worker that wakes for some packets handles them,
  // then sleeps out the rest of the turn before it looks again, so what arrives meanwhile
  // (other cameras' packets, the rest of a frame, audio) is read and sent in the next batch:
  // fewer wake-ups and system calls for at most minTurn of added latency. A worker whose work
  // takes longer than a turn never sleeps. Zero: every event is handled as soon as it arrives.
  explicit Worker(size_t index, std::chrono::microseconds minTurn = {});
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& io() { return io_; }
  size_t index() const { return index_; }
  bool inThisThread() const { return std::this_thread::get_id() == threadId_; }

  void start();
  void stop();
  void join();

 private:
  void loop();

  size_t index_;
  std::chrono::microseconds minTurn_;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
  std::thread::id threadId_{};
};

class WorkerPool {
 public:
  // threads == 0 means one per core. minTurn: see Worker.
  explicit WorkerPool(size_t threads = 0, std::chrono::microseconds minTurn = {});
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
