#include "rtsp/RtspDatagramBatch.h"

#include <cstring>

namespace sluice::rtsp {

RtspDatagramBatch::RtspDatagramBatch() {
  for (size_t i = 0; i < kSize; ++i) {
    iov_[i] = {buffers_[i].data(), kBufferSize};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
}

size_t RtspDatagramBatch::receive(int fd) {
  for (size_t i = 0; i < kSize; ++i) {
    // recvmmsg updates these per datagram: reset what it wrote last time.
    msgs_[i].msg_hdr.msg_name = &from_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(from_[i]);
    msgs_[i].msg_hdr.msg_flags = 0;
    msgs_[i].msg_len = 0;
  }
  const int n = ::recvmmsg(fd, msgs_.data(), kSize, MSG_DONTWAIT, nullptr);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

boost::asio::ip::udp::endpoint RtspDatagramBatch::sender(size_t i) const {
  boost::asio::ip::udp::endpoint out;
  const socklen_t length = msgs_[i].msg_hdr.msg_namelen;
  if (length > 0 && length <= out.capacity()) {
    std::memcpy(out.data(), &from_[i], length);
    out.resize(length);
  }
  return out;
}

}  // namespace sluice::rtsp
