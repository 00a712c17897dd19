#pragma once
// The RTSP server's UDP side (rtpAddress / rtcpAddress, :8000 / :8001): one socket pair shared
// by every UDP session, as MediaMTX has it. RTP leaves from the RTP socket through one batched
// egress per worker (core::UdpSendBatch); sender reports leave from the RTCP socket. What clients
// send to the pair is read on the control thread: a datagram on the RTCP socket is matched to
// its session by source address and port (the client's RTCP port of a set-up track) and, if it
// is well-formed RTCP, refreshes and counts that session (its keep-alive).
//
// UDP publishers (RECORD) send their RTP to the RTP socket and their sender reports to the
// RTCP socket, from their client_port pair: the datagram's source address and port name the
// publishing session and its track (one hash lookup, as gortsplib matches a client by IP and
// port), and it goes to that session's ingress (RtspUdpIngress), which carries it to the
// stream's worker. The RTP socket is read in batches (recvmmsg). Datagrams from unknown
// addresses (players' NAT "punch" packets among them) and malformed RTCP are counted and
// dropped without touching any session.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/HandlerMemory.h"
#include "core/UdpSendBatch.h"
#include "rtsp/RtspDatagramBatch.h"
#include "rtsp/RtspUdpIngress.h"

namespace sluice::rtsp {

// A UDP reader's receive side, shared by its connection (worker) and the registry (control).
struct RtspUdpPeer {
  std::atomic<int64_t> lastRtcpUs{0};  // monotonic time of the last valid RTCP datagram
  std::atomic<uint64_t> rtcpPackets{0}, rtcpBytes{0}, rtcpErrors{0}, rtpDropped{0};
};

// A client's IP and port as a map key (IPv4 as v4-mapped IPv6).
struct RtspUdpKey {
  std::array<uint8_t, 16> ip{};
  uint16_t port = 0;
  bool operator==(const RtspUdpKey&) const = default;
};
struct RtspUdpKeyHash {
  size_t operator()(const RtspUdpKey& k) const;
};
RtspUdpKey udpKeyOf(const boost::asio::ip::udp::endpoint& endpoint);

// Whether a datagram is a well-formed RTCP compound (or reduced-size) packet: what a reader's
// report must be to count, and what a publisher's RTCP must be to reach its stream.
bool isReceiverRtcp(const uint8_t* data, size_t size);

struct RtspUdpServerStats {
  uint64_t datagramsSent = 0, bytesSent = 0, datagramsDropped = 0;
  uint64_t rtcpFromUnknown = 0, rtcpMalformed = 0, rtpReceived = 0;
  uint64_t rtpFromUnknown = 0, rtpMalformed = 0;  // on the RTP socket (rtpReceived counts every datagram)
};

class RtspUdpServer {
 public:
  explicit RtspUdpServer(boost::asio::io_context& control) : control_(control) {}
  ~RtspUdpServer();

  // Binds both sockets and starts reading; false and why (a port taken, a bad address).
  bool open(const std::string& rtpAddress, const std::string& rtcpAddress, int readBufferSize,
            std::string& error);
  void close();
  uint16_t rtpPort() const { return rtpPort_; }
  uint16_t rtcpPort() const { return rtcpPort_; }
  int rtcpFd() const { return rtcpFd_; }  // for sender reports, from any worker
  // The socket address to send to `ip`:`port` from the pair (IPv4 as v4-mapped on a dual-stack
  // pair); false when the pair cannot reach that address family.
  bool destination(const boost::asio::ip::address& ip, uint16_t port, sockaddr_storage& out,
                   socklen_t& length) const;

  // The egress of the worker running `worker` (created on first use). Any thread.
  std::shared_ptr<core::UdpSendBatch> egressFor(boost::asio::io_context& worker);

  // Control thread: RTCP from these client addresses belongs to `peer` (a newer registration
  // of the same address replaces an older one); forget() drops every address of `peer`.
  void watch(const std::vector<boost::asio::ip::udp::endpoint>& from,
             const std::shared_ptr<RtspUdpPeer>& peer);
  void forget(const RtspUdpPeer* peer);
  // Control thread: a publisher at `ip` sends set-up track i from ports[i] (RTP, RTCP) to the
  // pair; forgetPublisher() drops every address of `ingress`.
  void watchPublisher(const boost::asio::ip::address& ip,
                      const std::vector<std::pair<uint16_t, uint16_t>>& ports,
                      const std::shared_ptr<RtspUdpIngress>& ingress);
  void forgetPublisher(const RtspUdpIngress* ingress);

  // A datagram that came to the RTCP socket (control thread; public for the tests and fuzzer).
  void onRtcp(const RtspUdpKey& from, const uint8_t* data, size_t size);
  // A datagram that came to the RTP socket (control thread; public for the tests and fuzzer).
  void onRtp(const RtspUdpKey& from, const uint8_t* data, size_t size);
  RtspUdpServerStats stats() const;  // any thread

 private:
  void receiveRtcp();
  void receiveRtp();      // waits for the RTP socket to be readable
  void readRtpBatches();  // reads what it holds, a bounded number of batches per turn

  static constexpr int kRtpRounds = 16;  // recvmmsg calls per turn (RtspDatagramBatch::kSize each)
  struct PublisherTrack {
    std::shared_ptr<RtspUdpIngress> ingress;
    uint8_t track = 0;  // set-up track of the session
  };

  boost::asio::io_context& control_;
  boost::asio::ip::udp::socket rtp_{control_}, rtcp_{control_};
  uint16_t rtpPort_ = 0, rtcpPort_ = 0;
  int rtcpFd_ = -1;
  bool v6_ = false;  // the pair is IPv6 (dual-stack when bound to the wildcard)
  boost::asio::ip::udp::endpoint rtcpFrom_;
  std::array<uint8_t, 2048> rtcpBuffer_{};
  RtspDatagramBatch rtpBatch_;  // recvmmsg's buffers on the RTP socket (control thread)
  // The RTP socket's one pending wait or continuation. Shared with the operation: the io_context
  // may destroy a pending one after this server is gone (shutdown), freeing into live memory.
  std::shared_ptr<core::HandlerMemory> rtpWaitMemory_ = std::make_shared<core::HandlerMemory>();
  std::unordered_map<RtspUdpKey, std::shared_ptr<RtspUdpPeer>, RtspUdpKeyHash> peers_;  // control thread
  // Publishers' RTP and RTCP source addresses (control thread).
  std::unordered_map<RtspUdpKey, PublisherTrack, RtspUdpKeyHash> publisherRtp_, publisherRtcp_;
  mutable std::mutex egressMutex_;  // guards egress_ (looked up at PLAY, read by the API)
  std::map<boost::asio::io_context*, std::shared_ptr<core::UdpSendBatch>> egress_;
  std::atomic<uint64_t> rtcpFromUnknown_{0}, rtcpMalformed_{0}, rtpReceived_{0}, rtpFromUnknown_{0},
      rtpMalformed_{0};
};

}  // namespace sluice::rtsp
