#pragma once
// A worker's server UDP port pair (RTP on an even port, RTCP on the next) shared by all of
// its UDP sessions, with the datagrams of a whole tick leaving in one sendmmsg(2) per
// socket. Datagrams point at the stream's frame slot and the session's report buffer, both
// valid until the flush at the end of the tick, so nothing is copied. A full socket drops
// the rest of the batch (counted) instead of blocking the worker.
//
// It also drains what clients send to the pair (RTCP receiver reports, NAT "punch"
// packets): every datagram proves the sender alive.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "camsim/CamsimHandlerMemory.h"

namespace sluice::camsim {

class CamsimUdpSender {
 public:
  // Called for every datagram received on either port, with its source.
  using ActivityHandler = std::function<void(const sockaddr_in& from)>;

  explicit CamsimUdpSender(boost::asio::io_context& io);
  CamsimUdpSender(const CamsimUdpSender&) = delete;
  CamsimUdpSender& operator=(const CamsimUdpSender&) = delete;

  // Binds an even/odd pair on `address` (IPv4). False with `error` if none could be bound.
  bool open(const boost::asio::ip::address_v4& address, std::string& error);
  void startReceiving(ActivityHandler onActivity);
  void close();

  uint16_t rtpPort() const { return rtpPort_; }
  uint16_t rtcpPort() const { return static_cast<uint16_t>(rtpPort_ + 1); }

  // `to` and `data` must stay valid until flush().
  void addRtp(const sockaddr_in& to, const uint8_t* data, size_t size) { add(rtp_, to, data, size); }
  void addRtcp(const sockaddr_in& to, const uint8_t* data, size_t size) { add(rtcp_, to, data, size); }
  void flush();

  uint64_t datagramsSent() const { return sent_.load(std::memory_order_relaxed); }
  uint64_t bytesSent() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t datagramsDropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBatch = 512;

  struct Batch {
    int fd = -1;
    size_t count = 0;
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iov{};
  };
  struct Receiver {
    explicit Receiver(boost::asio::io_context& io) : socket(io) {}
    boost::asio::ip::udp::socket socket;
    boost::asio::ip::udp::endpoint from;
    std::array<uint8_t, 2048> buffer{};
    CamsimHandlerMemory memory;
  };

  void add(Batch& batch, const sockaddr_in& to, const uint8_t* data, size_t size);
  void send(Batch& batch);
  void receive(Receiver& r);

  Receiver rtpRx_, rtcpRx_;
  Batch rtp_, rtcp_;
  uint16_t rtpPort_ = 0;
  ActivityHandler onActivity_;
  std::atomic<uint64_t> sent_{0}, bytes_{0}, dropped_{0};
};

}  // namespace sluice::camsim
