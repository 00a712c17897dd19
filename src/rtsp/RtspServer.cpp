#include "rtsp/RtspServer.h"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include "core/ListenAddress.h"
#include "core/Log.h"
#include "rtsp/RtspText.h"

namespace sluice::rtsp {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

RtspServer::RtspServer(asio::io_context& control, RtspServerHandler& handler, RtspServerOptions options)
    : control_(control), handler_(handler), options_(std::move(options)), acceptor_(control) {}

RtspServer::~RtspServer() { stop(); }

bool RtspServer::start(std::string& error) {
  std::string host;
  uint16_t port = 0;
  if (!core::splitListenAddress(options_.address, host, port, error)) return false;
  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code ec;
  if (host.empty()) {
    endpoints = {tcp::endpoint(tcp::v6(), port), tcp::endpoint(tcp::v4(), port)};
  } else {
    asio::ip::address addr = asio::ip::make_address(host, ec);
    if (ec) {
      tcp::resolver resolver(control_);
      auto results = resolver.resolve(host, std::to_string(port), ec);
      if (ec) {
        error = "address " + options_.address + ": " + ec.message();
        return false;
      }
      for (const auto& r : results) endpoints.push_back(r.endpoint());
    } else {
      endpoints.emplace_back(addr, port);
    }
  }
  for (const auto& ep : endpoints) {
    boost::system::error_code ignored;
    acceptor_.open(ep.protocol(), ec);
    if (ec) continue;
    if (ep.address().is_v6() && host.empty()) acceptor_.set_option(asio::ip::v6_only(false), ignored);
    acceptor_.set_option(asio::socket_base::reuse_address(true), ignored);
    acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) break;
    acceptor_.close(ignored);
  }
  if (ec || !acceptor_.is_open()) {
    error = "listen tcp " + options_.address + ": " + (ec ? ec.message() : "no usable address");
    return false;
  }
  port_ = acceptor_.local_endpoint(ec).port();
  if (options_.udp) {
    udp_ = std::make_unique<RtspUdpServer>(control_);
    if (!udp_->open(options_.rtpAddress, options_.rtcpAddress, options_.udpReadBufferSize, error)) {
      udp_.reset();
      acceptor_.close(ec);
      return false;
    }
    options_.udpRtpPort = udp_->rtpPort();
    options_.udpRtcpPort = udp_->rtcpPort();
  }
  if (options_.multicast) {
    multicast_ = std::make_unique<RtspMulticastGroups>(options_.multicastOptions);
    if (!multicast_->open(error)) {
      acceptor_.close(ec);
      return false;
    }
    options_.multicastGroups = multicast_.get();
  }
  accept();
  return true;
}

void RtspServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      std::lock_guard lock(mutex_);
      if (conns_.size() >= options_.maxConnections) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto conn = std::make_shared<RtspServerConnection>(control_, std::move(socket), handler_, options_,
                                                           udp_.get(), [this](const std::string& id) {
                                                             // Any thread: the registry only forgets it (the
                                                             // connection frees itself).
                                                             std::lock_guard lock(mutex_);
                                                             conns_.erase(id);
                                                           });
        conns_[conn->id()] = conn;
        asio::post(control_, [conn] { conn->start(); });
      }
    }
    accept();
  });
}

void RtspServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::map<std::string, std::shared_ptr<RtspServerConnection>> conns;
  {
    std::lock_guard lock(mutex_);
    conns = conns_;
  }
  // The UDP pair stays open until the server is destroyed: readers closing on their workers
  // may still flush to it (its descriptor must not be reused meanwhile).
  for (auto& [id, c] : conns) c->kick("server is shutting down");
}

std::vector<RtspConnectionInfo> RtspServer::connections() const {
  std::vector<std::shared_ptr<RtspServerConnection>> conns;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, c] : conns_) conns.push_back(c);
  }
  std::vector<RtspConnectionInfo> out;
  out.reserve(conns.size());
  for (const auto& c : conns) out.push_back(c->info());
  return out;
}

bool RtspServer::kick(const std::string& id) {
  std::lock_guard lock(mutex_);
  for (const auto& [cid, c] : conns_) {
    if (cid == id || (c->info().hasSession && c->info().sessionId == id)) {
      c->kick("kicked through the API");
      return true;
    }
  }
  return false;
}

}  // namespace sluice::rtsp
