#include "rtsp/RtspServerConnection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <span>

#include "core/Clock.h"
#include "core/Log.h"
#include "core/Random.h"
#include "media/Rtcp.h"

namespace sluice::rtsp {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// The server's requests are small: a header block of 16 KiB, an SDP of 64 KiB.
RtspStreamParser::Limits serverLimits() {
  RtspStreamParser::Limits l;
  l.maxHeaderBytes = size_t{16} * 1024;
  l.maxBodyBytes = size_t{64} * 1024;
  l.maxHeaderCount = 64;
  l.initialCapacity = size_t{4} * 1024;  // a reader's requests; a publisher's media get reserve()d
  return l;
}
constexpr size_t kMaxGather = 64;  // packets per writev
}  // namespace

namespace {
asio::ip::address remoteAddressOf(const tcp::socket& socket, uint16_t& port) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return {};
  port = ep.port();
  asio::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}
}  // namespace

RtspServerConnection::RtspServerConnection(asio::io_context& control, tcp::socket socket,
                                           RtspServerHandler& handler, const RtspServerOptions& options,
                                           RtspUdpServer* udp, ClosedCallback onClosed)
    : io_(&control),
      controlIo_(control),
      socket_(std::move(socket)),
      handler_(handler),
      options_(options),
      udp_(udp),
      onClosed_(std::move(onClosed)),
      id_(core::randomUuid()),
      remoteIp_(remoteAddressOf(socket_, remotePort_).to_string()),
      created_(std::chrono::system_clock::now()),
      parser_(serverLimits()),
      session_(handler, options, remoteIp_) {
  remoteAddr_ = (remoteIp_.find(':') != std::string::npos ? "[" + remoteIp_ + "]" : remoteIp_) + ":" +
                std::to_string(remotePort_);
  info_.id = id_;
  info_.remoteAddr = remoteAddr_;
  info_.created = created_;
}

RtspServerConnection::~RtspServerConnection() = default;

void RtspServerConnection::start() {
  assert(onThread());
  std::weak_ptr<RtspServerConnection> weak = weak_from_this();
  session_.setKick([weak] {
    if (auto self = weak.lock()) self->kick("another publisher took the path (overridePublisher)");
  });
  lastReceiveUs_ = core::monotonicUs();
  tick_ = std::make_unique<asio::steady_timer>(*io_.load());
  armTick();
  if (options_.tls) {
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    if (!ec) tls_ = RtspTlsStream::create(options_.tls, socket_.native_handle(), ec);
    if (!tls_) {
      close("cannot start TLS: " + ec.message());
      return;
    }
    handshakeTls();
    return;
  }
  readSome();
}

void RtspServerConnection::kick(const std::string& reason) {
  asio::post(*io_.load(), [self = shared_from_this(), reason] {
    // Posted while the connection was moving to its stream's worker: follow it there.
    if (!self->onThread()) return self->kick(reason);
    self->close(reason);
  });
}

RtspConnectionInfo RtspServerConnection::info() const {
  RtspConnectionInfo out;
  {
    std::lock_guard lock(infoMutex_);
    out = info_;
  }
  out.bytesReceived = bytesReceived_.load(std::memory_order_relaxed);
  uint64_t udpRtcp = 0, udpDropped = 0;
  if (const std::shared_ptr<RtspUdpPeer> peer = std::atomic_load(&peer_)) {
    out.bytesReceived += peer->rtcpBytes.load(std::memory_order_relaxed);
    udpRtcp = peer->rtcpPackets.load(std::memory_order_relaxed);
    udpDropped = peer->rtpDropped.load(std::memory_order_relaxed);
    out.rtcpPacketsInError = peer->rtcpErrors.load(std::memory_order_relaxed);
  }
  uint64_t udpRtp = 0, udpIngestErrors = 0, udpReportBytes = 0;
  if (const std::shared_ptr<RtspUdpIngress> ingress = std::atomic_load(&ingress_)) {
    const RtspUdpIngressStats& st = ingress->stats();
    out.bytesReceived +=
        st.rtpBytes.load(std::memory_order_relaxed) + st.rtcpBytes.load(std::memory_order_relaxed);
    udpRtp = st.rtpPackets.load(std::memory_order_relaxed);
    udpRtcp = st.rtcpPackets.load(std::memory_order_relaxed);
    udpDropped = st.inboxDropped.load(std::memory_order_relaxed);
    udpIngestErrors =
        st.ingestErrors.load(std::memory_order_relaxed) + st.rtpMalformed.load(std::memory_order_relaxed);
    out.rtcpPacketsInError = st.rtcpMalformed.load(std::memory_order_relaxed);
    udpReportBytes = st.reportBytesSent.load(std::memory_order_relaxed);
    out.rtpPacketsLost = st.rtpLost.load(std::memory_order_relaxed);
    out.rtpPacketsJitter = st.rtpJitter.load(std::memory_order_relaxed);
    out.rtcpPacketsSent = st.reportsSent.load(std::memory_order_relaxed);
  }
  out.bytesSent = bytesSent_.load(std::memory_order_relaxed) + udpReportBytes;
  out.rtpPacketsReceived = rtpReceived_.load(std::memory_order_relaxed) + udpRtp;
  out.rtcpPacketsReceived = rtcpReceived_.load(std::memory_order_relaxed) + udpRtcp;
  out.rtpPacketsSent = rtpSent_.load(std::memory_order_relaxed);
  out.rtpPacketsDiscarded = discarded_.load(std::memory_order_relaxed) + udpDropped;
  out.framesOnUnknownChannel = unknownChannel_.load(std::memory_order_relaxed);
  out.ingestErrors = ingestErrors_.load(std::memory_order_relaxed) + udpIngestErrors;
  return out;
}

// ---- reading (both phases) -----------------------------------------------------------------

void RtspServerConnection::readSome() {
  assert(onThread());
  if (phase_ == Phase::Closed) return;
  if (tls_) return readTls();
  std::span<uint8_t> space = parser_.prepare();
  socket_.async_read_some(
      asio::buffer(space.data(), space.size()),
      [self = shared_from_this(), gen = generation_.load()](const boost::system::error_code& ec, size_t n) {
        if (gen != self->generation_.load()) return;
        self->onRead(ec, n);
      });
}

void RtspServerConnection::handshakeTls() {
  assert(onThread());
  if (phase_ == Phase::Closed) return;
  boost::system::error_code ec;
  const RtspTlsStream::Wait wait = tls_->handshake(ec);
  if (ec) {
    log::debug("[RTSP] [conn {}] TLS handshake failed: {}", remoteAddr_, ec.message());
    close("TLS handshake failed: " + ec.message());
    return;
  }
  if (wait == RtspTlsStream::Wait::None) return readSome();
  socket_.async_wait(
      wait == RtspTlsStream::Wait::Read ? tcp::socket::wait_read : tcp::socket::wait_write,
      [self = shared_from_this(), gen = generation_.load()](const boost::system::error_code& ec) {
        if (gen != self->generation_.load() || self->phase_ == Phase::Closed) return;
        if (ec) return self->close(ec.message());
        self->handshakeTls();
      });
}

void RtspServerConnection::readTls() {
  std::span<uint8_t> space = parser_.prepare();
  RtspTlsStream::Wait wait = RtspTlsStream::Wait::None;
  boost::system::error_code ec;
  const size_t n = tls_->readSome(space.data(), space.size(), wait, ec);
  const int gen = generation_.load();
  if (n > 0 || ec) {
    // Posted, as a socket's completion: a peer keeping the socket readable would otherwise
    // recurse through process().
    asio::post(*io_.load(), [self = shared_from_this(), gen, ec, n] {
      if (gen == self->generation_.load()) self->onRead(ec, n);
    });
    return;
  }
  socket_.async_wait(wait == RtspTlsStream::Wait::Write ? tcp::socket::wait_write : tcp::socket::wait_read,
                     [self = shared_from_this(), gen](const boost::system::error_code& ec) {
                       if (gen != self->generation_.load() || self->phase_ == Phase::Closed) return;
                       if (ec) return self->onRead(ec, 0);
                       self->readTls();
                     });
}

void RtspServerConnection::onRead(const boost::system::error_code& ec, size_t n) {
  if (phase_ == Phase::Closed) return;
  assert(onThread());
  if (ec) {
    close(ec == asio::error::eof ? "connection closed by the client" : ec.message());
    return;
  }
  parser_.commit(n);
  bytesReceived_.fetch_add(n, std::memory_order_relaxed);
  lastReceiveUs_ = core::monotonicUs();
  process();
}

void RtspServerConnection::process() {
  while (phase_ != Phase::Closed) {
    switch (parser_.next()) {
      case RtspStreamParser::Result::NeedMore:
        readSome();
        return;
      case RtspStreamParser::Result::Error:
        log::warn("[RTSP] [conn {}] {}: closing", remoteAddr_, parser_.error());
        close(parser_.error());
        return;
      case RtspStreamParser::Result::Response:
        continue;  // a client sends none; ignored
      case RtspStreamParser::Result::Interleaved:
        if (phase_ != Phase::Control) onFrame(parser_.frame());
        continue;
      case RtspStreamParser::Result::Request:
        if (phase_ == Phase::Control) {
          // Every control request ends in a reply being written (parsing resumes after it), a
          // move to the stream's worker or a close. Nothing is read here afterwards: once
          // moved, the worker may already run this connection (TSan: phase_ raced onWorker).
          handleControlRequest(parser_.request());
          return;
        } else {
          handleWorkerRequest(parser_.request());
        }
        continue;
    }
  }
}

// ---- control phase -------------------------------------------------------------------------

void RtspServerConnection::handleControlRequest(const RtspRequest& request) {
  assert(onThread());
  RtspReply reply = session_.handle(request);
  if (!reply.logError.empty()) {
    log::info("[RTSP] [conn {}] {} {}: {} {}", remoteAddr_, request.method, request.uri.substr(0, 256),
              reply.response.statusCode, reply.logError);
  }
  {
    std::lock_guard lock(infoMutex_);
    info_.path = session_.path();
    info_.query = session_.query();
    info_.userAgent = session_.userAgent();
    info_.hasSession = !session_.tracks().empty();
    info_.sessionId = session_.id();
    info_.transport = session_.transport() == RtspMediaTransport::Udp         ? "UDP"
                      : session_.transport() == RtspMediaTransport::Multicast ? "UDP-multicast"
                      : session_.transport() == RtspMediaTransport::Tcp       ? "TCP"
                                                                              : "";
  }
  if (reply.then == RtspReply::Then::WaitForSource) {
    // Parsing pauses until the path's on-demand source is up (or its start timed out); then
    // the same request is answered.
    waitingForWrite_ = true;
    handler_.whenReadable(reply.waitPath, [self = shared_from_this(), request](bool) {
      if (self->phase_ != Phase::Control) return;
      self->waitingForWrite_ = false;
      self->session_.waitForSources(false);
      self->handleControlRequest(request);
      self->session_.waitForSources(true);
      if (!self->waitingForWrite_ && self->phase_ == Phase::Control) self->process();
    });
    return;
  }
  if (reply.then == RtspReply::Then::WaitForAccess) {
    // Parsing pauses until the verdict comes (an authentication server's round trip); then the
    // same request is handled again with it.
    waitingForWrite_ = true;
    handler_.decideAccess(reply.accessQuery, [self = shared_from_this(), request](RtspAccessResult result) {
      if (self->phase_ != Phase::Control) return;
      self->waitingForWrite_ = false;
      self->session_.setAccessAnswer(result);
      self->handleControlRequest(request);
      if (!self->waitingForWrite_ && self->phase_ == Phase::Control) self->process();
    });
    return;
  }
  if (reply.then == RtspReply::Then::Play) {
    std::string error;
    if (session_.transport() == RtspMediaTransport::Udp && !prepareUdp(error)) {
      log::warn("[RTSP] [session {}] cannot play over UDP: {}", session_.id(), error);
      close(error);
      return;
    }
    moveToWorker(std::move(reply), *session_.readTarget().worker);
    return;
  }
  if (reply.then == RtspReply::Then::Record) {
    std::string error;
    if (session_.transport() == RtspMediaTransport::Udp && !prepareUdpRecord(error)) {
      log::warn("[RTSP] [session {}] cannot publish over UDP: {}", session_.id(), error);
      close(error);
      return;
    }
    moveToWorker(std::move(reply), *session_.publishTarget().worker);
    return;
  }
  waitingForWrite_ = true;
  if (reply.delay.count() > 0) {
    delay_ = std::make_unique<asio::steady_timer>(*io_.load(), reply.delay);
    delay_->async_wait([self = shared_from_this(), reply = std::move(reply)](
                           const boost::system::error_code&) { self->sendControlReply(reply); });
    return;
  }
  sendControlReply(reply);
}

void RtspServerConnection::sendControlReply(const RtspReply& reply) {
  if (phase_ == Phase::Closed) return;
  outbox_ = reply.response.serialize();
  closeAfterWrite_ = reply.then == RtspReply::Then::Close;
  if (tls_) return writeControlTls(0);
  asio::async_write(socket_, asio::buffer(outbox_),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                      self->onControlWritten(ec, n);
                    });
}

void RtspServerConnection::onControlWritten(const boost::system::error_code& ec, size_t n) {
  if (phase_ == Phase::Closed) return;
  bytesSent_.fetch_add(n, std::memory_order_relaxed);
  waitingForWrite_ = false;
  if (ec) return close(ec.message());
  // MediaMTX (gortsplib) closes the connection after an error response.
  if (closeAfterWrite_) return close("closed after the response");
  process();
}

void RtspServerConnection::writeControlTls(size_t offset) {
  if (phase_ == Phase::Closed) return;
  boost::system::error_code ec;
  for (;;) {
    if (tls_->pending() && !tls_->drain(ec)) break;
    if (offset == outbox_.size()) {
      // Completed later, as an async_write completes: not inside the process() that asked.
      asio::post(*io_.load(), [self = shared_from_this(), gen = generation_.load(), offset] {
        if (gen == self->generation_.load()) self->onControlWritten({}, offset);
      });
      return;
    }
    const asio::const_buffer rest = asio::buffer(outbox_.data() + offset, outbox_.size() - offset);
    offset += tls_->writeSome(std::span<const asio::const_buffer>(&rest, 1), ec);
    if (ec) break;
  }
  if (ec && ec != asio::error::would_block) return onControlWritten(ec, offset);
  // Staged bytes wait for the socket (a TLS write never waits for reading without renegotiation).
  socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this(), gen = generation_.load(),
                                               offset](const boost::system::error_code& ec) {
    if (gen != self->generation_.load()) return;
    if (ec) return self->onControlWritten(ec, offset);
    self->writeControlTls(offset);
  });
}

void RtspServerConnection::moveToWorker(RtspReply reply, asio::io_context& worker) {
  assert(onThread());
  boost::system::error_code ec;
  const tcp protocol = socket_.local_endpoint(ec).protocol();
  ++generation_;  // the control thread's timers and reads are left behind
  if (tick_) tick_->cancel();
  const int fd = socket_.release(ec);
  if (ec) {
    close("cannot hand the connection to the stream's worker: " + ec.message());
    return;
  }
  phase_ = Phase::Moving;  // nothing more happens on this thread
  io_ = &worker;
  asio::post(worker, [self = shared_from_this(), protocol, fd, reply = std::move(reply)]() mutable {
    boost::system::error_code ec;
    self->socket_ = tcp::socket(*self->io_.load());
    self->socket_.assign(protocol, fd, ec);
    if (!ec) self->socket_.non_blocking(true, ec);
    if (ec) {
      ::close(fd);
      self->phase_ = Phase::Closed;
      self->close("cannot take the connection on the stream's worker: " + ec.message());
      return;
    }
    self->tick_ = std::make_unique<asio::steady_timer>(*self->io_.load());
    self->onWorker(std::move(reply));
  });
}

// ---- worker phase --------------------------------------------------------------------------

void RtspServerConnection::onWorker(RtspReply reply) {
  assert(onThread());
  lastProgressUs_ = lastReceiveUs_ = core::monotonicUs();
  armTick();
  if (reply.then == RtspReply::Then::Play) {
    stream_ = session_.readTarget().stream;
    {
      std::lock_guard lock(infoMutex_);
      info_.state = "read";
    }
    startPlaying(&reply.response);
    std::string tracks;
    for (const auto& t : session_.tracks()) {
      const stream::StreamTrack* st = stream_->findTrack(t.streamTrack);
      if (st) tracks += (tracks.empty() ? "" : ", ") + st->format().apiName();
    }
    log::info("[RTSP] [session {}] is reading from path '{}', with {}, {} track{} ({})", session_.id(),
              session_.path(),
              multicast_   ? "UDP-multicast"
              : udpMedia() ? "UDP"
                           : "TCP",
              session_.tracks().size(), session_.tracks().size() == 1 ? "" : "s", tracks);
  } else {
    stream_ = session_.publishTarget().stream;
    std::string refusal;
    if (!session_.publishTarget().sink->begin(session_.announcedFormat(), refusal)) {
      RtspResponse res = reply.response;
      res.statusCode = 400;
      res.reason = "Bad Request";
      log::warn("[RTSP] [session {}] publishing to path '{}' refused: {}", session_.id(), session_.path(),
                refusal);
      closeWhenFlushed_ = true;
      sendOnWorker(res);
      return;
    }
    publishing_ = true;
    phase_ = Phase::Recording;
    parser_.reserve(kRtspMediaReadBuffer);  // the publisher's media: large reads, any frame fits
    if (ingress_) {
      ingress_->start(stream_);
      nextReceiverReportUs_ = lastReceiveUs_;
    }
    {
      std::lock_guard lock(infoMutex_);
      info_.state = "publish";
    }
    log::info("[RTSP] [session {}] is publishing to path '{}', {} track{} ({})", session_.id(),
              session_.path(), session_.announcedFormat().size(),
              session_.announcedFormat().size() == 1 ? "" : "s",
              stream::describeFormat(session_.announcedFormat()));
    for (const auto& skipped : session_.skippedTracks())
      log::info("[RTSP] [session {}] skipping {} of the publisher: Sluice cannot carry it", session_.id(),
                skipped);
    sendOnWorker(reply.response);
  }
  process();  // requests pipelined behind PLAY/RECORD, then reads again
}

void RtspServerConnection::startPlaying(RtspResponse* playResponse) {
  nextSenderReportUs_ = core::monotonicUs() + 500000;  // the first soon after PLAY, then every 10 s
  queue_ = std::make_unique<RtspPlayQueue>(*stream_, options_.writeQueueSize);
  stream::TrackMask mask = 0;
  if (session_.transport() == RtspMediaTransport::Multicast && options_.multicastGroups) {
    // The stream's sender writes to the groups for every multicast reader; this session stays
    // attached without tracks, to learn when the stream ends.
    multicast_ = options_.multicastGroups->join(stream_, *io_.load());
    if (!multicast_) {
      log::warn(
          "[RTSP] [session {}] the stream has no multicast groups (it restarted since SETUP): nothing is "
          "sent",
          session_.id());
    }
  } else {
    for (const auto& t : session_.tracks()) {
      const stream::StreamTrack* st = stream_->findTrack(t.streamTrack);
      queue_->addTrack(t.streamTrack, t.rtpChannel, st && st->video(),
                       t.streamTrack < sentBeforePause_.size() ? sentBeforePause_[t.streamTrack] : 0);
      mask |= stream::TrackMask{1} << t.streamTrack;
    }
  }
  phase_ = Phase::Playing;
  attaching_ = true;
  stream_->addReader(this, mask);
  attaching_ = false;
  if (playResponse) {
    // RTP-Info: the packet each track starts with (the replayed keyframe, the frame before it,
    // where a resumed reader goes on), as the stream numbers it; none for a track starting live.
    std::string base = session_.playUrl();
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string rtpInfo;
    for (const auto& t : session_.tracks()) {
      const stream::StreamTrack* st = stream_->findTrack(t.streamTrack);
      const uint64_t first = queue_ ? queue_->neededFrom(t.streamTrack) : UINT64_MAX;
      const stream::HistoryPacket* p = st && first != UINT64_MAX ? st->history().at(first) : nullptr;
      if (!p) continue;
      rtpInfo += (rtpInfo.empty() ? "" : ",") + fmt::format("url={}/trackID={};seq={};rtptime={}", base,
                                                            t.streamTrack, p->index & 0xffff, p->timestamp);
    }
    if (!rtpInfo.empty()) playResponse->headers.set("RTP-Info", rtpInfo);
    playResponse->headers.set("Range", "npt=0.000-");
    sendOnWorker(*playResponse);
  }
  scheduleFlush();
}

void RtspServerConnection::stopPlaying() {
  if (stream_ && queue_) stream_->removeReader(this);
  if (queue_) {
    // Where a PLAY after PAUSE continues: no packet twice, no going back to the keyframe.
    for (size_t i = 0; i < sentBeforePause_.size(); ++i) sentBeforePause_[i] = queue_->sentUpTo(i);
  }
  queue_.reset();
  // The last multicast reader stops the stream's sender, in a handler of its own: this may run
  // inside the stream's loop over its readers (the stream ending), the sender among them.
  if (multicast_) asio::post(*io_.load(), [sender = std::move(multicast_)] {});
}

void RtspServerConnection::handleWorkerRequest(const RtspRequest& request) {
  assert(onThread());
  RtspResponse res = RtspServerSession::response(request, 200);
  const std::string& m = request.method;
  res.headers.set("Session", session_.sessionHeader());
  if (m == "OPTIONS" || m == "GET_PARAMETER" || m == "SET_PARAMETER") {
    if (m == "OPTIONS")
      res.headers.set(
          "Public",
          "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, ANNOUNCE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER");
  } else if (m == "TEARDOWN") {
    closeWhenFlushed_ = true;
    closeWhenFlushedReason_ = "torn down by the client";
  } else if (m == "PAUSE" && phase_ == Phase::Playing) {
    stopPlaying();
    phase_ = Phase::Paused;
  } else if (m == "PLAY" && phase_ == Phase::Paused) {
    startPlaying(&res);  // sends the response, with RTP-Info
    return;
  } else if (m == "PLAY" && phase_ == Phase::Playing) {
    // Some clients repeat PLAY as a keepalive: nothing changes.
  } else {
    res = RtspServerSession::response(request, 455);
    closeWhenFlushed_ = true;
    log::info("[RTSP] [session {}] {} not valid while {}: closing", session_.id(), m.substr(0, 32),
              phase_ == Phase::Recording ? "publishing" : "reading");
  }
  sendOnWorker(res);
}

void RtspServerConnection::onFrame(const RtspInterleavedFrame& frame) {
  if (phase_ != Phase::Recording) {
    // A reader's RTCP receiver reports: read and ignored (they keep the connection alive).
    rtcpReceived_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  bool rtcp = false;
  const int track = session_.trackOfChannel(frame.channel, rtcp);
  if (track < 0) {
    unknownChannel_.fetch_add(1, std::memory_order_relaxed);
    if (!unknownChannelLogged_) {
      unknownChannelLogged_ = true;
      log::warn("[RTSP] [session {}] interleaved frames on channel {}, which no SETUP declared: ignored",
                session_.id(), frame.channel);
    }
    return;
  }
  if (rtcp) {
    rtcpReceived_.fetch_add(1, std::memory_order_relaxed);
    stream_->ingestRtcp(static_cast<size_t>(track), frame.data, frame.size);
    return;
  }
  rtpReceived_.fetch_add(1, std::memory_order_relaxed);
  if (stream_->ingestRtp(static_cast<size_t>(track), frame.data, frame.size) != media::IngestError::None)
    ingestErrors_.fetch_add(1, std::memory_order_relaxed);
}

bool RtspServerConnection::udpPeerAddress(asio::ip::address& ip, std::string& error) const {
  if (!udp_) {
    error = "the server has no UDP socket pair";
    return false;
  }
  boost::system::error_code ec;
  ip = asio::ip::make_address(remoteIp_, ec);
  if (ec) error = "no client address for UDP";
  return !ec;
}

bool RtspServerConnection::prepareUdp(std::string& error) {
  assert(onThread());
  asio::ip::address ip;
  if (!udpPeerAddress(ip, error)) return false;
  std::vector<asio::ip::udp::endpoint> rtcpFrom;
  for (const auto& t : session_.tracks()) {
    UdpDestination& d = udpTo_[t.rtpChannel >> 1];
    if (!udp_->destination(ip, t.clientRtpPort, d.rtp, d.rtpLength) ||
        !udp_->destination(ip, t.clientRtcpPort, d.rtcp, d.rtcpLength)) {
      error = "the server's UDP pair cannot reach " + remoteIp_;
      return false;
    }
    rtcpFrom.emplace_back(ip, t.clientRtcpPort);
  }
  auto peer = std::make_shared<RtspUdpPeer>();
  peer->lastRtcpUs.store(core::monotonicUs(), std::memory_order_relaxed);
  udp_->watch(rtcpFrom, peer);
  std::atomic_store(&peer_, peer);
  egress_ = udp_->egressFor(*session_.readTarget().worker);
  return true;
}

bool RtspServerConnection::prepareUdpRecord(std::string& error) {
  assert(onThread());
  asio::ip::address ip;
  if (!udpPeerAddress(ip, error)) return false;
  std::vector<RtspUdpIngress::Track> tracks;
  std::vector<std::pair<uint16_t, uint16_t>> ports;
  for (const auto& t : session_.tracks()) {
    RtspUdpIngress::Track& track = tracks.emplace_back();
    track.streamTrack = t.streamTrack;
    if (!udp_->destination(ip, t.clientRtcpPort, track.rtcpTo, track.rtcpToLength)) {
      error = "the server's UDP pair cannot reach " + remoteIp_;
      return false;
    }
    ports.emplace_back(t.clientRtpPort, t.clientRtcpPort);
  }
  auto ingress = std::make_shared<RtspUdpIngress>(*session_.publishTarget().worker, std::move(tracks),
                                                  udp_->rtcpFd(), core::random32());
  udp_->watchPublisher(ip, ports, ingress);
  std::atomic_store(&ingress_, ingress);
  return true;
}

void RtspServerConnection::sendUdp() {
  uint8_t channel = 0;
  uint64_t sent = 0, bytes = 0;
  while (const stream::HistoryPacket* p = queue_->front(channel)) {
    const UdpDestination& d = udpTo_[(channel >> 1) % udpTo_.size()];
    egress_->send(p->data, p->size, d.rtp, d.rtpLength, &peer_->rtpDropped);
    queue_->pop();
    ChannelCount& c = sentByChannel_[channel];
    ++c.packets;
    c.octets += p->size > 12 ? p->size - 12u : 0u;
    ++sent;
    bytes += p->size;
  }
  rtpSent_.fetch_add(sent, std::memory_order_relaxed);
  bytesSent_.fetch_add(bytes, std::memory_order_relaxed);
  noteSkips();
}

void RtspServerConnection::sendOnWorker(const RtspResponse& response) {
  control_ += response.serialize();
  flush();
}

void RtspServerConnection::onStreamPacket(size_t track, const stream::HistoryPacket& packet) {
  if (!queue_) return;
  queue_->onPacket(track, packet);
  if (queue_->skips() != skipsLogged_ || queue_->skipping()) noteSkips();
  if (!attaching_) scheduleFlush();
}

uint64_t RtspServerConnection::historyNeededFrom(size_t track) const {
  return queue_ ? queue_->neededFrom(track) : UINT64_MAX;
}

bool RtspServerConnection::startsFrameBeforeKeyframe() const {
  // libavformat's RTSP demuxer (User-Agent "Lavf…"; Debian 12's ffmpeg 5.1) gives the first
  // video frame of a session no timestamp: its parser cannot place a packet without a byte
  // position. When that frame is the keyframe, `ffmpeg -c copy` to FLV, Matroska, MPEG-TS or
  // HLS stops at once. A frame before it takes the loss: -c copy skips it while it waits for a
  // keyframe, and a decoder starts at the keyframe as before.
  return session_.userAgent().rfind("Lavf", 0) == 0;
}

void RtspServerConnection::noteSkips() {
  if (queue_->skips() != skipsLogged_ && skipsLogged_ == 0) {
    log::warn(
        "[RTSP] [session {}] reader is too slow, discarding packets and skipping to the next keyframe "
        "(logged "
        "once)",
        session_.id());
  }
  skipsLogged_ = queue_->skips();
  discarded_.store(queue_->packetsDiscarded(), std::memory_order_relaxed);
}

void RtspServerConnection::onStreamEnded(const std::string& reason) {
  queue_.reset();  // already detached
  close("stream ended: " + reason);
}

void RtspServerConnection::scheduleFlush() {
  // A UDP reader's packets do not wait for its TCP connection to drain its responses.
  if ((writeWaiting_ && !udpMedia()) || flushPosted_ || phase_ == Phase::Closed) return;
  flushPosted_ = true;
  // Once per event-loop turn: every packet stored meanwhile leaves in one writev.
  asio::post(*io_.load(), [self = shared_from_this()] {
    self->flushPosted_ = false;
    self->flush();
  });
}

void RtspServerConnection::flush() {
  if (phase_ == Phase::Closed) return;
  assert(onThread());
  // UDP media never wait for the TCP connection (which then carries responses only).
  if (queue_ && udpMedia() && !closeWhenFlushed_) sendUdp();
  if (writeWaiting_) return;
  std::array<asio::const_buffer, 2 * kMaxGather + 2> bufs;
  std::array<std::array<uint8_t, 4>, kMaxGather> headers;
  std::array<const stream::HistoryPacket*, kMaxGather> packets;
  for (int round = 0; round < 16; ++round) {
    if (tls_ && tls_->pending()) {
      // The last record first: until the socket took it, nothing else is taken.
      boost::system::error_code ec;
      if (!tls_->drain(ec)) {
        if (ec) return close(ec.message());
        return waitWritable();
      }
      lastProgressUs_ = core::monotonicUs();
    }
    size_t nb = 0, np = 0, lead = 0;
    if (partialOffset_ < partialSize_) {
      bufs[nb++] = asio::buffer(partial_.data() + partialOffset_, partialSize_ - partialOffset_);
      lead = partialSize_ - partialOffset_;
    } else if (!control_.empty()) {
      bufs[nb++] = asio::buffer(control_);
      lead = control_.size();
    }
    RtspPlayQueue::Mark mark;
    if (queue_ && !closeWhenFlushed_ && !udpMedia()) {
      mark = queue_->mark();
      uint8_t channel = 0;
      while (np < kMaxGather) {
        const stream::HistoryPacket* p = queue_->front(channel);
        if (!p) break;
        headers[np] = {'$', channel, static_cast<uint8_t>(p->size >> 8),
                       static_cast<uint8_t>(p->size & 0xff)};
        bufs[nb++] = asio::buffer(headers[np]);
        bufs[nb++] = asio::buffer(p->data, p->size);
        packets[np++] = p;
        queue_->pop();
      }
      noteSkips();
    }
    if (nb == 0) {
      lastProgressUs_ = core::monotonicUs();
      if (closeWhenFlushed_) close(closeWhenFlushedReason_);
      return;
    }
    boost::system::error_code ec;
    const std::span<const asio::const_buffer> gathered(bufs.data(), nb);
    size_t n = tls_ ? tls_->writeSome(gathered, ec) : socket_.write_some(gathered, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      n = 0;
      ec = {};
    }
    if (ec) {
      close(ec.message());
      return;
    }
    if (n > 0) lastProgressUs_ = core::monotonicUs();
    bytesSent_.fetch_add(n, std::memory_order_relaxed);
    // The lead (a partial tail or response bytes).
    const size_t fromLead = std::min(n, lead);
    n -= fromLead;
    if (partialOffset_ < partialSize_) {
      partialOffset_ += fromLead;
    } else if (fromLead > 0) {
      control_.erase(0, fromLead);
    }
    const bool leadDone = fromLead == lead;
    // Packets: fully written ones are done; a partly written one leaves its tail in partial_.
    size_t written = 0;
    for (; written < np; ++written) {
      const size_t size = 4 + packets[written]->size;
      if (n >= size) {
        n -= size;
        continue;
      }
      if (n > 0) {
        std::memcpy(partial_.data(), headers[written].data(), 4);
        std::memcpy(partial_.data() + 4, packets[written]->data, packets[written]->size);
        partialSize_ = size;
        partialOffset_ = n;
        n = 0;
        ++written;
      }
      break;
    }
    rtpSent_.fetch_add(written, std::memory_order_relaxed);
    for (size_t i = 0; i < written; ++i) {
      ChannelCount& c = sentByChannel_[headers[i][1]];
      ++c.packets;
      c.octets += packets[i]->size > 12 ? packets[i]->size - 12u : 0u;
    }
    if (written < np) {
      // Put back what the socket did not take: the cursors move again over the taken ones.
      queue_->rewind(mark);
      uint8_t channel = 0;
      for (size_t i = 0; i < written; ++i) {
        if (queue_->front(channel)) queue_->pop();
      }
    }
    if (!leadDone || written < np || partialOffset_ < partialSize_ || (tls_ && tls_->pending())) {
      if (partialOffset_ >= partialSize_) partialOffset_ = partialSize_ = 0;
      return waitWritable();
    }
    partialOffset_ = partialSize_ = 0;
  }
  scheduleFlush();  // more than 16 rounds' worth: let the worker's other work run first
}

void RtspServerConnection::waitWritable() {
  writeWaiting_ = true;
  socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this(), gen = generation_.load()](
                                                  const boost::system::error_code& ec) {
    if (gen != self->generation_.load() || self->phase_ == Phase::Closed) return;
    self->writeWaiting_ = false;
    if (ec) return self->close(ec.message());
    self->flush();
  });
}

void RtspServerConnection::armTick() {
  tick_->expires_after(std::chrono::seconds(1));
  tick_->async_wait(
      [self = shared_from_this(), gen = generation_.load()](const boost::system::error_code& ec) {
        if (ec || gen != self->generation_.load() || self->phase_ == Phase::Closed) return;
        self->onTick();
      });
}

void RtspServerConnection::onTick() {
  assert(onThread());
  const int64_t now = core::monotonicUs();
  const auto us = [](std::chrono::milliseconds ms) { return static_cast<int64_t>(ms.count()) * 1000; };
  if (writeWaiting_ && now - lastProgressUs_ > us(options_.writeTimeout)) {
    log::warn("[RTSP] [session {}] reader took nothing for {} ms: closing (writeTimeout)", session_.id(),
              options_.writeTimeout.count());
    close("write timeout");
    return;
  }
  // Publishers must send within readTimeout; readers and idle connections within the idle
  // timeout (RTCP receiver reports or keepalive requests), as MediaMTX over TCP.
  const auto limit = phase_ == Phase::Recording ? options_.readTimeout : options_.idleTimeout;
  // A UDP reader's receiver reports count as much as its requests; a UDP publisher is alive by
  // its datagrams alone, its TCP connection may be silent (gortsplib's rules).
  const bool udpRecording = ingress_ && phase_ == Phase::Recording;
  const int64_t lastReceive =
      udpRecording ? ingress_->stats().lastPacketUs.load(std::memory_order_relaxed)
      : peer_      ? std::max(lastReceiveUs_, peer_->lastRtcpUs.load(std::memory_order_relaxed))
                   : lastReceiveUs_;
  if (now - lastReceive > us(limit)) {
    if (udpRecording) {
      log::info("[RTSP] [session {}] no UDP packets received for {} ms: closing (readTimeout)", session_.id(),
                limit.count());
    } else if (peer_) {
      log::info("[RTSP] [session {}] neither RTSP requests nor RTCP received for {} ms: closing",
                session_.id(), limit.count());
    } else {
      log::info("[RTSP] [conn {}] nothing received for {} ms: closing", remoteAddr_, limit.count());
    }
    close("read timeout");
    return;
  }
  if (udpRecording && now >= nextReceiverReportUs_ && ingress_->sendReceiverReports(now) > 0)
    nextReceiverReportUs_ = now + kReceiverReportPeriodUs;  // the first once RTP has come
  if (phase_ == Phase::Playing && !multicast_ && now >= nextSenderReportUs_) {
    sendSenderReports(now);
    nextSenderReportUs_ = now + kSenderReportPeriodUs;
  }
  armTick();
}

void RtspServerConnection::sendSenderReports(int64_t nowUs) {
  // As a WebRTC viewer's (webrtc/WebrtcSession): "now" mapped onto each track's output timeline
  // through its newest packet's capture time, so every track reports on one clock (lip sync).
  for (const auto& t : session_.tracks()) {
    const stream::StreamTrack* track = stream_->findTrack(t.streamTrack);
    if (!track || !track->timeline().haveOutput()) continue;
    const stream::OutputTimeline& tl = track->timeline();
    const uint32_t rtpTs = tl.timestampAt(nowUs);
    const ChannelCount& c = sentByChannel_[t.rtpChannel];
    uint8_t sr[64];
    const size_t n =
        media::buildSenderReport(sr + 4, sizeof(sr) - 4, track->ssrc(), core::ntpNow(), rtpTs,
                                 static_cast<uint32_t>(c.packets), static_cast<uint32_t>(c.octets));
    if (n == 0) continue;
    if (udpMedia()) {
      // From the server's RTCP port to the reader's, as gortsplib sends them.
      const UdpDestination& d = udpTo_[(t.rtpChannel >> 1) % udpTo_.size()];
      ::sendto(udp_->rtcpFd(), sr + 4, n, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&d.rtcp),
               d.rtcpLength);
      continue;
    }
    sr[0] = '$';
    sr[1] = static_cast<uint8_t>(t.rtpChannel + 1);
    sr[2] = static_cast<uint8_t>(n >> 8);
    sr[3] = static_cast<uint8_t>(n & 0xff);
    control_.append(reinterpret_cast<const char*>(sr), n + 4);
  }
  flush();
}

void RtspServerConnection::close(const std::string& reason) {
  if (phase_ == Phase::Closed) return;
  const Phase was = phase_;
  phase_ = Phase::Closed;
  ++generation_;
  if (was == Phase::Playing) stopPlaying();
  if (publishing_) {
    publishing_ = false;
    session_.publishTarget().sink->end(reason);
  }
  if (session_.state() == RtspServerSession::State::Recording)
    handler_.publisherClosed(session_.path(), session_.id());
  if (was != Phase::Control || session_.state() == RtspServerSession::State::Playing)
    log::info("[RTSP] [session {}] closed: {}", session_.id(), reason);
  // Nothing queued may name this reader's counters afterwards (the egress is its worker's: a
  // reader closed before it got there has queued nothing).
  if (egress_ && egress_->io().get_executor().running_in_this_thread()) egress_->flush();
  if (peer_ && udp_) {
    asio::post(controlIo_, [udp = udp_, peer = peer_] { udp->forget(peer.get()); });
  }
  if (ingress_ && udp_) {
    if (was == Phase::Recording) ingress_->stop();  // the packets still queued go nowhere
    asio::post(controlIo_, [udp = udp_, ingress = ingress_] { udp->forgetPublisher(ingress.get()); });
  }
  boost::system::error_code ec;
  if (tick_) tick_->cancel();
  if (delay_) delay_->cancel();
  if (tls_) tls_->shutdown();
  socket_.close(ec);
  if (onClosed_) onClosed_(id_);
}

}  // namespace sluice::rtsp
