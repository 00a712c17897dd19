#pragma once
// MediaMTX's reconnect policy for camera sources (staticsources/handler.go): after any
// error, wait a fixed 5 s and start again from scratch; no back-off, no give-up. The owner
// calls schedule() from its RtspClient onClosed callback (unless it closed the client
// itself) and builds a new RtspClient in `restart`.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace sluice::rtsp {

class RtspSourceRetry {
 public:
  static constexpr std::chrono::milliseconds kRetryPause{5000};

  explicit RtspSourceRetry(boost::asio::io_context& io, std::chrono::milliseconds pause = kRetryPause);
  ~RtspSourceRetry();
  RtspSourceRetry(const RtspSourceRetry&) = delete;
  RtspSourceRetry& operator=(const RtspSourceRetry&) = delete;

  // Runs `restart` on the io_context after the pause; replaces a pending restart.
  void schedule(std::function<void()> restart);
  // Drops a pending restart; it will not run, even if its timer already fired.
  void cancel();
  bool pending() const { return pending_; }
  std::chrono::milliseconds pause() const { return pause_; }

 private:
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds pause_;
  std::shared_ptr<uint64_t> generation_;  // shared with waiting handlers: outlives this object
  bool pending_ = false;
};

}  // namespace sluice::rtsp
