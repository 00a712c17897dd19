#pragma once
// Batched RTP egress of one worker to the RTSP server's shared RTP socket (rtpAddress): the
// readers of every stream on the worker write their datagrams into a fixed arena, and what a
// turn of the event loop queued leaves in one sendmmsg(2) at its end (or sooner, when the arena
// is full). Never allocates, locks or blocks: a full socket drops the rest of the batch, counted
// for the server and for the reader each datagram belonged to. The same idea as WebRTC's egress
// (webrtc/UdpEgress), without SRTP or GSO: RTSP readers get the stored packets as they are.
//
// Thread: the worker's only. A reader calls flush() before it goes away, so that no queued
// datagram names a counter it owns.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

namespace sluice::rtsp {

struct RtspUdpEgressStats {
  std::atomic<uint64_t> datagramsSent{0}, bytesSent{0}, datagramsDropped{0}, syscalls{0};
};

class RtspUdpEgress : public std::enable_shared_from_this<RtspUdpEgress> {
 public:
  static constexpr size_t kSlotSize = 1500;
  static constexpr size_t kSlots = 128;

  RtspUdpEgress(boost::asio::io_context& worker, int fd) : io_(worker), fd_(fd) {}
  RtspUdpEgress(const RtspUdpEgress&) = delete;
  RtspUdpEgress& operator=(const RtspUdpEgress&) = delete;

  // Queues one datagram (copied; at most kSlotSize bytes, else dropped and counted) to `to`;
  // `dropped` (the reader's, or null) counts it if the socket refuses it.
  void send(const uint8_t* data, size_t size, const sockaddr_storage& to, socklen_t toLength,
            std::atomic<uint64_t>* dropped);
  // Sends everything queued now.
  void flush();

  boost::asio::io_context& io() { return io_; }
  const RtspUdpEgressStats& stats() const { return stats_; }

 private:
  void dropFrom(size_t first);

  boost::asio::io_context& io_;  // borrowed: the worker's
  int fd_;                       // borrowed: the server's RTP socket, open while readers live
  size_t count_ = 0;
  bool flushScheduled_ = false;
  alignas(64) std::array<std::array<uint8_t, kSlotSize>, kSlots> arena_;
  std::array<sockaddr_storage, kSlots> addrs_;
  std::array<iovec, kSlots> iov_;
  std::array<mmsghdr, kSlots> msgs_;
  std::array<std::atomic<uint64_t>*, kSlots> droppedCounters_{};
  RtspUdpEgressStats stats_;
};

}  // namespace sluice::rtsp
