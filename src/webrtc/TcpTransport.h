#pragma once
// The session-worker end of one ICE-TCP connection (RFC 6544, passive side) after its first
// valid connectivity check bound it to a session. Reads RFC 4571 frames: STUN checks are
// verified and answered here (consent), DTLS and SRTCP go to the session. Writes go through
// a TcpSendQueue (non-blocking, bounded, drained when the socket is writable; a full queue
// drops the packet), so a slow TCP viewer loses its own packets and never stalls the worker.
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "webrtc/Rfc4571Framer.h"
#include "webrtc/SessionTransport.h"
#include "webrtc/SocketAddress.h"
#include "webrtc/TcpSendQueue.h"

namespace sluice::webrtc {

class WebrtcSession;

class TcpTransport final : public SessionTransport, public std::enable_shared_from_this<TcpTransport> {
 public:
  // Takes ownership of the connected socket `fd`, to be run on `io` (the session's worker).
  TcpTransport(boost::asio::io_context& io, int fd, const SocketAddress& remote, WebrtcSession& session);
  ~TcpTransport() override;

  // Handles the bytes the listener read past the first check, then reads on.
  void start(const uint8_t* pending, size_t size);
  // The session is closing or dropped this path: no more calls into it; closes the socket.
  void detach();

  uint8_t* slot() override { return frame_.data() + Rfc4571Reader::kHeaderSize; }
  void commit(size_t size) override;
  const char* protocol() const override { return "tcp"; }
  std::string remoteText() const override { return remote_.toString(); }

  const SocketAddress& remote() const { return remote_; }
  const TcpSendQueue& sendQueue() const { return sendQueue_; }

 private:
  void read();
  // false when the connection is gone (error reported to the session).
  bool handleFrames();
  void onPacket(const uint8_t* data, size_t size);
  void sendStunResponse(const uint8_t* data, size_t size);
  void waitWritable();
  void fail(const std::string& reason);

  boost::asio::ip::tcp::socket socket_;
  SocketAddress remote_;
  WebrtcSession* session_;  // borrowed; cleared by detach() before the session goes away
  Rfc4571Reader reader_;
  std::array<uint8_t, Rfc4571Reader::kHeaderSize + kMaxPacket> frame_{};
  TcpSendQueue sendQueue_;
  bool writeWaiting_ = false;
  bool failed_ = false;    // no more reads or writes
  bool reported_ = false;  // the session was told
};

}  // namespace sluice::webrtc
