#include "rtsp/RtspClientConnection.h"

// g++ 12 flags Asio 1.74's coroutine frame operator delete as mismatched: a known false
// positive of its own allocator pairing.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <stdexcept>

#include "core/Clock.h"
#include "core/Random.h"
#include "core/TlsContext.h"
#include "core/UrlRedaction.h"
#include "media/Rtcp.h"
#include "media/RtpPacket.h"
#include "rtsp/RtspSdpTracks.h"
#include "rtsp/RtspSessionHeader.h"
#include "rtsp/RtspSharedReadBuffer.h"
#include "rtsp/RtspText.h"
#include "rtsp/RtspTransportHeader.h"

namespace sluice::rtsp {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr std::chrono::seconds kTickPeriod{1};
constexpr int64_t kReceiverReportPeriodUs = 5'000'000;  // "some cameras require 5 s" (gortsplib)
constexpr size_t kMaxQueuedWrites = 64;
constexpr int kMaxRedirects = 3;

int64_t toUs(std::chrono::milliseconds d) { return static_cast<int64_t>(d.count()) * 1000; }

std::string statusError(const RtspResponse& res) {
  return fmt::format("bad status code: {} ({})", res.statusCode, res.reason);
}

// Collects what a receiver report needs from the server's sender reports.
class SenderReportVisitor : public media::RtcpVisitor {
 public:
  SenderReportVisitor(bool& haveSsrc, uint32_t& ssrc, media::RtpReceptionStats& reception, int64_t nowUs)
      : haveSsrc_(haveSsrc), ssrc_(ssrc), reception_(reception), nowUs_(nowUs) {}
  void onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t, uint32_t, uint32_t) override {
    if (!haveSsrc_) {
      haveSsrc_ = true;
      ssrc_ = ssrc;
    }
    if (ssrc == ssrc_) reception_.onSenderReport(ntp, nowUs_);
  }

 private:
  bool& haveSsrc_;
  uint32_t& ssrc_;
  media::RtpReceptionStats& reception_;
  int64_t nowUs_;
};

}  // namespace

// A failure of the control sequence, carried out of the coroutine by exception (control
// plane only).
class RtspClientConnection::Failure : public std::runtime_error {
 public:
  explicit Failure(const std::string& message, bool switchToTcp = false)
      : std::runtime_error(message), switchToTcp(switchToTcp) {}
  bool switchToTcp;
};

RtspClientConnection::RtspClientConnection(asio::io_context& io, const RtspClientConfig& config,
                                           RtspTransport transport, bool automatic, RtspClient& client)
    : io_(io),
      config_(config),
      transport_(transport),
      automatic_(automatic && transport == RtspTransport::Udp),
      client_(client),
      media_(client.callbacks_),
      tcp_(io),
      resolver_(io),
      deadline_(io),
      tick_(io) {
  channelMap_.fill(-1);
  localSsrc_ = core::random32();
  cname_ = core::randomAlnum(16);
}

RtspClientConnection::~RtspClientConnection() = default;

void RtspClientConnection::start() {
  originUs_ = core::monotonicUs();
  deadline_.expires_at(asio::steady_timer::time_point::max());
  watchDeadline();
  auto self = shared_from_this();
  asio::co_spawn(io_, run(self), asio::detached);
}

void RtspClientConnection::stop() {
  if (stopped_) {
    closeControl();  // a connection kept open by a TCP switch
  } else {
    closeAll(false);
  }
}

// ---------------------------------------------------------------------------------------
// Control sequence

asio::awaitable<void> RtspClientConnection::run(std::shared_ptr<RtspClientConnection> self) {
  std::string error;
  bool switchToTcp = false;
  try {
    for (int redirects = 0;; ++redirects) {
      co_await connectControl();
      co_await sendOptions();
      if (!co_await sendDescribe()) break;
      if (redirects == kMaxRedirects) throw Failure("too many redirects");
      followRedirect();
    }
    co_await setupTracks();
    co_await sendPlay();
  } catch (const Failure& f) {
    error = f.what();
    switchToTcp = f.switchToTcp;
  } catch (const boost::system::system_error& e) {
    error = describe(e.code());
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (stopped_) co_return;
  if (!error.empty()) {
    finish(error, switchToTcp);
    co_return;
  }
  startStreaming();
}

asio::awaitable<void> RtspClientConnection::connectControl() {
  std::string err;
  auto url = parseRtspUrl(targetUrl_.empty() ? config_.url : targetUrl_, &err);
  if (!url) throw Failure("invalid URL: " + err);
  if (url->scheme == "rtsps" && transport_ == RtspTransport::Udp) {
    throw Failure(
        "over RTSPS Sluice reads the media in the TLS connection only "
        "(SRTP over UDP is not supported yet): set rtspTransport to tcp or automatic");
  }
  if (!url->hasCredentials && url_.hasCredentials) {
    // A redirect keeps the credentials of the configured URL.
    url->user = url_.user;
    url->password = url_.password;
    url->hasCredentials = true;
  }
  url_ = std::move(*url);
  requestUrl_ = url_.withoutCredentials();
  baseUrl_ = requestUrl_;

  std::string where = fmt::format("{}:{}", url_.host, url_.port);
  armDeadline(config_.readTimeout,
              fmt::format("cannot connect to {}: timed out after {} ms", where, config_.readTimeout.count()));
  try {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(url_.host, ec);
    if (!ec) {
      co_await tcp_.async_connect(tcp::endpoint(address, url_.port), asio::use_awaitable);
    } else {
      auto endpoints =
          co_await resolver_.async_resolve(url_.host, std::to_string(url_.port), asio::use_awaitable);
      co_await asio::async_connect(tcp_, endpoints, asio::use_awaitable);
    }
  } catch (const boost::system::system_error& e) {
    if (!timeoutError_.empty() || stopped_) throw;
    throw Failure(fmt::format("cannot connect to {}: {}", where, e.code().message()));
  }
  disarmDeadline();
  boost::system::error_code ec;
  tcp_.set_option(tcp::no_delay(true), ec);
  tcp_.non_blocking(true, ec);  // synchronous writes (enqueueWrite, TEARDOWN) must never block
  serverAddress_ = tcp_.remote_endpoint(ec).address();
  if (ec) throw Failure("cannot read the server address: " + ec.message());
  tls_.reset();
  if (url_.scheme == "rtsps") co_await startTls(where);
}

asio::awaitable<void> RtspClientConnection::startTls(const std::string& where) {
  std::string error;
  std::shared_ptr<core::TlsContext> context = core::TlsContext::client(error);
  if (!context) throw Failure("cannot start TLS with " + where + ": " + error);
  boost::system::error_code ec;
  tls_ = RtspTlsStream::createClient(std::move(context), tcp_.native_handle(), url_.host, ec);
  if (!tls_) throw Failure("cannot start TLS with " + where + ": " + ec.message());
  armDeadline(config_.readTimeout,
              fmt::format("TLS handshake with {} timed out after {} ms", where, config_.readTimeout.count()));
  for (;;) {
    const RtspTlsStream::Wait wait = tls_->handshake(ec);
    if (ec) throw Failure("TLS handshake with " + where + " failed: " + ec.message());
    if (wait == RtspTlsStream::Wait::None) break;
    co_await tcp_.async_wait(
        wait == RtspTlsStream::Wait::Write ? tcp::socket::wait_write : tcp::socket::wait_read,
        asio::use_awaitable);
  }
  disarmDeadline();
  if (!tls_->checkServer(config_.fingerprint, error))
    throw Failure("RTSPS server " + where + " refused: " + error);
}

asio::awaitable<void> RtspClientConnection::writeAll(const std::string& bytes) {
  if (!tls_) {
    co_await asio::async_write(tcp_, asio::buffer(bytes), asio::use_awaitable);
    co_return;
  }
  size_t done = 0;
  boost::system::error_code ec;
  while (done < bytes.size() || tls_->pending()) {
    if (!tls_->pending()) {
      const asio::const_buffer b(bytes.data() + done, bytes.size() - done);
      done += tls_->writeSome(std::span<const asio::const_buffer>(&b, 1), ec);
      if (ec == asio::error::would_block) ec.clear();
      if (ec) throw boost::system::system_error(ec);
      continue;
    }
    if (tls_->drain(ec)) continue;
    if (ec) throw boost::system::system_error(ec);
    co_await tcp_.async_wait(tcp::socket::wait_write, asio::use_awaitable);
  }
}

asio::awaitable<size_t> RtspClientConnection::readSomeAwait(std::span<uint8_t> space) {
  if (!tls_)
    co_return co_await tcp_.async_read_some(asio::buffer(space.data(), space.size()), asio::use_awaitable);
  for (;;) {
    boost::system::error_code ec;
    bool waitWrite = false;
    const size_t n = readSomeNow(space, ec, waitWrite);
    if (n > 0) co_return n;
    if (ec != asio::error::would_block) throw boost::system::system_error(ec);
    co_await tcp_.async_wait(waitWrite ? tcp::socket::wait_write : tcp::socket::wait_read,
                             asio::use_awaitable);
  }
}

size_t RtspClientConnection::readSomeNow(std::span<uint8_t> space, boost::system::error_code& ec,
                                         bool& waitWrite) {
  waitWrite = false;
  if (!tls_) {
    const size_t n = tcp_.read_some(asio::buffer(space.data(), space.size()), ec);
    if (ec == asio::error::try_again) ec = asio::error::would_block;
    return n;
  }
  RtspTlsStream::Wait wait = RtspTlsStream::Wait::None;
  const size_t n = tls_->readSome(space.data(), space.size(), wait, ec);
  if (n == 0 && !ec) {
    ec = asio::error::would_block;
    waitWrite = wait == RtspTlsStream::Wait::Write;
  }
  return n;
}

asio::awaitable<void> RtspClientConnection::sendOptions() {
  RtspResponse res = co_await request("OPTIONS", requestUrl_);
  // OPTIONS only tells which keepalive method to use; cameras that do not implement it
  // (404, 501...) still stream. A refused authentication is final, though.
  if (res.statusCode == 401) throw Failure(statusError(res));
  if (res.statusCode / 100 == 2) {
    if (auto pub = res.headers.get("Public")) useGetParameter_ = publicListsMethod(*pub, "GET_PARAMETER");
  }
}

asio::awaitable<bool> RtspClientConnection::sendDescribe() {
  RtspHeaders extra;
  extra.add("Accept", "application/sdp");
  RtspResponse res = co_await request("DESCRIBE", requestUrl_, extra);
  if (res.statusCode / 100 == 3) {
    auto location = res.headers.get("Location");
    if (!location || !parseRtspUrl(trim(*location)))
      throw Failure(statusError(res) + " without a valid Location");
    targetUrl_.assign(trim(*location));
    co_return true;
  }
  if (res.statusCode != 200) throw Failure(statusError(res));
  if (auto type = res.headers.get("Content-Type")) {
    std::string_view t = trim(type->substr(0, type->find(';')));
    if (!iequals(t, "application/sdp"))
      throw Failure(fmt::format("unsupported Content-Type '{}'", t.substr(0, 64)));
  }
  for (const char* name : {"Content-Base", "Content-Location"}) {
    if (auto v = res.headers.get(name)) {
      if (parseRtspUrl(trim(*v))) {
        baseUrl_.assign(trim(*v));
        break;
      }
    }
  }
  std::string err;
  auto sdp = parseRtspSdpTracks(res.body, &err);
  if (!sdp) throw Failure("invalid SDP: " + err);
  sdp_ = std::move(res.body);
  for (const auto& t : sdp->tracks) {
    if (t.backchannel) continue;
    auto track = std::make_unique<Track>(io_);
    track->index = tracks_.size();
    track->info.controlUrl = resolveControlUrl(baseUrl_, t.control);
    track->info.mediaType = t.mediaType;
    track->info.payloadType = t.payloadType;
    track->info.codecName = t.codecName;
    track->info.clockRate = t.clockRate;
    track->info.channels = t.channels;
    track->info.fmtp = t.fmtp;
    if (config_.wantTrack && !config_.wantTrack(track->info)) continue;  // not set up
    track->index = tracks_.size();
    tracks_.push_back(std::move(track));
  }
  if (tracks_.empty()) {
    throw Failure(sdp->tracks.empty() ? "the stream has no media to read"
                                      : "the stream has no media that can be read");
  }
  if (tracks_.size() > 127) throw Failure("the stream has too many media");
  co_return false;
}

void RtspClientConnection::followRedirect() {
  log::info("{}[RTSP source] redirected to {}", config_.logPrefix, core::redactUrlPassword(targetUrl_));
  boost::system::error_code ec;
  tcp_.close(ec);
  parser_ = RtspStreamParser(RtspStreamParser::Limits{.initialCapacity = size_t{4} * 1024});
  auth_.reset();
  useGetParameter_ = false;
}

asio::awaitable<void> RtspClientConnection::setupTracks() {
  for (auto& t : tracks_) co_await setupTrack(*t);
}

asio::awaitable<void> RtspClientConnection::setupTrack(Track& t) {
  for (;;) {
    RtspTransportHeader want;
    if (transport_ == RtspTransport::Udp) {
      std::string err;
      auto protocol = serverAddress_.is_v6() ? udp::v6() : udp::v4();
      if (!bindRtpRtcpPair(t.rtpSocket, t.rtcpSocket, protocol, config_.udpPorts, &err)) throw Failure(err);
      if (config_.udpReadBufferSize > 0) {
        boost::system::error_code ec;
        t.rtpSocket.set_option(udp::socket::receive_buffer_size(config_.udpReadBufferSize), ec);
        t.rtcpSocket.set_option(udp::socket::receive_buffer_size(config_.udpReadBufferSize), ec);
      }
      uint16_t port = t.rtpSocket.local_endpoint().port();
      want.clientPorts = {{port, static_cast<uint16_t>(port + 1)}};
    } else {
      want.lower = RtspTransportHeader::Lower::Tcp;
      want.interleaved = {{static_cast<uint8_t>(2 * t.index), static_cast<uint8_t>(2 * t.index + 1)}};
    }
    RtspHeaders extra;
    extra.add("Transport", want.serialize());
    RtspResponse res = co_await request("SETUP", t.info.controlUrl, extra);

    if (res.statusCode == 461 && automatic_) {
      // On the first media the same connection can simply ask again for TCP (as
      // gortsplib does); reconnecting would race servers that are still releasing the
      // stream of the dropped connection (GStreamer answers 503 then).
      if (t.index != 0) throw Failure("server does not support UDP, switching to TCP", true);
      switchToTcpInPlace("server does not support UDP, switching to TCP");
      continue;
    }
    if (res.statusCode != 200) throw Failure(statusError(res));

    auto sessionValue = res.headers.get("Session");
    if (!sessionValue) throw Failure("SETUP response has no Session header");
    std::string err;
    auto session = parseRtspSession(*sessionValue, &err);
    if (!session) throw Failure(err);
    if (sessionId_.empty()) {
      sessionId_ = session->id;
      if (session->timeoutSeconds) {
        // Keep alive 5 s before the server's deadline, at least once a second.
        int64_t seconds = std::max<int64_t>(1, static_cast<int64_t>(*session->timeoutSeconds) - 5);
        keepalivePeriod_ = std::chrono::seconds(seconds);
      }
    }

    auto transportValue = res.headers.get("Transport");
    if (!transportValue) throw Failure("SETUP response has no Transport header");
    auto got = parseRtspTransport(*transportValue, &err);
    if (!got) throw Failure("invalid Transport header in SETUP response: " + err);

    if (transport_ == RtspTransport::Udp && got->lower == RtspTransportHeader::Lower::Tcp) {
      if (!automatic_) throw Failure("server answered the UDP SETUP with a TCP transport");
      // The server already set this media up on TCP: keep it when nothing else is set up.
      if (t.index != 0 || !got->interleaved)
        throw Failure("switching to TCP because server requested it", true);
      switchToTcpInPlace("switching to TCP because server requested it");
    }

    if (transport_ == RtspTransport::Udp) {
      if (got->delivery == RtspTransportHeader::Delivery::Multicast)
        throw Failure("multicast is not supported");
      asio::ip::address mediaAddress = serverAddress_;
      if (!got->source.empty()) {
        boost::system::error_code ec;
        auto a = asio::ip::make_address(got->source, ec);
        if (!ec && a.is_v6() == serverAddress_.is_v6()) mediaAddress = a;
      }
      t.serverRtp = udp::endpoint(mediaAddress, got->serverPorts ? got->serverPorts->first : 0);
      t.serverRtcp = udp::endpoint(mediaAddress, got->serverPorts ? got->serverPorts->second : 0);
      t.serverPortsKnown = got->serverPorts.has_value();
    } else {
      if (got->lower != RtspTransportHeader::Lower::Tcp)
        throw Failure("server answered the TCP SETUP with a UDP transport");
      std::pair<uint8_t, uint8_t> channels{static_cast<uint8_t>(2 * t.index),
                                           static_cast<uint8_t>(2 * t.index + 1)};
      if (got->interleaved) channels = *got->interleaved;
      if (channelMap_[channels.first] != -1 || channelMap_[channels.second] != -1 ||
          channels.first == channels.second) {
        throw Failure("server assigned conflicting interleaved channels");
      }
      t.rtpChannel = channels.first;
      t.rtcpChannel = channels.second;
      channelMap_[channels.first] = static_cast<int16_t>(2 * t.index);
      channelMap_[channels.second] = static_cast<int16_t>(2 * t.index + 1);
    }
    co_return;
  }
}

void RtspClientConnection::switchToTcpInPlace(const char* reason) {
  log::warn("{}[RTSP source] {}", config_.logPrefix, reason);
  transport_ = RtspTransport::Tcp;
  automatic_ = false;
  boost::system::error_code ec;
  for (auto& t : tracks_) {
    t->rtpSocket.close(ec);
    t->rtcpSocket.close(ec);
  }
}

asio::awaitable<void> RtspClientConnection::sendPlay() {
  if (transport_ == RtspTransport::Udp) punchUdp();
  RtspHeaders extra;
  extra.add("Range", "npt=0.000-");
  RtspResponse res = co_await request("PLAY", baseUrl_, extra);
  if (res.statusCode != 200) throw Failure(statusError(res));
  playUs_ = core::monotonicUs();
}

RtspRequest RtspClientConnection::makeRequest(const std::string& method, const std::string& uri) {
  RtspRequest req;
  req.method = method;
  req.uri = uri;
  req.headers.add("CSeq", std::to_string(++cseq_));
  if (auth_ && auth_->active()) req.headers.add("Authorization", auth_->authorize(method, uri));
  req.headers.add("User-Agent", config_.userAgent);
  if (!sessionId_.empty()) req.headers.add("Session", sessionId_);
  return req;
}

asio::awaitable<RtspResponse> RtspClientConnection::request(const std::string& method, const std::string& uri,
                                                            const RtspHeaders& extra) {
  for (int attempt = 0;; ++attempt) {
    RtspRequest req = makeRequest(method, uri);
    for (const auto& f : extra.fields()) req.headers.add(f.name, f.value);
    uint32_t cseq = cseq_;
    std::string wire = req.serialize();
    armDeadline(config_.writeTimeout, fmt::format("timed out writing the {} request", method));
    writing_ = true;
    writeStartUs_ = core::monotonicUs();
    co_await writeAll(wire);
    writing_ = false;
    armDeadline(config_.readTimeout, fmt::format("timed out waiting for the {} response", method));
    RtspResponse res = co_await readResponse(cseq);
    disarmDeadline();
    log::debug("{}[RTSP source] {} {} -> {} {}", config_.logPrefix, method, core::redactUrlPassword(uri),
               res.statusCode, res.reason);

    if (res.statusCode == 401 && url_.hasCredentials && attempt < 2) {
      // First 401: authenticate with the URL credentials. Second: only a stale nonce
      // deserves another try; anything else means the credentials are wrong.
      auto challenges = res.headers.getAll("WWW-Authenticate");
      bool stale = false;
      for (auto c : challenges) {
        auto parsed = parseRtspAuthChallenge(c);
        stale = stale || (parsed && parsed->stale);
      }
      if (attempt == 0 || stale) {
        std::string err;
        RtspAuthenticator auth(url_.user, url_.password);
        if (!auth.acceptChallenges(challenges, &err)) throw Failure(statusError(res) + ": " + err);
        auth_ = std::move(auth);
        continue;
      }
    }
    co_return res;
  }
}

asio::awaitable<RtspResponse> RtspClientConnection::readResponse(uint32_t cseq) {
  for (;;) {
    switch (parser_.next()) {
      case RtspStreamParser::Result::Response: {
        auto got = cseqOf(parser_.response().headers);
        if (!got || *got == cseq) co_return parser_.response();
        break;  // the late answer to an earlier request
      }
      case RtspStreamParser::Result::Request:      // server requests are not supported: ignored
      case RtspStreamParser::Result::Interleaved:  // media ahead of the PLAY answer: dropped
        break;
      case RtspStreamParser::Result::Error:
        throw Failure("invalid RTSP stream: " + parser_.error());
      case RtspStreamParser::Result::NeedMore: {
        auto space = parser_.prepare();
        size_t n = co_await readSomeAwait(space);
        parser_.commit(n);
        break;
      }
    }
  }
}

void RtspClientConnection::armDeadline(std::chrono::milliseconds timeout, std::string message) {
  deadlineMessage_ = std::move(message);
  deadline_.expires_after(timeout);
}

void RtspClientConnection::disarmDeadline() { deadline_.expires_at(asio::steady_timer::time_point::max()); }

// One long-lived wait: re-arming the timer cancels it and the handler waits again; when
// the deadline really passes, closing the socket makes the pending operation fail.
void RtspClientConnection::watchDeadline() {
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code&) {
    if (self->stopped_) return;
    if (self->deadline_.expiry() <= asio::steady_timer::clock_type::now()) {
      self->timeoutError_ = self->deadlineMessage_;
      boost::system::error_code ignored;
      self->tcp_.close(ignored);
      self->resolver_.cancel();
      self->deadline_.expires_at(asio::steady_timer::time_point::max());
    }
    self->watchDeadline();
  });
}

std::string RtspClientConnection::describe(const boost::system::error_code& ec) const {
  if (!timeoutError_.empty()) return timeoutError_;
  if (ec == asio::error::eof) return "EOF: connection closed by the server";
  if (ec == asio::error::connection_reset) return "connection reset by the server";
  return ec.message();
}

// ---------------------------------------------------------------------------------------
// Streaming

void RtspClientConnection::startStreaming() {
  streaming_ = true;
  int64_t now = core::monotonicUs();
  lastTcpRxUs_ = now;
  lastKeepaliveUs_ = now;
  lastReportUs_ = now;
  if (!automatic_) {
    notifyReady();
    if (stopped_) return;
  }
  if (transport_ == RtspTransport::Udp) {
    for (auto& t : tracks_) {
      receiveRtp(*t);
      receiveRtcp(*t);
    }
  }
  // The control connection is read in both modes: TCP carries the media, UDP mode still
  // gets keepalive answers and learns about a closed connection at once.
  if (!drainParser()) return;
  if (tls_) {
    // OpenSSL may already hold decrypted bytes the socket will not signal again.
    asio::post(io_,
               bindHandlerMemory(tcpReadMemory_, [self = shared_from_this()] { self->onTcpReadable({}); }));
  } else {
    readTcp();
  }
  scheduleTick();
}

void RtspClientConnection::notifyReady() {
  readyNotified_ = true;
  RtspSessionInfo info;
  info.sdp = sdp_;
  info.baseUrl = baseUrl_;
  info.transport = transport_;
  std::string codecs;
  for (const auto& t : tracks_) {
    info.tracks.push_back(t->info);
    RtspSdpTrack label;
    label.codecName = t->info.codecName;
    if (!codecs.empty()) codecs += ", ";
    codecs += rtspTrackCodecLabel(label);
  }
  log::info("{}[RTSP source] ready: {} track{} ({})", config_.logPrefix, tracks_.size(),
            tracks_.size() == 1 ? "" : "s", codecs);
  client_.onConnectionReady(info);
}

void RtspClientConnection::receiveRtp(Track& t) {
  // Readable, then recvmmsg: what queued since the last wakeup comes in one syscall.
  if (!t.rtpBatch) t.rtpBatch = std::make_unique<RtspDatagramBatch>();
  t.rtpSocket.async_wait(
      udp::socket::wait_read,
      bindHandlerMemory(t.rtpMemory, [self = shared_from_this(), &t](const boost::system::error_code& ec) {
        self->onRtpReadable(t, ec);
      }));
}

void RtspClientConnection::onRtpReadable(Track& t, const boost::system::error_code& ec) {
  if (stopped_ || ec == asio::error::operation_aborted) return;
  if (!ec) {
    // A few batches at most, so that one busy camera does not hold the worker.
    for (int round = 0; round < 4; ++round) {
      const size_t n = t.rtpBatch->receive(t.rtpSocket.native_handle());
      for (size_t i = 0; i < n; ++i) {
        if (!onDatagram(t, false, t.rtpBatch->sender(i), t.rtpBatch->data(i), t.rtpBatch->size(i),
                        t.rtpBatch->truncated(i)))
          return;
      }
      if (n < RtspDatagramBatch::kSize) break;
    }
  }
  receiveRtp(t);  // also after an error (e.g. an ICMP error reported on the socket)
}

void RtspClientConnection::receiveRtcp(Track& t) {
  t.rtcpSocket.async_receive_from(
      asio::buffer(t.rtcpBuffer), t.rtcpSender,
      bindHandlerMemory(t.rtcpMemory,
                        [self = shared_from_this(), &t](const boost::system::error_code& ec, size_t n) {
                          self->onRtcpPacket(t, ec, n);
                        }));
}

void RtspClientConnection::onRtcpPacket(Track& t, const boost::system::error_code& ec, size_t size) {
  if (stopped_ || ec == asio::error::operation_aborted) return;
  // An error (e.g. an ICMP error reported on the socket): keep listening.
  if (!ec && !onDatagram(t, true, t.rtcpSender, t.rtcpBuffer.data(), size, size >= t.rtcpBuffer.size()))
    return;
  receiveRtcp(t);
}

bool RtspClientConnection::onDatagram(Track& t, bool rtcp, const udp::endpoint& sender, const uint8_t* data,
                                      size_t size, bool truncated) {
  const udp::endpoint& expected = rtcp ? t.serverRtcp : t.serverRtp;
  bool portOk = config_.anyPort || !t.serverPortsKnown || sender.port() == expected.port();
  if (sender.address() != expected.address() || !portOk) {
    ++stats_.foreignUdpPackets;
    return true;
  }
  int64_t now = core::monotonicUs();
  lastUdpRxUs_ = now;
  if (!udpFlowing_) {
    udpFlowing_ = true;
    if (!readyNotified_) {
      notifyReady();
      if (stopped_) return false;
    }
  }
  if (truncated) {
    ++stats_.rtpPacketsInvalid;  // larger than the buffer: cut off
  } else if (rtcp) {
    handleRtcp(t, data, size, now);
  } else {
    handleRtp(t, data, size, now);
  }
  return !stopped_;
}

void RtspClientConnection::readTcp() { waitTcp(false); }

void RtspClientConnection::waitTcp(bool writable) {
  tcp_.async_wait(
      writable ? tcp::socket::wait_write : tcp::socket::wait_read,
      bindHandlerMemory(tcpReadMemory_, [self = shared_from_this()](const boost::system::error_code& ec) {
        self->onTcpReadable(ec);
      }));
}

// Reads again while a read fills the space offered (more is queued: no wait, which costs
// asio an epoll_ctl to re-arm), at most kReadsPerWake times before letting the worker's
// other connections run; a shorter read means the socket is drained.
void RtspClientConnection::onTcpReadable(const boost::system::error_code& ec) {
  constexpr int kReadsPerWake = 4;
  if (stopped_) return;
  if (ec) {
    finish(describe(ec));
    return;
  }
  std::span<uint8_t> shared = threadReadBuffer();
  for (int i = 0; i < kReadsPerWake; ++i) {
    std::span<uint8_t> space = parser_.prepareIn(shared);
    if (space.empty()) {  // only after a parse error, which has ended the connection
      finish("invalid RTSP stream: " + parser_.error());
      return;
    }
    boost::system::error_code rec;
    bool waitWrite = false;
    size_t n = readSomeNow(space, rec, waitWrite);
    if (rec == asio::error::would_block) {
      parser_.release();
      waitTcp(waitWrite);
      return;
    }
    if (rec) {
      parser_.release();
      finish(describe(rec));
      return;
    }
    lastTcpRxUs_ = core::monotonicUs();
    parser_.commit(n);
    bool alive = drainParser();
    parser_.release();
    if (!alive) return;
    // A short read drained the socket; over TLS one read is one record, so read on until
    // OpenSSL says it would block.
    if (n < space.size() && !tls_) {
      readTcp();
      return;
    }
  }
  asio::post(io_,
             bindHandlerMemory(tcpReadMemory_, [self = shared_from_this()] { self->onTcpReadable({}); }));
}

// Handles every complete item in the parser. False when the connection ended meanwhile.
bool RtspClientConnection::drainParser() {
  for (;;) {
    switch (parser_.next()) {
      case RtspStreamParser::Result::NeedMore:
        return true;
      case RtspStreamParser::Result::Error:
        finish("invalid RTSP stream: " + parser_.error());
        return false;
      case RtspStreamParser::Result::Response:  // keepalive answers: nothing to do
      case RtspStreamParser::Result::Request:
        break;
      case RtspStreamParser::Result::Interleaved: {
        const auto& f = parser_.frame();
        int16_t slot = channelMap_[f.channel];
        if (slot < 0) break;  // a channel nobody set up
        Track& t = *tracks_[static_cast<size_t>(slot / 2)];
        int64_t now = lastTcpRxUs_;
        if (slot % 2) {
          handleRtcp(t, f.data, f.size, now);
        } else {
          handleRtp(t, f.data, f.size, now);
        }
        if (stopped_) return false;
        break;
      }
    }
  }
}

void RtspClientConnection::handleRtp(Track& t, const uint8_t* data, size_t size, int64_t nowUs) {
  media::RtpHeader header;
  const uint8_t* payload = nullptr;
  size_t payloadSize = 0;
  if (media::parseRtp(data, size, header, payload, payloadSize) != media::RtpError::None) {
    ++stats_.rtpPacketsInvalid;
    return;
  }
  if (!t.haveSsrc || header.ssrc != t.ssrc) {
    // A new source (camera restart, or first packet): statistics start over.
    t.haveSsrc = true;
    t.ssrc = header.ssrc;
    t.reception = media::RtpReceptionStats{};
    t.lostCounted = 0;
  }
  uint64_t clock = t.info.clockRate ? t.info.clockRate : 90000;
  auto arrival = static_cast<uint32_t>(static_cast<uint64_t>(nowUs - originUs_) * clock / 1000000);
  t.reception.onPacket(header.sequence, header.timestamp, arrival);
  ++stats_.rtpPackets;
  stats_.rtpBytes += size;
  if (media_.onRtp) media_.onRtp(t.index, data, size);
}

void RtspClientConnection::handleRtcp(Track& t, const uint8_t* data, size_t size, int64_t nowUs) {
  ++stats_.rtcpPackets;
  SenderReportVisitor visitor(t.haveSsrc, t.ssrc, t.reception, nowUs);
  media::parseRtcpCompound(data, size, visitor);
  if (media_.onRtcp) media_.onRtcp(t.index, data, size);
}

// Opens NAT/firewall state towards the server's ports before PLAY, as gortsplib does: an
// empty RTP packet from the RTP port and an empty receiver report from the RTCP port.
void RtspClientConnection::punchUdp() {
  uint8_t rtp[media::kRtpFixedHeaderSize] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint8_t rr[64];
  size_t rrSize = media::buildReceiverReport(rr, sizeof(rr), localSsrc_, nullptr, 0);
  for (auto& t : tracks_) {
    if (!t->serverPortsKnown) continue;
    boost::system::error_code ec;
    t->rtpSocket.send_to(asio::buffer(rtp), t->serverRtp, 0, ec);
    if (rrSize) t->rtcpSocket.send_to(asio::buffer(rr, rrSize), t->serverRtcp, 0, ec);
  }
}

// ---------------------------------------------------------------------------------------
// Periodic work: timeouts, keepalive, receiver reports, loss log

void RtspClientConnection::scheduleTick() {
  tick_.expires_after(kTickPeriod);
  tick_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->stopped_ || ec) return;
    self->onTick();
  });
}

void RtspClientConnection::onTick() {
  int64_t now = core::monotonicUs();
  if (transport_ == RtspTransport::Tcp) {
    if (now - lastTcpRxUs_ >= toUs(config_.readTimeout)) return finish("TCP timeout");
  } else if (!udpFlowing_) {
    if (automatic_ && now - playUs_ >= toUs(config_.initialUdpReadTimeout)) {
      return finish("no UDP packets received, switching to TCP", true);
    }
    if (now - playUs_ >= toUs(config_.readTimeout)) return finish("UDP timeout");
  } else if (now - lastUdpRxUs_ >= toUs(config_.readTimeout)) {
    return finish("UDP timeout");
  }
  if (writing_ && now - writeStartUs_ >= toUs(config_.writeTimeout)) return finish("write timeout");

  if (now - lastKeepaliveUs_ >= toUs(keepalivePeriod_)) {
    lastKeepaliveUs_ = now;
    sendKeepalive();
    if (stopped_) return;
  }
  if (now - lastReportUs_ >= kReceiverReportPeriodUs) {
    lastReportUs_ = now;
    sendReceiverReports(now);
    if (stopped_) return;
  }
  countLosses();
  scheduleTick();
}

void RtspClientConnection::sendKeepalive() {
  // Not waiting for the answer (as gortsplib): the reader skips it when it comes.
  RtspRequest req = makeRequest(useGetParameter_ ? "GET_PARAMETER" : "OPTIONS", baseUrl_);
  enqueueWrite(req.serialize());
}

void RtspClientConnection::sendReceiverReports(int64_t nowUs) {
  for (auto& tp : tracks_) {
    Track& t = *tp;
    if (!t.haveSsrc || !t.reception.started()) continue;
    media::RtcpReportBlock block;
    t.reception.fillReportBlock(t.ssrc, nowUs, block);
    uint8_t packet[4 + 512];
    uint8_t* body = packet + 4;  // room for the interleaved header
    size_t cap = sizeof(packet) - 4;
    size_t n = media::buildReceiverReport(body, cap, localSsrc_, &block, 1);
    if (n == 0) continue;
    n += media::buildSdesCname(body + n, cap - n, localSsrc_, cname_);
    if (transport_ == RtspTransport::Udp) {
      if (!t.serverPortsKnown) continue;
      boost::system::error_code ec;
      t.rtcpSocket.send_to(asio::buffer(body, n), t.serverRtcp, 0, ec);
    } else {
      packet[0] = '$';
      packet[1] = t.rtcpChannel;
      packet[2] = static_cast<uint8_t>(n >> 8);
      packet[3] = static_cast<uint8_t>(n);
      enqueueWrite(std::string(reinterpret_cast<const char*>(packet), n + 4));
      if (stopped_) return;
    }
  }
}

void RtspClientConnection::countLosses() {
  for (auto& tp : tracks_) {
    Track& t = *tp;
    if (!t.reception.started()) continue;
    int64_t lost = t.reception.cumulativeLost();
    if (lost > t.lostCounted) {
      uint64_t delta = static_cast<uint64_t>(lost - t.lostCounted);
      stats_.rtpPacketsLost += delta;
      lossToLog_ += delta;
      t.lostCounted = lost;
    }
  }
  uint64_t suppressed = 0;
  if (lossToLog_ > 0 && lossLog_.allow(suppressed)) {
    log::warn("{}[RTSP source] {} RTP packet{} lost", config_.logPrefix, lossToLog_,
              lossToLog_ == 1 ? "" : "s");
    lossToLog_ = 0;
  }
}

// Keepalives and TCP receiver reports are small: they nearly always fit in the socket
// buffer at once, so they are written immediately and only a remainder waits for an
// asynchronous write. That also keeps `writing_` meaning "bytes really pending", which
// decides whether a TEARDOWN can still be slipped in when closing.
void RtspClientConnection::enqueueWrite(std::string bytes) {
  if (writing_) {
    if (writeQueue_.size() < kMaxQueuedWrites)
      writeQueue_.push_back(std::move(bytes));  // else: write timeout
    return;
  }
  if (tls_) {
    writeQueue_.push_back(std::move(bytes));
    writeNextTls();
    return;
  }
  boost::system::error_code ec;
  size_t n = tcp_.write_some(asio::buffer(bytes), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec.clear();
    n = 0;
  }
  if (ec) return finish(describe(ec));
  if (n == bytes.size()) return;
  writeQueue_.push_back(bytes.substr(n));
  writeNext();
}

void RtspClientConnection::writeNext() {
  if (writeQueue_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  writeStartUs_ = core::monotonicUs();
  asio::async_write(tcp_, asio::buffer(writeQueue_.front()),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      if (self->stopped_) return;
                      if (ec) return self->finish(self->describe(ec));
                      self->writeQueue_.pop_front();
                      self->writeNext();
                    });
}

// TLS: each queued string goes a record at a time; a full socket waits for writability.
void RtspClientConnection::writeNextTls() {
  boost::system::error_code ec;
  while (!writeQueue_.empty() || tls_->pending()) {
    if (tls_->pending()) {
      if (!tls_->drain(ec)) {
        if (ec) return finish(describe(ec));
        break;  // the socket is full
      }
      continue;
    }
    std::string& front = writeQueue_.front();
    const asio::const_buffer b(front.data(), front.size());
    const size_t n = tls_->writeSome(std::span<const asio::const_buffer>(&b, 1), ec);
    if (ec && ec != asio::error::would_block) return finish(describe(ec));
    front.erase(0, n);
    if (front.empty()) writeQueue_.pop_front();
  }
  writing_ = !writeQueue_.empty() || tls_->pending();
  if (!writing_) return;
  writeStartUs_ = core::monotonicUs();
  tcp_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->stopped_) return;
    if (ec) return self->finish(self->describe(ec));
    self->writeNextTls();
  });
}

// ---------------------------------------------------------------------------------------
// Ending

void RtspClientConnection::finish(const std::string& error, bool switchToTcp) {
  if (stopped_) return;
  // On a switch the session stays open until the TCP attempt plays: servers with shared
  // streams (GStreamer) would otherwise still be releasing it when the new DESCRIBE comes.
  closeAll(switchToTcp);
  client_.onConnectionFinished(error, switchToTcp);
}

void RtspClientConnection::closeAll(bool keepControl) {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  resolver_.cancel();
  deadline_.cancel();
  tick_.cancel();
  for (auto& t : tracks_) {
    t->rtpSocket.close(ec);
    t->rtcpSocket.close(ec);
  }
  if (!keepControl) closeControl();
}

void RtspClientConnection::closeControl() {
  boost::system::error_code ec;
  if (!sessionId_.empty() && tcp_.is_open() && !writing_) {
    // Best effort and never blocking: if the kernel takes it now, the camera frees the
    // session at once instead of at its timeout.
    std::string wire = makeRequest("TEARDOWN", baseUrl_).serialize();
    tcp_.non_blocking(true, ec);
    if (ec) {
    } else if (tls_) {
      const asio::const_buffer b(wire.data(), wire.size());
      tls_->writeSome(std::span<const asio::const_buffer>(&b, 1), ec);
    } else {
      tcp_.write_some(asio::buffer(wire), ec);
    }
  }
  if (tls_) tls_->shutdown();
  tcp_.close(ec);
}

}  // namespace sluice::rtsp
