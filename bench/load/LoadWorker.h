#pragma once
// One data-plane thread of sluice-load: its io_context (from core::WorkerPool) drives the
// sockets of the sessions placed on it (WHEP viewers and RTSP readers alike), one timer
// ticks them all every 5 ms, and one RecvBatch serves all their recvmmsg calls.
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "core/WorkerPool.h"
#include "load/RecvBatch.h"
#include "load/SessionResult.h"
#include "load/WorkerSession.h"

namespace sluice::load {

class LoadWorker {
 public:
  explicit LoadWorker(core::Worker& worker);
  LoadWorker(const LoadWorker&) = delete;
  LoadWorker& operator=(const LoadWorker&) = delete;

  boost::asio::io_context& io() { return worker_.io(); }
  RecvBatch& batch() { return *batch_; }

  // ---- control thread; these hand work to the worker thread ----
  void startTicking();
  void add(std::shared_ptr<WorkerSession> session);
  // Closes the session on its thread and returns what it measured; the caller must hold no
  // other reference.
  SessionResult finish(std::shared_ptr<WorkerSession> session);
  // CPU seconds the worker thread has used so far.
  double cpuSeconds();
  void stopTicking();

 private:
  void scheduleTick();

  core::Worker& worker_;
  std::unique_ptr<RecvBatch> batch_;
  boost::asio::steady_timer timer_;
  bool ticking_ = false;                                  // worker thread
  std::vector<std::shared_ptr<WorkerSession>> sessions_;  // worker thread
};

}  // namespace sluice::load
