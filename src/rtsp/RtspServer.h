#pragma once
// MediaMTX's RTSP server (rtspAddress, :8554): readers DESCRIBE/SETUP/PLAY a path's stream
// over TCP interleaved, UDP unicast (RtspUdpServer: rtpAddress/rtcpAddress) or UDP multicast
// (RtspMulticastGroups: multicastIPRange on multicastRTPPort/multicastRTCPPort), publishers
// ANNOUNCE/SETUP/RECORD into a path over TCP. The listener and the
// registry of connections live on the control thread; each connection moves to its stream's
// worker at PLAY/RECORD (RtspServerConnection says how).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rtsp/RtspMulticast.h"
#include "rtsp/RtspServerConnection.h"
#include "rtsp/RtspUdpServer.h"

namespace sluice::rtsp {

class RtspServer {
 public:
  RtspServer(boost::asio::io_context& control, RtspServerHandler& handler, RtspServerOptions options);
  ~RtspServer();

  // Opens the listener; false and why (e.g. the port is taken).
  bool start(std::string& error);
  // Closes the listener and every connection.
  void stop();
  uint16_t port() const { return port_; }
  // The UDP pair when "udp" is served; null otherwise.
  const RtspUdpServer* udp() const { return udp_.get(); }
  // The multicast groups when "multicast" is served; null otherwise.
  const RtspMulticastGroups* multicast() const { return multicast_.get(); }

  // Any thread.
  std::vector<RtspConnectionInfo> connections() const;
  // Closes the connection of session (or connection) `id`; false when there is none.
  bool kick(const std::string& id);

 private:
  void accept();

  boost::asio::io_context& control_;
  RtspServerHandler& handler_;  // borrowed, outlives this
  RtspServerOptions options_;   // read by every connection
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<RtspUdpServer> udp_;  // owned; control thread; outlives the connections
  std::unique_ptr<RtspMulticastGroups> multicast_;  // owned; outlives the connections and senders
  uint16_t port_ = 0;
  bool stopped_ = false;
  mutable std::mutex mutex_;  // guards conns_ (the API reads it from the HTTP thread)
  std::map<std::string, std::shared_ptr<RtspServerConnection>> conns_;
};

}  // namespace sluice::rtsp
