#pragma once
// The WebRTC state of one worker thread: its batched egress, the sessions it owns, driven by
// one periodic tick (SR timers, consent and handshake deadlines, DTLS retransmissions) instead
// of a timer per session, and the inbox through which the UDP mux (worker 0) hands it the
// viewers' datagrams without allocating.
#include <array>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/HandlerMemory.h"
#include "core/UdpSendBatch.h"
#include "core/WorkerPool.h"

namespace sluice::webrtc {

class WebrtcSession;

class WebrtcWorker {
 public:
  WebrtcWorker(core::Worker& worker, int udpFd);
  core::Worker& worker() { return worker_; }
  boost::asio::io_context& io() { return worker_.io(); }
  core::UdpSendBatch& egress() { return *egress_; }
  int udpFd() const { return fd_; }

  // Worker thread only.
  void add(std::shared_ptr<WebrtcSession> session);
  void remove(WebrtcSession* session);
  size_t sessionCount() const { return sessions_.size(); }

  void start();
  void stop();

  // The UDP mux's thread (worker 0) only: hands `session` (of this worker) one datagram from its
  // viewer. Copied into a fixed inbox slot and delivered on this worker in order; with every
  // slot taken (the worker is stalled) the datagram is dropped and counted. Never allocates.
  void postDatagram(const std::shared_ptr<WebrtcSession>& session, const uint8_t* data, size_t size);
  uint64_t inboxDropped() const { return inboxDropped_.load(std::memory_order_relaxed); }

  static constexpr size_t kInboxSlots = 64;
  static constexpr size_t kInboxDatagram = 2048;  // the mux's receive buffer

 private:
  struct InboxSlot {
    std::shared_ptr<WebrtcSession> session;
    size_t size = 0;
    uint8_t data[kInboxDatagram];
    core::SmallHandlerMemory memory;  // the posted delivery's operation
  };
  struct Inbox {
    std::array<InboxSlot, kInboxSlots> slots;
  };

  void scheduleTick();
  void tick();
  void deliverInboxSlot();

  core::Worker& worker_;
  int fd_;
  std::shared_ptr<core::UdpSendBatch> egress_;  // owned (shared with its pending flush)
  boost::asio::steady_timer timer_;
  std::vector<std::shared_ptr<WebrtcSession>> sessions_;
  bool stopped_ = false;
  std::shared_ptr<core::SmallHandlerMemory> tickMemory_ =
      std::make_shared<core::SmallHandlerMemory>();  // the tick timer's wait
  // Single producer (worker 0), single consumer (this worker): slot i % kInboxSlots holds
  // datagram i; head counts datagrams posted, tail datagrams delivered. Shared with the pending
  // deliveries' operations (see core/HandlerMemory.h).
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
  std::atomic<uint64_t> inboxHead_{0};
  std::atomic<uint64_t> inboxTail_{0};
  std::atomic<uint64_t> inboxDropped_{0};
};

}  // namespace sluice::webrtc
