#pragma once
// Fixed buffers for receiving up to kSize UDP datagrams with one recvmmsg(2): a wakeup of a
// UDP camera's RTP socket takes what queued meanwhile in one syscall instead of one recvfrom
// per packet. Allocated once per socket; receiving never allocates.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>

namespace sluice::rtsp {

class RtspDatagramBatch {
 public:
  static constexpr size_t kSize = 16;
  static constexpr size_t kBufferSize = 2048;  // more than any RTP packet a camera sends over UDP

  RtspDatagramBatch();
  RtspDatagramBatch(const RtspDatagramBatch&) = delete;
  RtspDatagramBatch& operator=(const RtspDatagramBatch&) = delete;

  // One non-blocking recvmmsg on `fd`: the number of datagrams now held (0 when none is
  // waiting or on an error, which a later wakeup reports again).
  size_t receive(int fd);

  const uint8_t* data(size_t i) const { return buffers_[i].data(); }
  size_t size(size_t i) const { return msgs_[i].msg_len; }
  // Larger than the buffer: cut off by the kernel (MSG_TRUNC).
  bool truncated(size_t i) const { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  boost::asio::ip::udp::endpoint sender(size_t i) const;

 private:
  std::array<std::array<uint8_t, kBufferSize>, kSize> buffers_;
  std::array<iovec, kSize> iov_{};
  std::array<sockaddr_storage, kSize> from_{};
  std::array<mmsghdr, kSize> msgs_{};
};

}  // namespace sluice::rtsp
