#pragma once
// One worker's outgoing UDP datagrams to one socket, batched: each datagram is written straight
// into a fixed arena, and everything queued during an event-loop turn leaves with one
// sendmmsg(2) at the end of the turn (or earlier when the arena is full). Equal-size datagrams
// to one destination and RTP stream leave as one UDP GSO message (UDP_SEGMENT) where the kernel
// takes it. Never allocates, locks or blocks: a full socket drops the rest of the batch, counted
// for the batch and for the owner of each datagram, so one slow receiver cannot stall a worker.
// Used by WebRTC viewers (SRTP written into slot()) and RTSP/UDP readers (stored packets copied
// with send()).
//
// Thread: the worker's only (asserted in debug builds). Held by shared_ptr: the turn's posted
// flush shares it. An owner that passed a drop counter calls flush() before the counter goes.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <thread>

#include "core/HandlerMemory.h"

namespace sluice::core {

struct UdpSendBatchStats {
  std::atomic<uint64_t> datagramsSent{0};
  std::atomic<uint64_t> bytesSent{0};
  std::atomic<uint64_t> datagramsDropped{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> syscalls{0};  // sendmmsg calls (a batch may need more than one)
  std::atomic<uint64_t> messages{0};  // messages handed to the kernel: a GSO run counts once
};

class UdpSendBatch : public std::enable_shared_from_this<UdpSendBatch> {
 public:
  static constexpr size_t kSlotSize = 1536;
  static constexpr size_t kSlots = 128;

  UdpSendBatch(boost::asio::io_context& worker, int fd) : io_(worker), fd_(fd) {}
  UdpSendBatch(const UdpSendBatch&) = delete;
  UdpSendBatch& operator=(const UdpSendBatch&) = delete;

  // A buffer of kSlotSize bytes for the next datagram. Valid until commit() or flush().
  uint8_t* slot();
  // Queues the datagram written into slot() to `to`. `dropped` (the owner's, or null) counts it
  // if it is never sent. The first commit of a turn schedules the flush (one posted flush per
  // turn, however often the arena fills). An empty or oversized datagram is dropped, counted.
  void commit(size_t size, const sockaddr_storage& to, socklen_t toLength,
              std::atomic<uint64_t>* dropped = nullptr);
  // slot(), a copy of `data`, commit().
  void send(const uint8_t* data, size_t size, const sockaddr_storage& to, socklen_t toLength,
            std::atomic<uint64_t>* dropped = nullptr);
  // Sends everything queued now.
  void flush();
  // Sends what is queued, then never touches the socket again (it may be shared by every
  // worker's batch and closed once all of them are closed). Later datagrams are discarded.
  void close();

  boost::asio::io_context& io() { return io_; }
  const UdpSendBatchStats& stats() const { return stats_; }
  // UDP GSO (UDP_SEGMENT) is used unless turned off or the kernel refused it once.
  bool gsoEnabled() const { return gso_; }
  void setGsoEnabled(bool on) { gso_ = on; }

 private:
  void assertOnWorker() const;
  // Orders the queued datagrams by destination and RTP stream (stable, so each stream's order
  // holds) into order_.
  void orderByDestination();
  // Builds the messages for order_[from..count_): runs of equal-size datagrams to one
  // destination become one GSO message. Returns how many.
  size_t buildMessages(size_t from);
  void drop(size_t message);

  boost::asio::io_context& io_;  // borrowed: the worker's, outlives this
  int fd_;                       // borrowed: the socket's owner closes it after close()
  size_t count_ = 0;
  bool flushScheduled_ = false;
  bool gso_ = true;
  // The posted flush's operation (one pending at most); shared with it.
  std::shared_ptr<SmallHandlerMemory> flushMemory_ = std::make_shared<SmallHandlerMemory>();
  alignas(64) std::array<std::array<uint8_t, kSlotSize>, kSlots> arena_;
  std::array<sockaddr_storage, kSlots> addrs_;
  std::array<socklen_t, kSlots> addrLengths_;
  std::array<uint32_t, kSlots> flows_;  // the RTP stream (SSRC) of each datagram, 0 if not RTP
  std::array<uint16_t, kSlots> sizes_;
  std::array<std::atomic<uint64_t>*, kSlots> dropped_{};  // borrowed: the owners' counters
  // The turn's messages: datagram order by destination, per-message iovecs and control data.
  std::array<uint16_t, kSlots> order_;
  std::array<iovec, kSlots> iov_;
  std::array<mmsghdr, kSlots> msgs_;
  std::array<uint16_t, kSlots> msgFirst_;  // first datagram (in order_) of each message
  std::array<uint16_t, kSlots> msgCount_;  // datagrams in each message
  alignas(cmsghdr) std::array<std::array<uint8_t, CMSG_SPACE(sizeof(uint16_t))>, kSlots> control_;
  UdpSendBatchStats stats_;
#ifndef NDEBUG
  mutable std::atomic<std::thread::id> thread_{};  // the owning thread, once it first used this
#endif
};

}  // namespace sluice::core
