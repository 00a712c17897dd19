#include "rtsp/RtspUdpEgress.h"

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace sluice::rtsp {

void RtspUdpEgress::send(const uint8_t* data, size_t size, const sockaddr_storage& to, socklen_t toLength,
                         std::atomic<uint64_t>* dropped) {
  if (size == 0 || size > kSlotSize) {
    stats_.datagramsDropped.fetch_add(1, std::memory_order_relaxed);
    if (dropped) dropped->fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (count_ == kSlots) flush();
  std::memcpy(arena_[count_].data(), data, size);
  addrs_[count_] = to;
  iov_[count_] = {arena_[count_].data(), size};
  mmsghdr& m = msgs_[count_];
  std::memset(&m, 0, sizeof(m));
  m.msg_hdr.msg_name = &addrs_[count_];
  m.msg_hdr.msg_namelen = toLength;
  m.msg_hdr.msg_iov = &iov_[count_];
  m.msg_hdr.msg_iovlen = 1;
  droppedCounters_[count_] = dropped;
  ++count_;
  if (!flushScheduled_) {
    flushScheduled_ = true;
    // After the handlers already queued in this turn: one syscall for all of them.
    boost::asio::post(io_, [self = shared_from_this()] { self->flush(); });
  }
}

void RtspUdpEgress::dropFrom(size_t first) {
  for (size_t i = first; i < count_; ++i) {
    stats_.datagramsDropped.fetch_add(1, std::memory_order_relaxed);
    if (droppedCounters_[i]) droppedCounters_[i]->fetch_add(1, std::memory_order_relaxed);
  }
}

void RtspUdpEgress::flush() {
  flushScheduled_ = false;
  size_t done = 0;
  while (done < count_) {
    const int n = ::sendmmsg(fd_, &msgs_[done], static_cast<unsigned>(count_ - done), MSG_DONTWAIT);
    stats_.syscalls.fetch_add(1, std::memory_order_relaxed);
    if (n > 0) {
      for (size_t i = done; i < done + static_cast<size_t>(n); ++i)
        stats_.bytesSent.fetch_add(iov_[i].iov_len, std::memory_order_relaxed);
      stats_.datagramsSent.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      // The socket is full: drop the rest of this turn rather than block the worker.
      dropFrom(done);
      break;
    }
    // An error of one destination (ECONNREFUSED from an earlier ICMP, EPERM...): skip it only.
    stats_.datagramsDropped.fetch_add(1, std::memory_order_relaxed);
    if (droppedCounters_[done]) droppedCounters_[done]->fetch_add(1, std::memory_order_relaxed);
    ++done;
  }
  count_ = 0;
}

}  // namespace sluice::rtsp
