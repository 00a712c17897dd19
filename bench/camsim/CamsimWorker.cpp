#include "camsim/CamsimWorker.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <limits>

#include "camsim/CamsimSession.h"
#include "core/Clock.h"

namespace sluice::camsim {
namespace {
// Streams due within this window of a wake-up go out in the same tick, up to 1 ms early:
// fewer wake-ups and bigger sendmmsg batches, far below a frame interval of jitter.
constexpr int64_t kCoalesceUs = 1000;
constexpr int64_t kHousekeepingUs = 1000000;
}  // namespace

CamsimWorker::CamsimWorker(boost::asio::io_context& io, uint32_t sessionTimeoutSeconds)
    : io_(io), sessionTimeoutSeconds_(sessionTimeoutSeconds), timer_(io), udp_(io) {}

bool CamsimWorker::openUdp(const boost::asio::ip::address_v4& address, std::string& error) {
  return udp_.open(address, error);
}

void CamsimWorker::start() {
  boost::asio::post(io_, [this] {
    udp_.startReceiving([this](const sockaddr_in& from) {
      auto it = udpPeers_.find(peerKey(from));
      if (it != udpPeers_.end()) it->second->touch(core::monotonicUs());
    });
    onTick();
  });
}

void CamsimWorker::shutdown() {
  stopped_ = true;
  timer_.cancel();
  // close() only posts the registry removal, so iterating here is safe.
  for (auto& [raw, session] : sessions_) session->close("shutting down");
  sessions_.clear();
  udpPeers_.clear();
  udp_.close();
}

void CamsimWorker::adopt(std::shared_ptr<CamsimSession> session) {
  CamsimSession* raw = session.get();
  if (sessions_.emplace(raw, std::move(session)).second)
    counters_.sessions.fetch_add(1, std::memory_order_relaxed);
}

void CamsimWorker::forget(CamsimSession* session) {
  if (sessions_.erase(session) > 0) counters_.sessions.fetch_sub(1, std::memory_order_relaxed);
}

uint64_t CamsimWorker::peerKey(const sockaddr_in& peer) {
  return (uint64_t{ntohl(peer.sin_addr.s_addr)} << 16) | ntohs(peer.sin_port);
}

void CamsimWorker::registerUdpPeer(const sockaddr_in& peer, CamsimSession* session) {
  udpPeers_[peerKey(peer)] = session;
}

void CamsimWorker::unregisterUdpPeer(const sockaddr_in& peer, CamsimSession* session) {
  auto it = udpPeers_.find(peerKey(peer));
  if (it != udpPeers_.end() && it->second == session) udpPeers_.erase(it);
}

void CamsimWorker::scheduleTick(int64_t atUs) {
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::microseconds(atUs)));
  timer_.async_wait(withMemory(timerMemory_, [this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    onTick();
  }));
}

void CamsimWorker::onTick() {
  if (stopped_) return;
  int64_t now = core::monotonicUs();
  int64_t horizon = now + kCoalesceUs;
  int64_t next = std::numeric_limits<int64_t>::max();
  uint64_t deliveries = 0;
  // At most one frame (and one audio packet) per stream per tick: a stream that is behind
  // is simply due again at once, and a frame's slot stays valid until the UDP flush below.
  for (auto& s : streams_) {
    if (s->nextDeadlineUs() <= horizon) deliveries += s->sendDue(now, horizon, udp_);
    next = std::min(next, s->nextDeadlineUs());
  }
  udp_.flush();
  counters_.framesSent.fetch_add(deliveries, std::memory_order_relaxed);
  counters_.ticks.fetch_add(1, std::memory_order_relaxed);
  if (now >= nextHousekeepingUs_) {
    expireQuietSessions(now);
    nextHousekeepingUs_ = now + kHousekeepingUs;
  }
  scheduleTick(std::min(next, nextHousekeepingUs_));
}

void CamsimWorker::expireQuietSessions(int64_t nowUs) {
  // close() posts the registry removal, so the map does not change under the loop.
  for (auto& [raw, session] : sessions_) session->expireIfQuiet(nowUs);
}

}  // namespace sluice::camsim
