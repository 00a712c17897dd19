#include "webrtc/UdpEgress.h"

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>

namespace sluice::webrtc {

uint8_t* UdpEgress::slot() {
  if (count_ == kSlots) flush();
  return arena_[count_].data();
}

void UdpEgress::commit(size_t size, const sockaddr_storage& to, socklen_t toLength) {
  if (size == 0 || size > kSlotSize) return;
  addrs_[count_] = to;
  iov_[count_] = {arena_[count_].data(), size};
  mmsghdr& m = msgs_[count_];
  std::memset(&m, 0, sizeof(m));
  m.msg_hdr.msg_name = &addrs_[count_];
  m.msg_hdr.msg_namelen = toLength;
  m.msg_hdr.msg_iov = &iov_[count_];
  m.msg_hdr.msg_iovlen = 1;
  ++count_;
  if (!flushScheduled_) {
    flushScheduled_ = true;
    // Runs after the handlers already queued in this turn: one syscall for all of them.
    boost::asio::post(io_, [this] { flush(); });
  }
}

void UdpEgress::flush() {
  flushScheduled_ = false;
  size_t done = 0;
  while (done < count_) {
    int n = ::sendmmsg(fd_, &msgs_[done], static_cast<unsigned>(count_ - done), MSG_DONTWAIT);
    if (n > 0) {
      for (size_t i = done; i < done + static_cast<size_t>(n); ++i) {
        stats_.bytesSent.fetch_add(iov_[i].iov_len, std::memory_order_relaxed);
      }
      stats_.datagramsSent.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      // Socket full: drop what is left of this turn rather than block the worker.
      stats_.datagramsDropped.fetch_add(count_ - done, std::memory_order_relaxed);
      break;
    }
    // A per-destination error (e.g. ECONNREFUSED, EPERM): skip that datagram only.
    stats_.datagramsDropped.fetch_add(1, std::memory_order_relaxed);
    ++done;
  }
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  count_ = 0;
}

}  // namespace sluice::webrtc
