// CamsimSession: the control connection (reading, parsing, moving between workers, closing).
#include "camsim/CamsimSession.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "camsim/CamsimWorker.h"
#include "core/Clock.h"

namespace sluice::camsim {

namespace asio = boost::asio;
using asio::ip::tcp;

CamsimSession::CamsimSession(CamsimWorker& worker, const CamsimDirectory& directory, tcp::socket socket)
    : worker_(&worker), directory_(directory), socket_(std::move(socket)) {
  boost::system::error_code ec;
  auto remote = socket_->remote_endpoint(ec);
  if (!ec) {
    peer_ = fmt::format("{}:{}", remote.address().to_string(), remote.port());
    label_ = peer_;
    if (remote.address().is_v4()) peerAddress_ = remote.address().to_v4();
  }
  // Frames leave as whole writes already; Nagle would only hold back responses and reports.
  socket_->set_option(tcp::no_delay(true), ec);
  lastActivityUs_ = core::monotonicUs();
}

void CamsimSession::start() {
  log::debug("[camsim] {} connected", peer_);
  read();
}

void CamsimSession::read() {
  if (closed_) return;
  auto space = parser_.prepare();
  socket_->async_read_some(
      asio::buffer(space.data(), space.size()),
      withMemory(readMemory_, [self = shared_from_this()](const boost::system::error_code& ec, size_t size) {
        self->onRead(ec, size);
      }));
}

void CamsimSession::onRead(const boost::system::error_code& ec, size_t size) {
  if (closed_) return;
  if (ec) {
    close(ec == asio::error::eof ? "connection closed by the client" : ec.message());
    return;
  }
  parser_.commit(size);
  processInput();
}

void CamsimSession::processInput() {
  while (!closed_) {
    switch (parser_.next()) {
      case rtsp::RtspStreamParser::Result::NeedMore:
        read();
        return;
      case rtsp::RtspStreamParser::Result::Request:
        if (!handleRequest(parser_.request())) return;  // resumes on another worker
        break;
      case rtsp::RtspStreamParser::Result::Interleaved:
        // RTCP receiver reports over TCP: nothing to act on, but the client is alive.
        touch(core::monotonicUs());
        break;
      case rtsp::RtspStreamParser::Result::Response:
        break;
      case rtsp::RtspStreamParser::Result::Error:
        close("unparsable input: " + parser_.error());
        return;
    }
  }
}

void CamsimSession::migrate() {
  CamsimWorker* target = std::exchange(migrateTo_, nullptr);
  auto self = shared_from_this();
  boost::system::error_code ec;
  // Neither a read nor a write is pending here (the caller made sure), so handing the
  // descriptor over cancels nothing.
  int fd = socket_->release(ec);
  socket_.reset();
  if (ec) {
    close("cannot move the connection: " + ec.message());
    return;
  }
  worker_->forget(this);
  worker_ = target;
  asio::post(target->io(), [self, fd] { self->resume(fd); });
}

void CamsimSession::resume(int fd) {
  boost::system::error_code ec;
  socket_.emplace(worker_->io());
  socket_->assign(tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    close("cannot adopt the connection: " + ec.message());
    return;
  }
  worker_->adopt(shared_from_this());
  // The request that asked for the move is still the parser's current one.
  if (handleRequest(parser_.request())) processInput();
}

void CamsimSession::expireIfQuiet(int64_t nowUs) {
  uint32_t timeout = worker_->sessionTimeoutSeconds();
  if (transport_ == Transport::Udp && nowUs - lastActivityUs_ > int64_t{timeout} * 1000000) {
    close(fmt::format("no RTSP request or RTCP packet for {} s", timeout));
  }
}

void CamsimSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  endMediaSession();
  if (socket_) {
    boost::system::error_code ec;
    socket_->close(ec);  // cancels a pending write: no frame slot is read any more
  }
  detachIfIdle(true);
  controlQueue_.clear();
  clearQueue();
  log::info("[camsim] {}: closed ({})", label_, reason);
  // Not erased here: the caller may be iterating the registry, or be this very session.
  asio::post(worker_->io(), [w = worker_, self = shared_from_this()] { w->forget(self.get()); });
}

}  // namespace sluice::camsim
