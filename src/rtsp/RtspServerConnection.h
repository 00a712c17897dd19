#pragma once
// One TCP connection to the RTSP server and its session.
//
// Threads: the connection starts on the server's control thread, where its requests up to
// PLAY or RECORD are answered (RtspServerSession: access checks, path lookup, SDP). At PLAY or
// RECORD its socket moves to the worker of the path's stream (the descriptor is released and
// re-opened there) and the connection stays on that worker until it closes: a reader attaches
// to the stream there and writes the stream's shared packets straight from its history, a
// publisher hands its interleaved RTP to Stream::ingestRtp there, with no hop between threads
// per packet. `onThread()` asserts the phase's thread.
//
// Reader egress: each packet leaves as '$' + channel + length + the stored packet's bytes,
// gathered (writev) straight from the history; RtspPlayQueue keeps the backlog as cursors into
// it. The socket is non-blocking; what it does not take waits for writability while new
// packets only move cursors. Only the unsent tail of one partially written packet is copied.
// A reader whose socket takes nothing for writeTimeout is closed.
//
// RTSPS (options.tls): the same connection with an RtspTlsStream on the same descriptor. The
// handshake runs first on the control thread; reads and writes then go through the TLS
// session (its writes take a record of gathered packets at a time), with the same bounded
// backlog and writeTimeout. The plain path only tests `tls_` once per write or read.
//
// A UDP reader (SETUP with client_port) keeps this TCP connection for its requests, while its
// packets leave from the server's RTP socket through the worker's batched egress
// (core::UdpSendBatch), taken from the same cursors: a full socket drops (counted), never waits.
// Its receiver reports arrive on the server's RTCP socket (RtspUdpServer) and keep it alive:
// with neither them nor requests for idleTimeout it is closed, as MediaMTX closes UDP readers.
//
// A UDP publisher (RECORD after SETUP with client_port) sends its RTP and RTCP to the server's
// pair; RtspUdpServer matches them to this session's ingress (RtspUdpIngress), which feeds the
// stream on this worker. Its TCP connection may then stay silent: only UDP datagrams keep it
// alive, and without them for readTimeout it is closed (gortsplib's rule). Receiver reports go
// back to the publisher every 10 s.
//
// A multicast reader gets nothing on its own: it holds the stream's RtspMulticastSender, which
// writes every packet once to the groups, and stays alive through its requests.
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cassert>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "rtsp/RtspPlayQueue.h"
#include "rtsp/RtspServerSession.h"
#include "rtsp/RtspStreamParser.h"
#include "rtsp/RtspTlsStream.h"
#include "rtsp/RtspUdpServer.h"
#include "stream/Stream.h"

namespace sluice::rtsp {

// What the API shows of a connection and its session (any thread).
struct RtspConnectionInfo {
  std::string id, sessionId, remoteAddr, path, query, userAgent;
  std::string state = "idle";  // idle | read | publish
  std::string transport;       // TCP | UDP once a track is set up, else empty
  std::chrono::system_clock::time_point created;
  bool hasSession = false;
  uint64_t bytesReceived = 0, bytesSent = 0, rtpPacketsReceived = 0, rtcpPacketsReceived = 0,
           rtpPacketsSent = 0, rtpPacketsDiscarded = 0, framesOnUnknownChannel = 0, ingestErrors = 0,
           rtcpPacketsInError = 0;
  uint64_t rtpPacketsLost = 0, rtcpPacketsSent = 0;  // UDP publisher: by sequence numbers; receiver reports
  double rtpPacketsJitter = 0;  // UDP publisher: interarrival jitter, RTP units, mean of the tracks
};

class RtspServerConnection : public std::enable_shared_from_this<RtspServerConnection>,
                             private stream::StreamReader {
 public:
  using ClosedCallback = std::function<void(const std::string& id)>;
  RtspServerConnection(boost::asio::io_context& control, boost::asio::ip::tcp::socket socket,
                       RtspServerHandler& handler, const RtspServerOptions& options, RtspUdpServer* udp,
                       ClosedCallback onClosed);
  ~RtspServerConnection() override;

  void start();  // control thread
  // Closes the connection on its current thread (thread-safe).
  void kick(const std::string& reason);
  RtspConnectionInfo info() const;  // any thread
  const std::string& id() const { return id_; }

 private:
  enum class Phase { Control, Moving, Playing, Paused, Recording, Closed };

  void readSome();
  // RTSPS: the handshake, a read through the TLS session, a control-phase response written
  // through it from `offset` of outbox_.
  void handshakeTls();
  void readTls();
  void writeControlTls(size_t offset);
  void onControlWritten(const boost::system::error_code& ec, size_t n);
  // Worker phase: resumes flush() once the socket takes more.
  void waitWritable();
  void onRead(const boost::system::error_code& ec, size_t n);
  void process();  // handles what the parser holds, in order
  void handleControlRequest(const RtspRequest& request);
  void handleWorkerRequest(const RtspRequest& request);
  void sendControlReply(const RtspReply& reply);
  void moveToWorker(RtspReply reply, boost::asio::io_context& worker);
  void onWorker(RtspReply reply);
  void startPlaying(RtspResponse* playResponse);
  void stopPlaying();
  void onFrame(const RtspInterleavedFrame& frame);
  // Worker phase: queues response bytes between two packets and writes.
  void sendOnWorker(const RtspResponse& response);
  void flush();
  void scheduleFlush();
  // The client's address on the server's UDP pair (UDP readers and publishers).
  bool udpPeerAddress(boost::asio::ip::address& ip, std::string& error) const;
  // UDP reader: sets up its destinations and RTCP matching (control thread, at PLAY).
  bool prepareUdp(std::string& error);
  // UDP reader: hands every packet its cursors hold to the worker's egress.
  void sendUdp();
  bool udpMedia() const { return egress_ != nullptr; }
  // UDP publisher: its ingress and the server's matching of its ports (control thread, at RECORD).
  bool prepareUdpRecord(std::string& error);
  void noteSkips();
  // RTCP sender reports on each track's RTCP channel, between two packets (gortsplib's 10 s).
  void sendSenderReports(int64_t nowUs);
  static constexpr int64_t kSenderReportPeriodUs =
      10'000'000;  // counts the backlog's skips for the API, logs the first
  void armTick();
  void onTick();
  void close(const std::string& reason);
  bool onThread() const { return io_.load()->get_executor().running_in_this_thread(); }

  // StreamReader (worker)
  void onStreamPacket(size_t track, const stream::HistoryPacket& packet) override;
  void onStreamEnded(const std::string& reason) override;
  uint64_t historyNeededFrom(size_t track) const override;
  bool startsFrameBeforeKeyframe() const override;

  std::atomic<boost::asio::io_context*> io_;  // borrowed: control, then the stream's worker
  boost::asio::io_context& controlIo_;        // borrowed, the server's control thread
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<RtspTlsStream> tls_;  // owned; RTSPS only, on socket_'s descriptor
  RtspServerHandler& handler_;          // borrowed, outlives this
  const RtspServerOptions& options_;    // borrowed, the server's, outlives this
  RtspUdpServer* udp_;                  // borrowed, the server's, outlives this; null without UDP
  ClosedCallback onClosed_;
  std::string id_;
  uint16_t remotePort_ = 0;
  std::string remoteIp_, remoteAddr_;
  std::chrono::system_clock::time_point created_;
  RtspStreamParser parser_;
  RtspServerSession session_;
  Phase phase_ = Phase::Control;
  std::atomic<int> generation_{0};  // bumped when moving threads: stale timer handlers ignore themselves
  std::unique_ptr<boost::asio::steady_timer> tick_;   // owned, on the current thread's io
  std::unique_ptr<boost::asio::steady_timer> delay_;  // owned: the pause before a wrong-credentials 401
  std::string outbox_;                                // control phase: the response being written
  bool waitingForWrite_ = false;                      // control phase: parsing resumes after the write
  bool closeAfterWrite_ = false;
  int64_t lastReceiveUs_ = 0;

  // Worker phase.
  std::shared_ptr<stream::Stream> stream_;  // the path's stream (reader or publisher)
  std::unique_ptr<RtspPlayQueue> queue_;    // owned; reader only
  std::array<uint64_t, stream::kMaxSourceTracks>
      sentBeforePause_{};   // per stream track, for PLAY after PAUSE
  bool attaching_ = false;  // inside addReader: the PLAY response goes before any packet
  std::string control_;     // response bytes to write before the next packet
  std::array<uint8_t, 4 + stream::kMaxRtpPacket> partial_{};  // unsent tail of one packet
  size_t partialSize_ = 0, partialOffset_ = 0;
  bool writeWaiting_ = false, flushPosted_ = false, closeWhenFlushed_ = false;
  std::string closeWhenFlushedReason_ = "closed after an error response";
  int64_t lastProgressUs_ = 0;
  int64_t nextSenderReportUs_ = 0;
  struct ChannelCount {
    uint64_t packets = 0, octets = 0;
  };
  std::array<ChannelCount, 256> sentByChannel_{};  // by RTP channel: what the sender reports count
  uint64_t skipsLogged_ = 0;
  bool unknownChannelLogged_ = false;
  bool publishing_ = false;  // the publish sink began and must be told of the end

  // UDP publisher (set at RECORD, then used on the worker).
  std::shared_ptr<RtspUdpIngress> ingress_;  // shared with the server's RTP/RTCP registry
  int64_t nextReceiverReportUs_ = 0;
  static constexpr int64_t kReceiverReportPeriodUs = 10'000'000;

  // UDP reader (set at PLAY, then read on the worker).
  std::shared_ptr<core::UdpSendBatch> egress_;  // shared with the worker's other UDP readers
  std::shared_ptr<RtspUdpPeer> peer_;           // shared with the server's RTCP registry
  struct UdpDestination {
    sockaddr_storage rtp{}, rtcp{};
    socklen_t rtpLength = 0, rtcpLength = 0;
  };
  std::array<UdpDestination, stream::kMaxSourceTracks> udpTo_{};  // by set-up track (channel / 2)
  // Multicast reader (worker): the stream's sender, shared with its other multicast readers.
  std::shared_ptr<RtspMulticastSender> multicast_;

  mutable std::mutex infoMutex_;  // guards info_ strings
  RtspConnectionInfo info_;
  std::atomic<uint64_t> bytesReceived_{0}, bytesSent_{0}, rtpReceived_{0}, rtcpReceived_{0}, rtpSent_{0},
      unknownChannel_{0}, ingestErrors_{0}, discarded_{0};
};

}  // namespace sluice::rtsp
