#pragma once
// The WebRTC state of one worker thread: its batched egress and the sessions it owns,
// driven by one periodic tick (SR timers, consent and handshake deadlines, DTLS
// retransmissions) instead of a timer per session.
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "core/WorkerPool.h"
#include "webrtc/UdpEgress.h"

namespace sluice::webrtc {

class WebrtcSession;

class WebrtcWorker {
 public:
  WebrtcWorker(core::Worker& worker, int udpFd);
  core::Worker& worker() { return worker_; }
  boost::asio::io_context& io() { return worker_.io(); }
  UdpEgress& egress() { return egress_; }
  int udpFd() const { return fd_; }

  // Worker thread only.
  void add(std::shared_ptr<WebrtcSession> session);
  void remove(WebrtcSession* session);
  size_t sessionCount() const { return sessions_.size(); }

  void start();
  void stop();

 private:
  void scheduleTick();
  void tick();

  core::Worker& worker_;
  int fd_;
  UdpEgress egress_;
  boost::asio::steady_timer timer_;
  std::vector<std::shared_ptr<WebrtcSession>> sessions_;
  bool stopped_ = false;
};

}  // namespace sluice::webrtc
