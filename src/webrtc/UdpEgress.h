#pragma once
// Batched UDP egress of one worker: datagrams are written straight into a fixed arena,
// and everything queued during an event-loop turn leaves with one sendmmsg(2) at the end
// of the turn (or earlier when the arena is full). Never allocates, never blocks: a full
// socket drops the rest of the batch (counted) so one slow viewer cannot stall a worker.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

#include "core/HandlerMemory.h"

namespace sluice::webrtc {

struct UdpEgressStats {
  std::atomic<uint64_t> datagramsSent{0};
  std::atomic<uint64_t> bytesSent{0};
  std::atomic<uint64_t> datagramsDropped{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> syscalls{0};  // sendmmsg calls (a batch may need more than one)
  std::atomic<uint64_t> messages{0};  // messages handed to the kernel: a GSO run counts once
};

class UdpEgress {
 public:
  static constexpr size_t kSlotSize = 1536;
  static constexpr size_t kSlots = 128;

  UdpEgress(boost::asio::io_context& io, int fd) : io_(io), fd_(fd) {}
  UdpEgress(const UdpEgress&) = delete;
  UdpEgress& operator=(const UdpEgress&) = delete;

  // A buffer of kSlotSize bytes for the next datagram. Valid until commit() or flush().
  uint8_t* slot();
  // Queues the datagram written into slot(); the first commit of a turn schedules the flush
  // (one posted flush per turn, however often the arena fills).
  void commit(size_t size, const sockaddr_storage& to, socklen_t toLength);
  // Sends everything queued now.
  void flush();
  // Sends what is queued, then never touches the socket again (it is shared by every worker's
  // egress and closed by the server once all of them are closed). Later datagrams are discarded.
  void close();

  const UdpEgressStats& stats() const { return stats_; }
  // UDP GSO (UDP_SEGMENT) is used unless the kernel refused it once.
  bool gsoEnabled() const { return gso_; }
  void setGsoEnabled(bool on) { gso_ = on; }

 private:
  // Orders the queued datagrams by destination and RTP stream (stable, so each stream's order
  // holds) and joins runs of equal-size datagrams to one destination into one GSO message.
  size_t buildMessages();
  size_t sendMessages(size_t messages);

  boost::asio::io_context& io_;
  int fd_;
  size_t count_ = 0;
  bool flushScheduled_ = false;
  // The posted flush's operation (one is pending at most); shared with it.
  std::shared_ptr<core::SmallHandlerMemory> flushMemory_ = std::make_shared<core::SmallHandlerMemory>();
  alignas(64) std::array<std::array<uint8_t, kSlotSize>, kSlots> arena_;
  std::array<sockaddr_storage, kSlots> addrs_;
  std::array<socklen_t, kSlots> addrLengths_;
  std::array<uint32_t, kSlots> flows_;  // the RTP stream (SSRC) of each datagram, 0 if not RTP
  std::array<iovec, kSlots> iov_;
  std::array<mmsghdr, kSlots> msgs_;
  // GSO path: datagram order by destination, per-message iovecs and control data.
  std::array<uint16_t, kSlots> order_;
  std::array<iovec, kSlots> gsoIov_;
  std::array<uint16_t, kSlots> msgFirst_;  // first datagram (in order_) of each message
  std::array<uint16_t, kSlots> msgCount_;  // datagrams in each message
  alignas(cmsghdr) std::array<std::array<uint8_t, CMSG_SPACE(sizeof(uint16_t))>, kSlots> control_;
  bool gso_ = true;
  UdpEgressStats stats_;
};

}  // namespace sluice::webrtc
