#include "core/UdpSendBatch.h"

#include <netinet/udp.h>

#include <boost/asio/post.hpp>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <thread>

namespace sluice::core {

namespace {
// The RTP stream a datagram belongs to (its SSRC; the header stays clear under SRTP), or 0 for
// anything else (DTLS, RTCP, STUN): grouping by it keeps each stream's order.
uint32_t flowOf(const uint8_t* d, size_t size) {
  if (size < 12 || (d[0] & 0xc0) != 0x80 || (d[1] >= 192 && d[1] <= 223)) return 0;
  return (uint32_t{d[8]} << 24) | (uint32_t{d[9]} << 16) | (uint32_t{d[10]} << 8) | d[11];
}

bool sameDestination(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(x.sin6_addr)) == 0;
  }
  return false;
}

constexpr size_t kMaxGsoSegments = 64;
constexpr size_t kMaxGsoBytes = 65000;
}  // namespace

void UdpSendBatch::assertOnWorker() const {
#ifndef NDEBUG
  // The first thread that queues or sends owns the batch: its worker (or a test's only thread).
  const std::thread::id self = std::this_thread::get_id();
  std::thread::id none{};
  thread_.compare_exchange_strong(none, self);
  assert(thread_.load() == self && "a worker's UdpSendBatch used from another thread");
#endif
}

uint8_t* UdpSendBatch::slot() {
  assertOnWorker();
  if (count_ == kSlots) flush();
  return arena_[count_].data();
}

void UdpSendBatch::commit(size_t size, const sockaddr_storage& to, socklen_t toLength,
                          std::atomic<uint64_t>* dropped) {
  if (size == 0 || size > kSlotSize || fd_ < 0) {
    stats_.datagramsDropped.fetch_add(1, std::memory_order_relaxed);
    if (dropped) dropped->fetch_add(1, std::memory_order_relaxed);
    return;
  }
  flows_[count_] = flowOf(arena_[count_].data(), size);
  sizes_[count_] = static_cast<uint16_t>(size);
  addrs_[count_] = to;
  addrLengths_[count_] = toLength;
  dropped_[count_] = dropped;
  ++count_;
  if (!flushScheduled_) {
    flushScheduled_ = true;
    // Runs after the handlers already queued in this turn: one syscall for all of them. An
    // early flush (a full arena) leaves it scheduled: it sends the rest of the turn, and no
    // second one is posted while it is pending.
    boost::asio::post(io_, withMemory(flushMemory_, [self = shared_from_this()] {
                        self->flushScheduled_ = false;
                        self->flush();
                      }));
  }
}

void UdpSendBatch::send(const uint8_t* data, size_t size, const sockaddr_storage& to, socklen_t toLength,
                        std::atomic<uint64_t>* dropped) {
  uint8_t* d = slot();
  if (size <= kSlotSize) std::memcpy(d, data, size);
  commit(size, to, toLength, dropped);
}

void UdpSendBatch::orderByDestination() {
  // Stable grouping by destination and, within it, by RTP stream, in order of first
  // appearance: a viewer's video packets of a turn stay one run of equal sizes (one GSO
  // message) instead of being cut by the audio packet that arrived between them; each
  // stream's own order is kept. O(n * groups in the batch), n <= kSlots; no allocation.
  size_t placed = 0;
  std::array<bool, kSlots> used{};
  for (size_t i = 0; i < count_; ++i) {
    if (used[i]) continue;
    for (size_t j = i; j < count_; ++j) {
      if (!used[j] && flows_[j] == flows_[i] && sameDestination(addrs_[i], addrs_[j])) {
        used[j] = true;
        order_[placed++] = static_cast<uint16_t>(j);
      }
    }
  }
}

size_t UdpSendBatch::buildMessages(size_t from) {
  size_t messages = 0;
  size_t k = from;
  while (k < count_) {
    const size_t first = k;
    const size_t segment = sizes_[order_[k]];
    size_t bytes = segment;
    ++k;
    // A GSO message: equal-size segments to one destination; only the last may be shorter.
    while (gso_ && k < count_ && k - first < kMaxGsoSegments &&
           sameDestination(addrs_[order_[first]], addrs_[order_[k]]) && sizes_[order_[k]] <= segment &&
           sizes_[order_[k - 1]] == segment && bytes + sizes_[order_[k]] <= kMaxGsoBytes) {
      bytes += sizes_[order_[k]];
      ++k;
    }
    for (size_t d = first; d < k; ++d) iov_[d] = {arena_[order_[d]].data(), sizes_[order_[d]]};
    mmsghdr& m = msgs_[messages];
    std::memset(&m, 0, sizeof(m));
    m.msg_hdr.msg_name = &addrs_[order_[first]];
    m.msg_hdr.msg_namelen = addrLengths_[order_[first]];
    m.msg_hdr.msg_iov = &iov_[first];
    m.msg_hdr.msg_iovlen = k - first;
    if (k - first > 1) {
      m.msg_hdr.msg_control = control_[messages].data();
      m.msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
      cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const auto size = static_cast<uint16_t>(segment);
      std::memcpy(CMSG_DATA(c), &size, sizeof(size));
    }
    msgFirst_[messages] = static_cast<uint16_t>(first);
    msgCount_[messages] = static_cast<uint16_t>(k - first);
    ++messages;
  }
  return messages;
}

void UdpSendBatch::drop(size_t message) {
  stats_.datagramsDropped.fetch_add(msgCount_[message], std::memory_order_relaxed);
  for (size_t d = 0; d < msgCount_[message]; ++d) {
    std::atomic<uint64_t>* counter = dropped_[order_[msgFirst_[message] + d]];
    if (counter) counter->fetch_add(1, std::memory_order_relaxed);
  }
}

void UdpSendBatch::close() {
  flush();
  fd_ = -1;
}

void UdpSendBatch::flush() {
  if (count_ == 0) return;  // from any thread: an owner's last flush may run after its worker
  assertOnWorker();
  orderByDestination();
  size_t messages = buildMessages(0);
  size_t done = 0;
  // Counted here and published once a turn: the stats are read by the API, not per packet.
  uint64_t syscalls = 0, sentMessages = 0, sentDatagrams = 0, sentBytes = 0;
  while (done < messages) {
    const int n = ::sendmmsg(fd_, &msgs_[done], static_cast<unsigned>(messages - done), MSG_DONTWAIT);
    ++syscalls;
    if (n > 0) {
      for (size_t m = done; m < done + static_cast<size_t>(n); ++m) {
        for (size_t d = 0; d < msgCount_[m]; ++d) sentBytes += sizes_[order_[msgFirst_[m] + d]];
        sentDatagrams += msgCount_[m];
      }
      sentMessages += static_cast<uint64_t>(n);
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      // Socket full: drop what is left of this turn rather than block the worker.
      for (size_t m = done; m < messages; ++m) drop(m);
      break;
    }
    if (n < 0 && msgCount_[done] > 1 && (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT)) {
      // The kernel or device refuses UDP GSO: stop using it and send what is left of this
      // batch (what was sent stays sent) one datagram a message.
      gso_ = false;
      messages = buildMessages(msgFirst_[done]);
      done = 0;
      continue;
    }
    // A per-destination error (e.g. ECONNREFUSED, EPERM): skip that message only.
    drop(done);
    ++done;
  }
  stats_.syscalls.fetch_add(syscalls, std::memory_order_relaxed);
  stats_.messages.fetch_add(sentMessages, std::memory_order_relaxed);
  stats_.datagramsSent.fetch_add(sentDatagrams, std::memory_order_relaxed);
  stats_.bytesSent.fetch_add(sentBytes, std::memory_order_relaxed);
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  count_ = 0;
}

}  // namespace sluice::core
