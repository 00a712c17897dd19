#pragma once
// The WHEP side of Sluice: one UDP port shared by every session (ICE-lite), optionally one
// ICE-TCP port (passive TCP candidates, RFC 6544) beside it, one DTLS
// certificate per process, a WebrtcWorker per worker thread. A session lives on the worker
// ViewerPlacement picks: its stream's own, or for a popular stream's further viewers the least
// loaded one, where it reads the stream's mirror (stream/StreamMirror). Control-plane calls
// (create/patch/delete/list) run on the control thread; the UDP receive loop runs on worker 0 and hands each
// datagram to the owning session's worker.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/HandlerMemory.h"
#include "core/WorkerPool.h"
#include "stream/Stream.h"
#include "stream/StreamMirror.h"
#include "webrtc/DtlsCertificate.h"
#include "webrtc/IceTcpListener.h"
#include "webrtc/SocketAddress.h"
#include "webrtc/ViewerPlacement.h"
#include "webrtc/WebrtcSession.h"
#include "webrtc/WebrtcWorker.h"

namespace sluice::webrtc {

struct WebrtcServerConfig {
  std::string localUdpAddress = ":8189";  // "" = no UDP (ICE-TCP only)
  std::string localTcpAddress;            // ICE-TCP passive candidates; "" = none
  bool ipsFromInterfaces = true;
  std::vector<std::string> ipsFromInterfacesList;
  std::vector<std::string> additionalHosts;
  std::chrono::milliseconds handshakeTimeout{10000};
  std::chrono::milliseconds senderReportPeriod{1000};
  std::chrono::milliseconds consentTimeout{30000};
  int udpReadBufferSize = 0;
  // Sessions still in their ICE+DTLS handshake (created, not yet connected), per client
  // (core::clientKey of the HTTP client's address; this host's 127.0.0.1 and ::1 exempt) and in
  // all; 0 = no limit. Past them a new session is refused with 429 / 503, so clients that never
  // connect cannot pile up sessions.
  size_t maxHandshakesPerClient = 128;
  size_t maxHandshakes = 1024;
};

struct WhepSessionResult {
  int status = 201;
  std::string error;
  std::string answer, id, secret;
};

struct UdpEgressTotals {
  uint64_t datagramsSent = 0, bytesSent = 0, datagramsDropped = 0, batches = 0;
  uint64_t messages = 0;       // handed to the kernel: a GSO run (equal-size datagrams) counts once
  uint64_t inboxDropped = 0;   // received datagrams dropped on their way to a stalled worker
  uint64_t mirrors = 0;        // streams mirrored to another worker for their viewers there
  uint64_t mirrorDropped = 0;  // packets a mirror's full ring dropped (its worker stalled)
  std::vector<uint32_t> viewersPerWorker;  // WebRTC viewers placed on each worker
};

struct WebrtcSessionInfo {
  std::string id, path, query, remoteAddress, state;
  std::chrono::system_clock::time_point created;
  uint64_t bytesReceived = 0, bytesSent = 0, rtpPacketsSent = 0, rtcpPacketsReceived = 0, rtcpPacketsSent = 0,
           nacksReceived = 0, retransmitted = 0, plisReceived = 0, firsReceived = 0, packetsLostReported = 0,
           keyframeSkips = 0, packetsSkipped = 0;
  uint32_t jitterReported = 0;
  std::string remoteCandidate;         // "ip:port" of the selected path, "" before checks
  std::string remoteProtocol = "udp";  // of the selected path: "udp" or "tcp" (ICE-TCP)
};

class WebrtcServer {
 public:
  WebrtcServer(core::WorkerPool& pool, boost::asio::io_context& control, WebrtcServerConfig config);
  ~WebrtcServer();

  bool start(std::string& error);
  void stop();

  const std::vector<std::string>& hostCandidates() const { return candidates_; }
  uint16_t udpPort() const { return udpPort_; }
  uint16_t tcpPort() const { return tcpListener_ ? tcpListener_->port() : 0; }

  // ---- control thread ----
  WhepSessionResult createSession(const std::string& offerSdp, const std::shared_ptr<stream::Stream>& stream,
                                  core::Worker& streamWorker, const std::string& path,
                                  const std::string& query, const std::string& remoteAddress);
  int patchSession(const std::string& secret, const std::string& body, std::string& error);
  int deleteSession(const std::string& secret, std::string& error);
  // API kick: by the public ID (not the secret). 200 or 404.
  int kickSession(const std::string& id, std::string& error);
  UdpEgressTotals egressTotals() const;
  std::vector<WebrtcSessionInfo> listSessions() const;
  size_t sessionCount() const;
  // Sessions created and not yet connected, in all and for one client (core::clientKey).
  size_t handshakeCount() const;
  size_t handshakeCount(const std::string& clientKey) const;

 private:
  struct UfragEntry {
    std::shared_ptr<WebrtcSession> session;
    std::string localPwd;
  };

  bool startUdp(std::string& error);
  bool startTcp(std::string& error);
  void receive();
  void onDatagram(const uint8_t* data, size_t size, const SocketAddress& from);
  void onStun(const uint8_t* data, size_t size, const SocketAddress& from);
  // The one verification of a first check on any transport (worker 0): the session it names
  // and the response in `out` (kIceCheckResponseMax bytes), or null if not authentic.
  std::shared_ptr<WebrtcSession> verifyIceCheck(const StunMessage& msg, const SocketAddress& from,
                                                uint8_t* out, size_t& responseSize);
  void dispatch(const std::shared_ptr<WebrtcSession>& session, const uint8_t* data, size_t size);
  void forget(const std::shared_ptr<WebrtcSession>& session);  // on worker 0

  core::WorkerPool& pool_;
  boost::asio::io_context& control_;
  WebrtcServerConfig config_;
  std::shared_ptr<DtlsCertificate> certificate_;
  std::vector<std::unique_ptr<WebrtcWorker>> workers_;
  std::vector<std::string> candidates_;
  std::vector<std::string> tcpCandidates_;
  uint16_t udpPort_ = 0;

  // UDP mux: socket and tables owned by worker 0.
  std::unique_ptr<boost::asio::ip::udp::socket> socket_;
  boost::asio::ip::udp::endpoint from_;
  std::array<uint8_t, 2048> recvBuffer_{};
  // The pending receive's operation (one at a time); shared with it.
  std::shared_ptr<core::SmallHandlerMemory> receiveMemory_ = std::make_shared<core::SmallHandlerMemory>();
  // Looked up by the check's USERNAME view: no string is built per check.
  struct UfragHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, UfragEntry, UfragHash, std::equal_to<>> byUfrag_;
  std::unordered_map<SocketAddress, std::shared_ptr<WebrtcSession>, SocketAddressHash> byAddress_;
  std::atomic<uint64_t> datagramsIgnored_{0};
  std::unique_ptr<IceTcpListener> tcpListener_;  // owned, runs on worker 0; null without ICE-TCP

  // Control-thread state (the mutex only guards API reads from other threads).
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<WebrtcSession>> bySecret_;
  ViewerPlacement placement_;
  // Per stream with viewers away from its worker: its mirror on each worker (null: none).
  std::unordered_map<const stream::Stream*, std::vector<std::shared_ptr<stream::StreamMirror>>> mirrors_;
  uint64_t mirrorDroppedGone_ = 0;  // drops of mirrors already released

  // The stream a viewer placed on `worker` reads: the stream itself on its own worker, else its
  // mirror there (created on the first such viewer). Under mutex_.
  std::shared_ptr<stream::Stream> streamOn(const std::shared_ptr<stream::Stream>& stream, core::Worker& home,
                                           size_t worker);
  // A viewer placed on `worker` left: the mirror there ends with its last viewer. Under mutex_.
  void releaseViewer(const stream::Stream* stream, size_t worker);

  // The caps above; nullopt when the session may be created.
  std::optional<WhepSessionResult> overHandshakeLimits(const std::string& remoteAddress) const;
};

}  // namespace sluice::webrtc
