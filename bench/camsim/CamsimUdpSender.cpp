#include "camsim/CamsimUdpSender.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace sluice::camsim {

namespace asio = boost::asio;
using asio::ip::udp;

CamsimUdpSender::CamsimUdpSender(asio::io_context& io) : rtpRx_(io), rtcpRx_(io) {}

bool CamsimUdpSender::open(const asio::ip::address_v4& address, std::string& error) {
  // RTP wants an even port and RTCP the next one (RFC 3550 §11); the kernel hands out
  // ephemeral ports in any parity, so try a few.
  for (int attempt = 0; attempt < 64; ++attempt) {
    boost::system::error_code ec;
    close();
    rtpRx_.socket.open(udp::v4(), ec);
    if (!ec) rtpRx_.socket.bind(udp::endpoint(address, 0), ec);
    if (ec) {
      error = fmt::format("cannot bind a UDP socket on {}: {}", address.to_string(), ec.message());
      return false;
    }
    uint16_t port = rtpRx_.socket.local_endpoint().port();
    if (port % 2 != 0 || port == 65534) continue;
    rtcpRx_.socket.open(udp::v4(), ec);
    if (!ec) rtcpRx_.socket.bind(udp::endpoint(address, static_cast<uint16_t>(port + 1)), ec);
    if (ec) continue;
    // Bursts of a tick leave at once; room for them avoids needless EAGAIN drops.
    rtpRx_.socket.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
    rtpPort_ = port;
    rtp_.fd = rtpRx_.socket.native_handle();
    rtcp_.fd = rtcpRx_.socket.native_handle();
    return true;
  }
  error = fmt::format("no free even/odd UDP port pair on {}", address.to_string());
  return false;
}

void CamsimUdpSender::startReceiving(ActivityHandler onActivity) {
  onActivity_ = std::move(onActivity);
  receive(rtpRx_);
  receive(rtcpRx_);
}

void CamsimUdpSender::close() {
  boost::system::error_code ec;
  rtpRx_.socket.close(ec);
  rtcpRx_.socket.close(ec);
  rtp_.count = rtcp_.count = 0;
  rtp_.fd = rtcp_.fd = -1;
}

void CamsimUdpSender::receive(Receiver& r) {
  r.socket.async_receive_from(asio::buffer(r.buffer), r.from,
                              withMemory(r.memory, [this, &r](const boost::system::error_code& ec, size_t) {
                                if (ec == asio::error::operation_aborted || !r.socket.is_open()) return;
                                if (!ec && r.from.address().is_v4()) {
                                  sockaddr_in from{};
                                  std::memcpy(&from, r.from.data(), sizeof(from));
                                  if (onActivity_) onActivity_(from);
                                }
                                receive(r);
                              }));
}

void CamsimUdpSender::add(Batch& batch, const sockaddr_in& to, const uint8_t* data, size_t size) {
  if (batch.fd < 0) return;
  if (batch.count == kBatch) send(batch);
  size_t i = batch.count++;
  batch.iov[i] = {const_cast<uint8_t*>(data), size};
  mmsghdr& m = batch.msgs[i];
  std::memset(&m, 0, sizeof(m));
  m.msg_hdr.msg_name = const_cast<sockaddr_in*>(&to);
  m.msg_hdr.msg_namelen = sizeof(sockaddr_in);
  m.msg_hdr.msg_iov = &batch.iov[i];
  m.msg_hdr.msg_iovlen = 1;
}

void CamsimUdpSender::flush() {
  send(rtp_);
  send(rtcp_);
}

void CamsimUdpSender::send(Batch& batch) {
  size_t done = 0;
  uint64_t bytes = 0;
  while (done < batch.count) {
    int n = ::sendmmsg(batch.fd, &batch.msgs[done], static_cast<unsigned>(batch.count - done), MSG_DONTWAIT);
    if (n > 0) {
      for (size_t i = done; i < done + static_cast<size_t>(n); ++i) bytes += batch.iov[i].iov_len;
      sent_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      dropped_.fetch_add(batch.count - done, std::memory_order_relaxed);
      break;
    }
    // An error about one destination (e.g. ECONNREFUSED): skip that datagram only.
    dropped_.fetch_add(1, std::memory_order_relaxed);
    ++done;
  }
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  batch.count = 0;
}

}  // namespace sluice::camsim
