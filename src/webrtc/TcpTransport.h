#pragma once
// The session-worker end of one ICE-TCP connection (RFC 6544, passive side) after its first
// valid connectivity check bound it to a session. Reads RFC 4571 frames: STUN checks are
// verified and answered here (consent), DTLS and SRTCP go to the session. Writes are
// non-blocking: a packet is written at once while nothing is queued, else appended to a
// bounded per-connection queue drained when the socket is writable; when the queue is full
// the packet is dropped (counted), so a slow TCP viewer loses its own packets and never
// stalls the worker. Never a partial frame: a packet is queued whole or dropped whole.
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

namespace sluice::webrtc {

class WebrtcSession;

struct TcpTransportStats {
  std::atomic<uint64_t> packetsSent{0};     // written or queued
  std::atomic<uint64_t> packetsDropped{0};  // queue full
  std::atomic<uint64_t> queueHighWater{0};  // bytes
};

class TcpTransport final : public SessionTransport, public std::enable_shared_from_this<TcpTransport> {
 public:
  // About 0.5 s of a 4 Mbit/s camera: enough to ride out a congestion window's stall.
  static constexpr size_t kQueueBytes = 256 * 1024;

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
  const TcpTransportStats& stats() const { return stats_; }

 private:
  void read();
  // false when the connection is gone (error reported to the session).
  bool handleFrames();
  void onPacket(const uint8_t* data, size_t size);
  void sendStunResponse(const uint8_t* data, size_t size);
  void enqueue(const uint8_t* data, size_t size);
  void waitWritable();
  void flushQueue();
  void fail(const std::string& reason);

  boost::asio::ip::tcp::socket socket_;
  SocketAddress remote_;
  WebrtcSession* session_;  // borrowed; cleared by detach() before the session goes away
  Rfc4571Reader reader_;
  std::array<uint8_t, Rfc4571Reader::kHeaderSize + kMaxPacket> frame_{};
  std::unique_ptr<uint8_t[]> queue_;  // owned ring of kQueueBytes
  size_t queueHead_ = 0, queueSize_ = 0;
  bool writeWaiting_ = false;
  bool failed_ = false;    // no more reads or writes
  bool reported_ = false;  // the session was told
  TcpTransportStats stats_;
};

}  // namespace sluice::webrtc
