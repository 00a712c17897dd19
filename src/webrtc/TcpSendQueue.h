#pragma once
// The non-blocking write side of one ICE-TCP connection: a frame is written at once while
// nothing waits, and what the socket does not take is kept in a bounded ring (allocated
// once, on the first push-back) until flush(). A frame that does not fit is dropped whole, so the stream
// never carries a partial frame and a slow viewer costs only its own packets.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace sluice::webrtc {

class TcpSendQueue {
 public:
  // About 0.5 s of a 4 Mbit/s camera: enough to ride out a congestion window's stall.
  static constexpr size_t kDefaultCapacity = size_t{256} * 1024;

  enum class Result {
    Sent,     // everything is on the socket
    Queued,   // bytes wait for flush() (wait for the socket to become writable)
    Dropped,  // the frame did not fit: discarded whole (counted)
    Failed,   // a socket error (errorNumber()): the connection is unusable
  };

  explicit TcpSendQueue(size_t capacity = kDefaultCapacity);

  // Sends or queues one whole frame on the non-blocking socket `fd`.
  Result send(int fd, const uint8_t* frame, size_t size);
  // Writes what is queued: Sent when drained, Queued when the socket is full again.
  Result flush(int fd);

  size_t queued() const { return size_; }
  size_t capacity() const { return capacity_; }
  uint64_t dropped() const { return dropped_; }
  size_t highWater() const { return highWater_; }
  int errorNumber() const { return error_; }

 private:
  void append(const uint8_t* data, size_t size);

  size_t capacity_;
  std::unique_ptr<uint8_t[]> ring_;  // owned, capacity_ bytes once needed
  size_t head_ = 0, size_ = 0;
  uint64_t dropped_ = 0;
  size_t highWater_ = 0;
  int error_ = 0;
};

}  // namespace sluice::webrtc
