#include "load/RecvBatch.h"

#include <time.h>

namespace sluice::load {

RecvBatch::RecvBatch() {
  for (size_t i = 0; i < kBatch; ++i) {
    iov_[i] = iovec{buffers_[i].data(), kBufferSize};
  }
}

void RecvBatch::enableTimestamps(int fd) {
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

size_t RecvBatch::receive(int fd, int64_t fallbackWallUs) {
  // recvmmsg overwrites the lengths it reports, so they are reset before every call.
  for (size_t i = 0; i < kBatch; ++i) {
    msghdr& h = headers_[i].msg_hdr;
    h.msg_name = &addresses_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &iov_[i];
    h.msg_iovlen = 1;
    h.msg_control = control_[i].data();
    h.msg_controllen = kControlSize;
    h.msg_flags = 0;
  }
  int n = recvmmsg(fd, headers_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;
  for (int i = 0; i < n; ++i) {
    sizes_[i] = headers_[i].msg_len;
    wallUs_[i] = fallbackWallUs;
    msghdr& h = headers_[i].msg_hdr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        const auto* ts = reinterpret_cast<const timespec*>(CMSG_DATA(c));
        wallUs_[i] = int64_t{ts->tv_sec} * 1'000'000 + ts->tv_nsec / 1000;
      }
    }
  }
  return static_cast<size_t>(n);
}

}  // namespace sluice::load
