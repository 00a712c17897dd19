#pragma once
// One event-loop thread of the simulator: it owns a share of the streams, the sessions
// playing them, and a UDP port pair. A single timer walks all of its streams that are due
// (never a timer per stream), then flushes the tick's UDP datagrams in one batch, and once
// a second expires UDP sessions that went quiet.
//
// Everything here is used on the worker's thread only, except the counters (read by the
// statistics line) and io() (to post work in).
#include <netinet/in.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "camsim/CamsimHandlerMemory.h"
#include "camsim/CamsimStream.h"
#include "camsim/CamsimUdpSender.h"

namespace sluice::camsim {

class CamsimSession;

struct CamsimCounters {
  std::atomic<int64_t> sessions{0};     // RTSP connections on this worker
  std::atomic<int64_t> playing{0};      // sessions receiving media
  std::atomic<uint64_t> framesSent{0};  // frame × session deliveries
  std::atomic<uint64_t> tcpBytes{0};
  std::atomic<uint64_t> tcpFramesDropped{0};
  std::atomic<uint64_t> ticks{0};
};

class CamsimWorker {
 public:
  // `sessionTimeoutSeconds`: how long a UDP session may stay silent (RTSP, RTCP) before it
  // is closed; announced in the Session header.
  CamsimWorker(boost::asio::io_context& io, uint32_t sessionTimeoutSeconds);
  CamsimWorker(const CamsimWorker&) = delete;
  CamsimWorker& operator=(const CamsimWorker&) = delete;

  boost::asio::io_context& io() { return io_; }
  CamsimUdpSender& udp() { return udp_; }
  uint32_t sessionTimeoutSeconds() const { return sessionTimeoutSeconds_; }
  CamsimCounters& counters() { return counters_; }
  const CamsimCounters& counters() const { return counters_; }

  // Before start(), from any one thread.
  bool openUdp(const boost::asio::ip::address_v4& address, std::string& error);
  void addStream(std::unique_ptr<CamsimStream> stream) { streams_.push_back(std::move(stream)); }

  // Posts the start of the tick loop and of UDP reception.
  void start();
  // On the worker's thread: stops the timer and closes every session and socket, so the
  // io_context has nothing left that could touch this object.
  void shutdown();

  // Session registry (worker thread). The registry owns the sessions.
  void adopt(std::shared_ptr<CamsimSession> session);
  void forget(CamsimSession* session);
  void registerUdpPeer(const sockaddr_in& peer, CamsimSession* session);
  void unregisterUdpPeer(const sockaddr_in& peer, CamsimSession* session);

 private:
  void scheduleTick(int64_t atUs);
  void onTick();
  void expireQuietSessions(int64_t nowUs);
  static uint64_t peerKey(const sockaddr_in& peer);

  boost::asio::io_context& io_;
  uint32_t sessionTimeoutSeconds_;
  boost::asio::steady_timer timer_;
  CamsimHandlerMemory timerMemory_;
  CamsimUdpSender udp_;
  std::vector<std::unique_ptr<CamsimStream>> streams_;
  std::unordered_map<CamsimSession*, std::shared_ptr<CamsimSession>> sessions_;
  std::unordered_map<uint64_t, CamsimSession*> udpPeers_;  // client RTP/RTCP address → session
  int64_t nextHousekeepingUs_ = 0;
  bool stopped_ = false;
  CamsimCounters counters_;
};

}  // namespace sluice::camsim
