#include "webrtc/TcpSendQueue.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sluice::webrtc {

TcpSendQueue::TcpSendQueue(size_t capacity) : capacity_(capacity) {}

void TcpSendQueue::append(const uint8_t* data, size_t size) {
  // Allocated the first time the socket pushes back (once per connection): a viewer whose
  // TCP path keeps up never holds the ring's memory.
  if (!ring_) ring_.reset(new uint8_t[capacity_]);
  size_t tail = (head_ + size_) % capacity_;
  size_t first = std::min(size, capacity_ - tail);
  std::memcpy(ring_.get() + tail, data, first);
  if (first < size) std::memcpy(ring_.get(), data + first, size - first);
  size_ += size;
  highWater_ = std::max(highWater_, size_);
}

TcpSendQueue::Result TcpSendQueue::send(int fd, const uint8_t* frame, size_t size) {
  if (error_) return Result::Failed;
  if (size_ > 0) {
    // Earlier bytes wait: this frame goes behind them, whole, or not at all.
    if (size_ + size > capacity_) {
      ++dropped_;
      return Result::Dropped;
    }
    append(frame, size);
    return Result::Queued;
  }
  ssize_t w;
  do {
    w = ::send(fd, frame, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (w < 0 && errno == EINTR);
  if (w < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = errno;
      return Result::Failed;
    }
    w = 0;
  }
  if (static_cast<size_t>(w) == size) return Result::Sent;
  if (size - static_cast<size_t>(w) > capacity_) {
    if (w > 0) {  // a partial frame on the wire that cannot be completed: the stream is lost
      error_ = EMSGSIZE;
      return Result::Failed;
    }
    ++dropped_;
    return Result::Dropped;
  }
  // Started (or fits whole): the rest must follow before anything else.
  append(frame + w, size - static_cast<size_t>(w));
  return Result::Queued;
}

TcpSendQueue::Result TcpSendQueue::flush(int fd) {
  if (error_) return Result::Failed;
  while (size_ > 0) {
    iovec iov[2];
    size_t first = std::min(size_, capacity_ - head_);
    iov[0] = {ring_.get() + head_, first};
    iov[1] = {ring_.get(), size_ - first};
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = iov[1].iov_len > 0 ? 2 : 1;
    ssize_t w = ::sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Result::Queued;
      error_ = errno;
      return Result::Failed;
    }
    head_ = (head_ + static_cast<size_t>(w)) % capacity_;
    size_ -= static_cast<size_t>(w);
  }
  head_ = 0;
  return Result::Sent;
}

}  // namespace sluice::webrtc
