#pragma once
// The ICE-TCP listener (webrtcLocalTCPAddress; RFC 6544 passive candidates): accepts TCP
// connections and reads RFC 4571 frames until the first connectivity check. A check that
// the server verifies (the same code as on UDP) is answered and binds the connection to
// its session: the socket moves to the session's worker as a TcpTransport. Anything else
// first (a non-STUN frame, a bad frame length, an unauthentic check) or no check within
// the deadline closes the connection. Runs on one worker (worker 0, beside the UDP mux).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "webrtc/Rfc4571Framer.h"
#include "webrtc/SocketAddress.h"
#include "webrtc/StunMessage.h"

namespace sluice::webrtc {

class WebrtcSession;

class IceTcpListener {
 public:
  // Verifies a check for whichever session it names and writes the response into `out`
  // (kIceCheckResponseMax bytes), setting `responseSize`; null when not authentic.
  using VerifyCheck = std::function<std::shared_ptr<WebrtcSession>(
      const StunMessage& check, const SocketAddress& from, uint8_t* out, size_t& responseSize)>;
  // Connections not yet bound to a session, at most; past it new ones are closed at once.
  static constexpr size_t kMaxPending = 1024;

  IceTcpListener(boost::asio::io_context& io, VerifyCheck verify,
                 std::chrono::milliseconds firstCheckTimeout);
  ~IceTcpListener();

  // Binds and listens (any thread, before start()).
  bool listen(const std::string& host, uint16_t port, std::string& error);
  uint16_t port() const { return port_; }
  // On the listener's worker.
  void start();
  void stop();

 private:
  struct Pending {
    explicit Pending(boost::asio::io_context& io) : socket(io), timer(io) {}
    boost::asio::ip::tcp::socket socket;
    boost::asio::steady_timer timer;
    SocketAddress from;
    Rfc4571Reader reader;
  };

  void accept();
  void read(const std::shared_ptr<Pending>& p);
  // true when the connection was handed over or dropped (stop reading).
  bool onFirstFrames(const std::shared_ptr<Pending>& p);
  void drop(Pending* p);

  boost::asio::io_context& io_;
  VerifyCheck verify_;
  std::chrono::milliseconds firstCheckTimeout_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::unordered_map<Pending*, std::shared_ptr<Pending>> pending_;  // owned until bound or dropped
  bool stopped_ = false;
};

}  // namespace sluice::webrtc
