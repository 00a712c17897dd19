#include "webrtc/TcpTransport.h"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "core/Clock.h"
#include "core/Log.h"
#include "webrtc/IceCheck.h"
#include "webrtc/StunMessage.h"
#include "webrtc/WebrtcSession.h"

namespace sluice::webrtc {

namespace asio = boost::asio;

TcpTransport::TcpTransport(asio::io_context& io, int fd, const SocketAddress& remote, WebrtcSession& session)
    : socket_(io), remote_(remote), session_(&session) {
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
  if (session_ && sendQueue_.dropped() > 0) {
    log::info("[WebRTC] ICE-TCP {}: {} packets dropped on a full send queue (high water {} bytes)",
              remote_.toString(), sendQueue_.dropped(), sendQueue_.highWater());
  }
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
  switch (sendQueue_.send(socket_.native_handle(), frame_.data(), Rfc4571Reader::kHeaderSize + size)) {
    case TcpSendQueue::Result::Sent:
    case TcpSendQueue::Result::Dropped:
      return;
    case TcpSendQueue::Result::Queued:
      waitWritable();
      return;
    case TcpSendQueue::Result::Failed:
      fail(std::string("send: ") + std::strerror(sendQueue_.errorNumber()));
      return;
  }
}

void TcpTransport::waitWritable() {
  if (writeWaiting_ || failed_) return;
  writeWaiting_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->writeWaiting_ = false;
                       if (ec || self->failed_) return;
                       TcpSendQueue::Result r = self->sendQueue_.flush(self->socket_.native_handle());
                       if (r == TcpSendQueue::Result::Queued) self->waitWritable();
                       if (r == TcpSendQueue::Result::Failed) {
                         self->fail(std::string("send: ") + std::strerror(self->sendQueue_.errorNumber()));
                       }
                     });
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
