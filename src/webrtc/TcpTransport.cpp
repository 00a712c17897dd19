#include "webrtc/TcpTransport.h"

#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "core/Clock.h"
#include "webrtc/IceCheck.h"
#include "webrtc/StunMessage.h"
#include "webrtc/WebrtcSession.h"

namespace sluice::webrtc {

namespace asio = boost::asio;

TcpTransport::TcpTransport(asio::io_context& io, int fd, const SocketAddress& remote, WebrtcSession& session)
    : socket_(io), remote_(remote), session_(&session), queue_(new uint8_t[kQueueBytes]) {
  boost::system::error_code ec;
  socket_.assign(remote.family() == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    failed_ = true;
    return;
  }
  socket_.non_blocking(true, ec);
  int one = 1;
  // Media is latency-bound: no Nagle delay on small RTCP and DTLS packets.
  ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

TcpTransport::~TcpTransport() = default;

void TcpTransport::start(const uint8_t* pending, size_t size) {
  if (failed_) {
    fail("unable to adopt the ICE-TCP connection");
    return;
  }
  if (size > 0 && reader_.feed(pending, size) != size) {
    fail("ICE-TCP connection handed over with too many buffered bytes");
    return;
  }
  if (!handleFrames()) return;
  read();
}

void TcpTransport::detach() {
  session_ = nullptr;
  failed_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
}

void TcpTransport::read() {
  std::span<uint8_t> room = reader_.space();
  socket_.async_read_some(asio::buffer(room.data(), room.size()),
                          [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                            if (!self->session_) return;
                            if (ec) {
                              self->fail(ec == asio::error::eof ? "closed by the viewer" : ec.message());
                              return;
                            }
                            self->reader_.produced(n);
                            if (self->handleFrames()) self->read();
                          });
}

bool TcpTransport::handleFrames() {
  const uint8_t* packet = nullptr;
  size_t size = 0;
  for (;;) {
    Rfc4571Reader::Status st = reader_.next(packet, size);
    if (st == Rfc4571Reader::Status::NeedMore) return true;
    if (st == Rfc4571Reader::Status::Error) {
      fail(reader_.error());
      return false;
    }
    onPacket(packet, size);
    if (!session_ || failed_) return false;
  }
}

void TcpTransport::onPacket(const uint8_t* data, size_t size) {
  if (data[0] > 3) {
    session_->onDatagram(data, size);
    return;
  }
  StunMessage msg;
  if (msg.parse(data, size) != StunParseError::None) return;
  std::optional<std::string_view> ufrag = iceCheckLocalUfrag(msg);
  if (!ufrag || *ufrag != session_->params().localUfrag) return;
  uint8_t out[kIceCheckResponseMax];
  size_t n = answerIceCheck(msg, session_->params().localPwd, remote_, out, sizeof(out));
  if (n == 0) return;
  sendStunResponse(out, n);
  session_->lastConsentUs.store(core::monotonicUs(), std::memory_order_relaxed);
  session_->onTcpCheck(*this, msg.useCandidate());
}

void TcpTransport::sendStunResponse(const uint8_t* data, size_t size) {
  std::memcpy(slot(), data, size);
  commit(size);
}

void TcpTransport::commit(size_t size) {
  if (failed_ || size == 0 || size > kMaxPacket) return;
  writeRfc4571Header(frame_.data(), size);
  const size_t total = Rfc4571Reader::kHeaderSize + size;
  if (queueSize_ > 0) {
    if (queueSize_ + total > kQueueBytes) {
      stats_.packetsDropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    enqueue(frame_.data(), total);
    stats_.packetsSent.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ssize_t w = ::send(socket_.native_handle(), frame_.data(), total, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (w < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      fail(std::string("send: ") + std::strerror(errno));
      return;
    }
    w = 0;
  }
  stats_.packetsSent.fetch_add(1, std::memory_order_relaxed);
  if (static_cast<size_t>(w) == total) return;
  // The rest of this frame must follow before any other: queue it (the queue is empty).
  enqueue(frame_.data() + w, total - static_cast<size_t>(w));
  waitWritable();
}

void TcpTransport::enqueue(const uint8_t* data, size_t size) {
  size_t tail = (queueHead_ + queueSize_) % kQueueBytes;
  size_t first = std::min(size, kQueueBytes - tail);
  std::memcpy(queue_.get() + tail, data, first);
  if (first < size) std::memcpy(queue_.get(), data + first, size - first);
  queueSize_ += size;
  if (queueSize_ > stats_.queueHighWater.load(std::memory_order_relaxed)) {
    stats_.queueHighWater.store(queueSize_, std::memory_order_relaxed);
  }
}

void TcpTransport::waitWritable() {
  if (writeWaiting_ || failed_) return;
  writeWaiting_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->writeWaiting_ = false;
                       if (ec || self->failed_) return;
                       self->flushQueue();
                     });
}

void TcpTransport::flushQueue() {
  while (queueSize_ > 0) {
    iovec iov[2];
    size_t first = std::min(queueSize_, kQueueBytes - queueHead_);
    iov[0] = {queue_.get() + queueHead_, first};
    iov[1] = {queue_.get(), queueSize_ - first};
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = iov[1].iov_len > 0 ? 2 : 1;
    ssize_t w = ::sendmsg(socket_.native_handle(), &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      fail(std::string("send: ") + std::strerror(errno));
      return;
    }
    queueHead_ = (queueHead_ + static_cast<size_t>(w)) % kQueueBytes;
    queueSize_ -= static_cast<size_t>(w);
  }
  if (queueSize_ == 0) {
    queueHead_ = 0;
    return;
  }
  waitWritable();
}

void TcpTransport::fail(const std::string& reason) {
  failed_ = true;
  if (!session_ || reported_) return;
  reported_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
  // Told from a fresh handler: a failing write may be inside the session's fan-out.
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason] {
    if (self->session_) self->session_->onTcpClosed(*self, reason);
  });
}

}  // namespace sluice::webrtc
