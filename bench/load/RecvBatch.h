#pragma once
// recvmmsg(2) buffers shared by all sessions of one worker thread: a worker drains one socket
// at a time, so one set of kBatch buffers serves them all and nothing is allocated per packet.
// The kernel's receive timestamp (SO_TIMESTAMPNS, wall clock) comes with each datagram, so
// latency excludes the time a datagram waited in the socket for this thread.
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::load {

class RecvBatch {
 public:
  static constexpr size_t kBatch = 32;
  // Larger than any RTP packet a WebRTC sender makes (they keep under ~1200 bytes); a
  // longer datagram is truncated and dropped.
  static constexpr size_t kBufferSize = 2048;

  RecvBatch();
  RecvBatch(const RecvBatch&) = delete;
  RecvBatch& operator=(const RecvBatch&) = delete;

  // One recvmmsg(MSG_DONTWAIT) on `fd`. Returns the number of datagrams (0 when none, or on
  // error). `fallbackWallUs` stands in for datagrams without a kernel timestamp.
  size_t receive(int fd, int64_t fallbackWallUs);

  uint8_t* data(size_t i) { return buffers_[i].data(); }
  size_t size(size_t i) const { return sizes_[i]; }
  bool truncated(size_t i) const { return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  const sockaddr* from(size_t i) const { return reinterpret_cast<const sockaddr*>(&addresses_[i]); }
  socklen_t fromLength(size_t i) const { return headers_[i].msg_hdr.msg_namelen; }
  int64_t wallUs(size_t i) const { return wallUs_[i]; }

  // Asks the kernel to timestamp datagrams on `fd`.
  static void enableTimestamps(int fd);

 private:
  static constexpr size_t kControlSize = 64;  // CMSG_SPACE(sizeof(timespec)) with room

  std::array<std::array<uint8_t, kBufferSize>, kBatch> buffers_{};
  std::array<sockaddr_storage, kBatch> addresses_{};
  std::array<std::array<uint8_t, kControlSize>, kBatch> control_{};
  std::array<iovec, kBatch> iov_{};
  std::array<mmsghdr, kBatch> headers_{};
  std::array<size_t, kBatch> sizes_{};
  std::array<int64_t, kBatch> wallUs_{};
};

}  // namespace sluice::load
