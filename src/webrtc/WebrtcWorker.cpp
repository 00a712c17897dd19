#include "webrtc/WebrtcWorker.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cassert>
#include <cstring>

#include "core/Clock.h"
#include "webrtc/WebrtcSession.h"

namespace sluice::webrtc {

namespace {
constexpr auto kTickPeriod = std::chrono::milliseconds(50);
}

WebrtcWorker::WebrtcWorker(core::Worker& worker, int udpFd)
    : worker_(worker),
      fd_(udpFd),
      egress_(std::make_shared<core::UdpSendBatch>(worker.io(), udpFd)),
      timer_(worker.io()) {}

void WebrtcWorker::add(std::shared_ptr<WebrtcSession> session) { sessions_.push_back(std::move(session)); }

void WebrtcWorker::remove(WebrtcSession* session) {
  auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](auto& s) { return s.get() == session; });
  if (it != sessions_.end()) {
    // Keep the session alive until the end of this handler: it may be calling us.
    auto keep = std::move(*it);
    sessions_.erase(it);
    boost::asio::post(io(), [keep] {});
  }
}

void WebrtcWorker::start() { scheduleTick(); }

void WebrtcWorker::stop() {
  stopped_ = true;
  timer_.cancel();
  auto sessions = sessions_;
  for (auto& s : sessions) s->close("server shutting down");
}

void WebrtcWorker::scheduleTick() {
  if (stopped_) return;
  timer_.expires_after(kTickPeriod);
  timer_.async_wait(core::withMemory(tickMemory_, [this](const boost::system::error_code& ec) {
    if (ec) return;
    tick();
    scheduleTick();
  }));
}

void WebrtcWorker::tick() {
  const int64_t now = core::monotonicUs();
  // A session may close during its tick and remove itself (remove() keeps it alive until the
  // handler ends): then the next one has moved to its index. Nothing is copied per tick.
  for (size_t i = 0; i < sessions_.size();) {
    WebrtcSession* s = sessions_[i].get();
    s->tick(now);
    if (i < sessions_.size() && sessions_[i].get() == s) ++i;
  }
}

void WebrtcWorker::postDatagram(const std::shared_ptr<WebrtcSession>& session, const uint8_t* data,
                                size_t size) {
  const uint64_t head = inboxHead_.load(std::memory_order_relaxed);
  if (size > kInboxDatagram || head - inboxTail_.load(std::memory_order_acquire) >= kInboxSlots) {
    inboxDropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  InboxSlot& slot = inbox_->slots[head % kInboxSlots];
  slot.session = session;
  std::memcpy(slot.data, data, size);
  slot.size = size;
  inboxHead_.store(head + 1, std::memory_order_release);
  // The operation lives in the slot; the aliasing pointer shares the inbox's ownership.
  std::shared_ptr<core::SmallHandlerMemory> memory(inbox_, &slot.memory);
  boost::asio::post(io(), core::withMemory(memory, [this] { deliverInboxSlot(); }));
}

void WebrtcWorker::deliverInboxSlot() {
  assert(worker_.inThisThread());
  // One posted delivery per slot, run in posting order: this one's datagram is at the tail.
  const uint64_t tail = inboxTail_.load(std::memory_order_relaxed);
  assert(tail < inboxHead_.load(std::memory_order_acquire));
  InboxSlot& slot = inbox_->slots[tail % kInboxSlots];
  std::shared_ptr<WebrtcSession> session = std::move(slot.session);
  session->onDatagram(slot.data, slot.size);
  inboxTail_.store(tail + 1, std::memory_order_release);  // the producer may reuse the slot
}

}  // namespace sluice::webrtc
