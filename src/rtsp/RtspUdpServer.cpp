#include "rtsp/RtspUdpServer.h"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <cstring>

#include "core/Clock.h"
#include "core/ListenAddress.h"
#include "media/Rtcp.h"
#include "rtsp/RtspText.h"

namespace sluice::rtsp {

namespace asio = boost::asio;
using udp = asio::ip::udp;

size_t RtspUdpKeyHash::operator()(const RtspUdpKey& k) const {
  uint64_t a = 0, b = 0;
  std::memcpy(&a, k.ip.data(), 8);
  std::memcpy(&b, k.ip.data() + 8, 8);
  return std::hash<uint64_t>()(a * 0x9e3779b97f4a7c15ull ^ b ^ (uint64_t{k.port} << 48));
}

RtspUdpKey udpKeyOf(const udp::endpoint& endpoint) {
  RtspUdpKey k;
  asio::ip::address a = endpoint.address();
  const asio::ip::address_v6 v6 =
      a.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()) : a.to_v6();
  k.ip = v6.to_bytes();
  k.port = endpoint.port();
  return k;
}

bool isReceiverRtcp(const uint8_t* data, size_t size) {
  // A compound packet starts with a report (RFC 3550 §6.1); a reduced-size one (RFC 5506) with
  // any RTCP type. Either way the first type is 200-206 and every packet's framing holds.
  if (size < 8 || (data[0] >> 6) != 2 || data[1] < media::rtcp::kSenderReport ||
      data[1] > media::rtcp::kPayloadFeedback)
    return false;
  media::RtcpVisitor ignore;
  return media::parseRtcpCompound(data, size, ignore) == media::RtcpError::None;
}

namespace {
bool bindOne(udp::socket& socket, const std::string& address, bool& v6, std::string& error) {
  std::string host;
  uint16_t port = 0;
  if (!core::splitListenAddress(address, host, port, error)) return false;
  boost::system::error_code ec;
  std::vector<udp::endpoint> endpoints;
  if (host.empty()) {
    // Both families on one socket when the host has IPv6, else IPv4 alone.
    endpoints = {udp::endpoint(udp::v6(), port), udp::endpoint(udp::v4(), port)};
  } else {
    asio::ip::address ip = asio::ip::make_address(host, ec);
    if (ec) {
      error = "address " + address + ": '" + host + "' is not an IP address";
      return false;
    }
    endpoints = {udp::endpoint(ip, port)};
  }
  for (const auto& ep : endpoints) {
    boost::system::error_code ignored;
    socket.open(ep.protocol(), ec);
    if (ec) continue;
    if (ep.address().is_v6() && host.empty()) socket.set_option(asio::ip::v6_only(false), ignored);
    socket.bind(ep, ec);
    if (!ec) {
      v6 = ep.address().is_v6();
      socket.non_blocking(true, ignored);
      // A keyframe to many readers leaves in one burst (as WebRTC's shared socket).
      socket.set_option(asio::socket_base::send_buffer_size(4 * 1024 * 1024), ignored);
      return true;
    }
    socket.close(ignored);
  }
  error = "listen udp " + address + ": " + (ec ? ec.message() : "no usable address");
  return false;
}
}  // namespace

RtspUdpServer::~RtspUdpServer() { close(); }

bool RtspUdpServer::open(const std::string& rtpAddress, const std::string& rtcpAddress, int readBufferSize,
                         std::string& error) {
  bool rtpV6 = false, rtcpV6 = false;
  if (!bindOne(rtp_, rtpAddress, rtpV6, error)) return false;
  if (!bindOne(rtcp_, rtcpAddress, rtcpV6, error)) {
    boost::system::error_code ignored;
    rtp_.close(ignored);
    return false;
  }
  if (rtpV6 != rtcpV6) {
    error = "rtpAddress and rtcpAddress must be of the same address family";
    close();
    return false;
  }
  v6_ = rtpV6;
  if (readBufferSize > 0) {
    boost::system::error_code ignored;
    rtp_.set_option(asio::socket_base::receive_buffer_size(readBufferSize), ignored);
    rtcp_.set_option(asio::socket_base::receive_buffer_size(readBufferSize), ignored);
  }
  rtcpFd_ = rtcp_.native_handle();
  boost::system::error_code ec;
  rtpPort_ = rtp_.local_endpoint(ec).port();
  rtcpPort_ = rtcp_.local_endpoint(ec).port();
  receiveRtp();
  receiveRtcp();
  return true;
}

void RtspUdpServer::close() {
  boost::system::error_code ignored;
  rtp_.close(ignored);
  rtcp_.close(ignored);
  peers_.clear();
  publisherRtp_.clear();
  publisherRtcp_.clear();
}

bool RtspUdpServer::destination(const asio::ip::address& ip, uint16_t port, sockaddr_storage& out,
                                socklen_t& length) const {
  std::memset(&out, 0, sizeof(out));
  asio::ip::address a = ip;
  if (v6_ && a.is_v4()) a = asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4());
  if (!v6_ && a.is_v6()) {
    if (!a.to_v6().is_v4_mapped()) return false;
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  const udp::endpoint ep(a, port);
  std::memcpy(&out, ep.data(), ep.size());
  length = static_cast<socklen_t>(ep.size());
  return true;
}

std::shared_ptr<core::UdpSendBatch> RtspUdpServer::egressFor(asio::io_context& worker) {
  std::lock_guard lock(egressMutex_);
  auto& e = egress_[&worker];
  if (!e) e = std::make_shared<core::UdpSendBatch>(worker, rtp_.native_handle());
  return e;
}

void RtspUdpServer::watch(const std::vector<udp::endpoint>& from, const std::shared_ptr<RtspUdpPeer>& peer) {
  for (const auto& ep : from) peers_[udpKeyOf(ep)] = peer;
}

void RtspUdpServer::forget(const RtspUdpPeer* peer) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    it = it->second.get() == peer ? peers_.erase(it) : std::next(it);
  }
}

void RtspUdpServer::watchPublisher(const asio::ip::address& ip,
                                   const std::vector<std::pair<uint16_t, uint16_t>>& ports,
                                   const std::shared_ptr<RtspUdpIngress>& ingress) {
  for (size_t i = 0; i < ports.size(); ++i) {
    publisherRtp_[udpKeyOf(udp::endpoint(ip, ports[i].first))] = {ingress, static_cast<uint8_t>(i)};
    publisherRtcp_[udpKeyOf(udp::endpoint(ip, ports[i].second))] = {ingress, static_cast<uint8_t>(i)};
  }
}

void RtspUdpServer::forgetPublisher(const RtspUdpIngress* ingress) {
  for (auto* map : {&publisherRtp_, &publisherRtcp_}) {
    for (auto it = map->begin(); it != map->end();) {
      it = it->second.ingress.get() == ingress ? map->erase(it) : std::next(it);
    }
  }
}

void RtspUdpServer::onRtp(const RtspUdpKey& from, const uint8_t* data, size_t size) {
  rtpReceived_.fetch_add(1, std::memory_order_relaxed);
  auto it = publisherRtp_.find(from);
  if (it == publisherRtp_.end()) {
    // Players' NAT "punch" packets, strays, spoofers: nothing reaches a session.
    rtpFromUnknown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (it->second.ingress->receive(it->second.track, false, data, size, core::monotonicUs()) ==
      RtspUdpIngress::Received::Malformed)
    rtpMalformed_.fetch_add(1, std::memory_order_relaxed);
}

void RtspUdpServer::onRtcp(const RtspUdpKey& from, const uint8_t* data, size_t size) {
  auto it = peers_.find(from);
  if (it == peers_.end()) {
    if (auto pub = publisherRtcp_.find(from); pub != publisherRtcp_.end()) {
      if (pub->second.ingress->receive(pub->second.track, true, data, size, core::monotonicUs()) ==
          RtspUdpIngress::Received::Malformed)
        rtcpMalformed_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    rtcpFromUnknown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!isReceiverRtcp(data, size)) {
    rtcpMalformed_.fetch_add(1, std::memory_order_relaxed);
    it->second->rtcpErrors.fetch_add(1, std::memory_order_relaxed);  // counted, not a keep-alive
    return;
  }
  RtspUdpPeer& p = *it->second;
  p.rtcpPackets.fetch_add(1, std::memory_order_relaxed);
  p.rtcpBytes.fetch_add(size, std::memory_order_relaxed);
  p.lastRtcpUs.store(core::monotonicUs(), std::memory_order_relaxed);
}

void RtspUdpServer::receiveRtcp() {
  rtcp_.async_receive_from(asio::buffer(rtcpBuffer_), rtcpFrom_,
                           [this](const boost::system::error_code& ec, size_t n) {
                             if (ec == asio::error::operation_aborted || !rtcp_.is_open()) return;
                             if (!ec && n > 0) onRtcp(udpKeyOf(rtcpFrom_), rtcpBuffer_.data(), n);
                             receiveRtcp();
                           });
}

void RtspUdpServer::receiveRtp() {
  rtp_.async_wait(udp::socket::wait_read,
                  core::withMemory(rtpWaitMemory_, [this](const boost::system::error_code& ec) {
                    if (ec == asio::error::operation_aborted || !rtp_.is_open()) return;
                    if (ec) return receiveRtp();
                    readRtpBatches();
                  }));
}

void RtspUdpServer::readRtpBatches() {
  for (int round = 0; round < kRtpRounds; ++round) {
    const size_t n = rtpBatch_.receive(rtp_.native_handle());
    for (size_t i = 0; i < n; ++i) {
      if (rtpBatch_.size(i) == 0 || rtpBatch_.truncated(i)) {
        // Longer than the buffer: cut off, so not a packet to pass on.
        rtpReceived_.fetch_add(1, std::memory_order_relaxed);
        rtpMalformed_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      onRtp(udpKeyOf(rtpBatch_.sender(i)), rtpBatch_.data(i), rtpBatch_.size(i));
    }
    if (n < RtspDatagramBatch::kSize) break;  // the socket is empty (or failed: the wait reports it)
    if (round + 1 == kRtpRounds) {
      // Still more: let the control thread's other work run, then read on.
      asio::post(control_, core::withMemory(rtpWaitMemory_, [this] {
                   if (rtp_.is_open()) readRtpBatches();
                 }));
      return;
    }
  }
  receiveRtp();
}

RtspUdpServerStats RtspUdpServer::stats() const {
  RtspUdpServerStats s;
  {
    std::lock_guard lock(egressMutex_);
    for (const auto& [io, e] : egress_) {
      s.datagramsSent += e->stats().datagramsSent.load(std::memory_order_relaxed);
      s.bytesSent += e->stats().bytesSent.load(std::memory_order_relaxed);
      s.datagramsDropped += e->stats().datagramsDropped.load(std::memory_order_relaxed);
    }
  }
  s.rtcpFromUnknown = rtcpFromUnknown_.load(std::memory_order_relaxed);
  s.rtcpMalformed = rtcpMalformed_.load(std::memory_order_relaxed);
  s.rtpReceived = rtpReceived_.load(std::memory_order_relaxed);
  s.rtpFromUnknown = rtpFromUnknown_.load(std::memory_order_relaxed);
  s.rtpMalformed = rtpMalformed_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sluice::rtsp
