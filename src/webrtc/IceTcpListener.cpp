#include "webrtc/IceTcpListener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "core/Clock.h"
#include "core/Log.h"
#include "webrtc/IceCheck.h"
#include "webrtc/WebrtcSession.h"

namespace sluice::webrtc {

namespace asio = boost::asio;

IceTcpListener::IceTcpListener(asio::io_context& io, VerifyCheck verify,
                               std::chrono::milliseconds firstCheckTimeout)
    : io_(io), verify_(std::move(verify)), firstCheckTimeout_(firstCheckTimeout), acceptor_(io) {}

IceTcpListener::~IceTcpListener() = default;

bool IceTcpListener::listen(const std::string& host, uint16_t port, std::string& error) {
  boost::system::error_code ec;
  asio::ip::address ip =
      host.empty() ? asio::ip::address(asio::ip::address_v4::any()) : asio::ip::make_address(host, ec);
  if (ec) {
    error = "invalid IP '" + host + "'";
    return false;
  }
  asio::ip::tcp::endpoint ep(ip, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = ec.message();
    return false;
  }
  port_ = acceptor_.local_endpoint().port();
  return true;
}

void IceTcpListener::start() { accept(); }

void IceTcpListener::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  auto all = std::move(pending_);
  for (auto& [_, p] : all) {
    p->socket.close(ec);
    p->timer.cancel();
  }
}

void IceTcpListener::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (pending_.size() >= kMaxPending) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        auto p = std::make_shared<Pending>(io_);
        boost::system::error_code e2;
        auto remote = socket.remote_endpoint(e2);
        p->socket = std::move(socket);
        if (!e2) {
          p->from = SocketAddress::from(remote.data(), static_cast<socklen_t>(remote.size()));
          pending_[p.get()] = p;
          p->timer.expires_after(firstCheckTimeout_);
          p->timer.async_wait([this, raw = p.get()](const boost::system::error_code& tec) {
            if (!tec) drop(raw);
          });
          read(p);
        }
      }
    }
    accept();
  });
}

void IceTcpListener::read(const std::shared_ptr<Pending>& p) {
  std::span<uint8_t> room = p->reader.space();
  p->socket.async_read_some(asio::buffer(room.data(), room.size()),
                            [this, p](const boost::system::error_code& ec, size_t n) {
                              if (stopped_ || !pending_.count(p.get())) return;
                              if (ec) {
                                drop(p.get());
                                return;
                              }
                              p->reader.produced(n);
                              if (!onFirstFrames(p)) read(p);
                            });
}

bool IceTcpListener::onFirstFrames(const std::shared_ptr<Pending>& p) {
  const uint8_t* packet = nullptr;
  size_t size = 0;
  Rfc4571Reader::Status st = p->reader.next(packet, size);
  if (st == Rfc4571Reader::Status::NeedMore) return false;
  StunMessage msg;
  if (st == Rfc4571Reader::Status::Error || packet[0] > 3 ||
      msg.parse(packet, size) != StunParseError::None) {
    drop(p.get());
    return true;
  }
  uint8_t out[kIceCheckResponseMax];
  size_t responseSize = 0;
  std::shared_ptr<WebrtcSession> session =
      verify_(msg, p->from, out + Rfc4571Reader::kHeaderSize, responseSize);
  if (!session || responseSize == 0) {
    drop(p.get());
    return true;
  }
  writeRfc4571Header(out, responseSize);
  const size_t total = Rfc4571Reader::kHeaderSize + responseSize;
  // A fresh connection's send buffer takes a ~100-byte response at once.
  if (::send(p->socket.native_handle(), out, total, MSG_DONTWAIT | MSG_NOSIGNAL) !=
      static_cast<ssize_t>(total)) {
    drop(p.get());
    return true;
  }
  session->lastConsentUs.store(core::monotonicUs(), std::memory_order_relaxed);
  std::span<const uint8_t> rest = p->reader.pending();
  std::vector<uint8_t> pendingBytes(rest.begin(), rest.end());
  // The session's worker takes the connection over; this worker lets go of it.
  int fd = ::dup(p->socket.native_handle());
  bool useCandidate = msg.useCandidate();
  SocketAddress from = p->from;
  drop(p.get());
  if (fd < 0) return true;
  asio::post(session->workerIo(),
             [session, fd, from, pendingBytes = std::move(pendingBytes), useCandidate]() mutable {
               session->adoptTcpConnection(fd, from, std::move(pendingBytes), useCandidate);
             });
  return true;
}

void IceTcpListener::drop(Pending* raw) {
  auto it = pending_.find(raw);
  if (it == pending_.end()) return;
  auto p = it->second;
  pending_.erase(it);
  boost::system::error_code ec;
  p->timer.cancel();
  p->socket.close(ec);
}

}  // namespace sluice::webrtc
