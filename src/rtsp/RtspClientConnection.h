#pragma once
// One attempt of RtspClient: a TCP control connection to the camera and, with UDP, one
// RTP/RTCP socket pair per media. Runs OPTIONS → DESCRIBE → SETUP×n → PLAY as a coroutine,
// then receives media with plain re-arming handlers (fixed buffers, fixed handler memory:
// no allocation, lock or log per packet) and keeps the session alive (keepalives, RTCP
// receiver reports, read timeouts) from a 1 s tick.
//
// It reports its session's events to its RtspClient (which decides on a TCP fallback; media
// go straight to the owner's onRtp/onRtcp) until it stops; after stop() or its own end it
// never calls the client again, and pending Asio handlers only keep its memory alive.
// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it
// clang-format on
#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/Log.h"
#include "media/RtpReceptionStats.h"
#include "rtsp/RtspClient.h"
#include "rtsp/RtspDatagramBatch.h"
#include "rtsp/RtspDigestAuth.h"
#include "rtsp/RtspHandlerMemory.h"
#include "rtsp/RtspMessage.h"
#include "rtsp/RtspStreamParser.h"
#include "rtsp/RtspTlsStream.h"
#include "rtsp/RtspUrl.h"

namespace sluice::rtsp {

class RtspClientConnection : public std::enable_shared_from_this<RtspClientConnection> {
 public:
  // transport: Udp or Tcp. automatic: a UDP attempt may end with switchToTcp. Media go to the
  // client's owner's onRtp/onRtcp (the RtspClient stops this attempt before it goes).
  RtspClientConnection(boost::asio::io_context& io, const RtspClientConfig& config, RtspTransport transport,
                       bool automatic, RtspClient& client);
  ~RtspClientConnection();

  void start();
  // Best-effort TEARDOWN (only if it can be written without waiting), then closes
  // everything. Idempotent; no listener call afterwards. Also releases the connection an
  // attempt keeps open after it asked for a switch to TCP.
  void stop();
  const RtspClientStats& stats() const { return stats_; }

 private:
  struct Track {
    size_t index = 0;
    RtspTrackInfo info;
    // UDP
    boost::asio::ip::udp::socket rtpSocket;
    boost::asio::ip::udp::socket rtcpSocket;
    boost::asio::ip::udp::endpoint rtcpSender;
    boost::asio::ip::udp::endpoint serverRtp;
    boost::asio::ip::udp::endpoint serverRtcp;
    bool serverPortsKnown = false;
    RtspHandlerMemory rtpMemory;
    RtspHandlerMemory rtcpMemory;
    std::unique_ptr<RtspDatagramBatch> rtpBatch;  // owned; made when media go over UDP
    std::array<uint8_t, 2048> rtcpBuffer{};
    // TCP
    uint8_t rtpChannel = 0;
    uint8_t rtcpChannel = 0;
    // Reception statistics of the current source, for receiver reports.
    bool haveSsrc = false;
    uint32_t ssrc = 0;
    media::RtpReceptionStats reception;
    int64_t lostCounted = 0;

    explicit Track(boost::asio::io_context& io) : rtpSocket(io), rtcpSocket(io) {}
  };

  class Failure;

  boost::asio::awaitable<void> run(std::shared_ptr<RtspClientConnection> self);
  boost::asio::awaitable<void> connectControl();
  boost::asio::awaitable<void> sendOptions();
  // True when the server redirected (3xx + Location): targetUrl_ holds the new URL.
  boost::asio::awaitable<bool> sendDescribe();
  void followRedirect();
  boost::asio::awaitable<void> setupTracks();
  boost::asio::awaitable<void> setupTrack(Track& t);
  void switchToTcpInPlace(const char* reason);
  boost::asio::awaitable<void> sendPlay();
  boost::asio::awaitable<RtspResponse> request(const std::string& method, const std::string& uri,
                                               const RtspHeaders& extra = {});
  boost::asio::awaitable<RtspResponse> readResponse(uint32_t cseq);

  RtspRequest makeRequest(const std::string& method, const std::string& uri);
  void armDeadline(std::chrono::milliseconds timeout, std::string message);
  void disarmDeadline();
  void watchDeadline();
  std::string describe(const boost::system::error_code& ec) const;

  void startStreaming();
  void notifyReady();
  void receiveRtp(Track& t);
  void receiveRtcp(Track& t);
  void onRtpReadable(Track& t, const boost::system::error_code& ec);
  void onRtcpPacket(Track& t, const boost::system::error_code& ec, size_t size);
  // One datagram from a track's RTP or RTCP socket; false when the connection ended meanwhile.
  bool onDatagram(Track& t, bool rtcp, const boost::asio::ip::udp::endpoint& sender, const uint8_t* data,
                  size_t size, bool truncated);
  // Waits until the socket is readable, then reads it into the thread's shared buffer.
  void readTcp();
  void onTcpReadable(const boost::system::error_code& ec);
  bool drainParser();
  void handleRtp(Track& t, const uint8_t* data, size_t size, int64_t nowUs);
  void handleRtcp(Track& t, const uint8_t* data, size_t size, int64_t nowUs);
  void punchUdp();

  void scheduleTick();
  void onTick();
  void sendKeepalive();
  void sendReceiverReports(int64_t nowUs);
  void countLosses();
  void enqueueWrite(std::string bytes);
  void writeNext();
  // rtsps://: the TLS handshake on the connected socket, and the server's certificate checked.
  boost::asio::awaitable<void> startTls(const std::string& where);
  // The control connection's bytes, in TLS when tls_ is set.
  boost::asio::awaitable<void> writeAll(const std::string& bytes);
  boost::asio::awaitable<size_t> readSomeAwait(std::span<uint8_t> space);
  // Non-blocking: a count; 0 with `ec` (would_block: wait for `waitWrite` ? writable : readable).
  size_t readSomeNow(std::span<uint8_t> space, boost::system::error_code& ec, bool& waitWrite);
  void waitTcp(bool writable);
  void writeNextTls();

  void finish(const std::string& error, bool switchToTcp = false);
  // Stops everything; keepControl leaves the RTSP connection (and session) open.
  void closeAll(bool keepControl);
  void closeControl();

  boost::asio::io_context& io_;
  // A copy, on purpose: a coroutine stopped mid-request still unwinds later (its cancelled
  // read completes on the next turn) and may outlive the RtspClient it came from.
  const RtspClientConfig config_;
  RtspTransport transport_;
  bool automatic_;
  RtspClient& client_;                  // borrowed: owns this attempt, outlives every call
  const RtspClient::Callbacks& media_;  // borrowed: the owner's callbacks, held by the RtspClient

  RtspUrl url_;
  std::string targetUrl_;   // after a redirect: the URL to use instead of config_.url
  std::string requestUrl_;  // the camera URL without credentials
  std::string baseUrl_;
  std::string sdp_;
  boost::asio::ip::tcp::socket tcp_;
  std::unique_ptr<RtspTlsStream> tls_;  // owned; rtsps:// only, on tcp_'s descriptor
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer tick_;
  std::string deadlineMessage_;
  std::string timeoutError_;
  boost::asio::ip::address serverAddress_;

  // Owned. Small: media are read into the thread's shared buffer; between reads it holds
  // only a partial frame (and the control phase's replies).
  RtspStreamParser parser_{RtspStreamParser::Limits{.initialCapacity = size_t{4} * 1024}};
  RtspHandlerMemory tcpReadMemory_;
  uint32_t cseq_ = 0;
  std::optional<RtspAuthenticator> auth_;
  std::string sessionId_;
  std::chrono::milliseconds keepalivePeriod_{30000};
  bool useGetParameter_ = false;
  std::vector<std::unique_ptr<Track>> tracks_;
  std::array<int16_t, 256> channelMap_{};  // interleaved channel -> track * 2 + isRtcp, or -1

  std::deque<std::string> writeQueue_;
  bool writing_ = false;  // an async write (control phase or queue) is in flight
  int64_t writeStartUs_ = 0;

  bool stopped_ = false;
  bool streaming_ = false;
  bool readyNotified_ = false;
  bool udpFlowing_ = false;
  int64_t originUs_ = 0;
  int64_t playUs_ = 0;
  int64_t lastTcpRxUs_ = 0;
  int64_t lastUdpRxUs_ = 0;
  int64_t lastKeepaliveUs_ = 0;
  int64_t lastReportUs_ = 0;
  uint32_t localSsrc_ = 0;
  std::string cname_;
  uint64_t lossToLog_ = 0;
  log::RateLimit lossLog_{std::chrono::seconds(1)};
  RtspClientStats stats_;
};

}  // namespace sluice::rtsp
