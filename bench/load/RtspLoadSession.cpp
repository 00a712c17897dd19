#include "load/RtspLoadSession.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "core/AsciiText.h"
#include "core/Clock.h"
#include "core/Random.h"
#include "load/H264PayloadFlags.h"
#include "load/H265PayloadFlags.h"
#include "load/RtspReaderProtocol.h"
#include "load/VideoTrackReception.h"
#include "load/WallClock.h"
#include "media/RtpPacket.h"

namespace sluice::load {
namespace {

namespace asio = boost::asio;

constexpr int64_t kReportIntervalUs = 1'000'000;  // RTCP RR, as gortsplib and ffmpeg send them
constexpr int64_t kGiveUpPollIntervalUs = 5'000;
// Bounded work per readiness so one busy reader cannot starve the others on its thread.
constexpr int kMaxReadsPerWakeup = 8;
constexpr int kMaxBatchesPerWakeup = 16;
constexpr size_t kMaxPendingWrite = 1 << 20;
constexpr int64_t kTeardownWaitUs = 1'000'000;

// RTSP has no NACK: a gap is counted lost once it stayed open for a second (reordering on
// UDP fills it earlier; over TCP there are no gaps unless the server drops).
NackPolicy noNackPolicy() {
  NackPolicy p;
  p.maxNacks = 0;
  p.giveUpUs = 1'000'000;
  return p;
}

// The kernel's receive time of what recvmsg returned (SO_TIMESTAMPNS); `fallback` without one.
int64_t receiveTimeUs(msghdr& h, int64_t fallback) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
    }
  }
  return fallback;
}

}  // namespace

RtspLoadSession::RtspLoadSession(RtspSessionSetup setup, asio::io_context& io, RecvBatch& batch)
    : setup_(std::move(setup)),
      conn_(setup_.connection),
      socket_(io, conn_.fd),
      batch_(batch),
      localSsrc_(core::random32()),
      video_(counters_, 90000, noNackPolicy()) {
  conn_.fd = -1;  // owned by socket_ now
  channelTrack_.fill(-1);
  tracks_.resize(conn_.tracks.size());
  for (size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    t.info = conn_.tracks[i];
    const bool h264 = core::iequals(t.info.codec, "H264"), h265 = core::iequals(t.info.codec, "H265");
    if (videoTrack_ < 0 && t.info.mediaType == "video" && (h264 || h265)) {
      t.role = Role::Video;
      t.h265 = h265;
      videoTrack_ = static_cast<int>(i);
      if (t.info.clockRate > 0) video_.setClockRate(t.info.clockRate);
    } else if (audioTrack_ < 0 && t.info.mediaType == "audio") {
      t.role = Role::Audio;
      audioTrack_ = static_cast<int>(i);
    }
    if (conn_.udp) {
      t.rtp = std::make_unique<asio::posix::stream_descriptor>(io, conn_.udpFds[2 * i]);
      t.rtcp = std::make_unique<asio::posix::stream_descriptor>(io, conn_.udpFds[2 * i + 1]);
      std::memcpy(&t.serverRtcp, &conn_.server, sizeof(conn_.server));
      t.serverRtcpLength = conn_.serverLength;
      const uint16_t port = htons(t.info.serverRtcpPort);
      if (t.serverRtcp.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&t.serverRtcp)->sin_port = port;
      } else {
        reinterpret_cast<sockaddr_in6*>(&t.serverRtcp)->sin6_port = port;
      }
    } else {
      channelTrack_[t.info.rtpChannel] = static_cast<int16_t>(i);
      channelTrack_[t.info.rtcpChannel] = static_cast<int16_t>(i);
    }
  }
  conn_.udpFds.clear();  // owned by the tracks' descriptors now
  counters_.index = setup_.index;
  if (videoTrack_ >= 0) counters_.videoCodec = tracks_[videoTrack_].h265 ? "H265" : "H264";
  if (audioTrack_ >= 0) counters_.audioCodec = tracks_[audioTrack_].info.codec;
}

RtspLoadSession::~RtspLoadSession() = default;

void RtspLoadSession::start() {
  const int64_t now = core::monotonicUs();
  nextReportUs_ = now + kReportIntervalUs;
  // Well within the session timeout, as gortsplib does (timeout / 2).
  nextKeepAliveUs_ = now + std::max<int64_t>(1, conn_.timeoutSeconds) * 500'000;
  nextGiveUpPollUs_ = now;
  counters_.connected = true;
  if (videoTrack_ < 0) fail("the stream has no H.264 or H.265 video track");
  // Over TCP the first media may already be in the parser (it followed PLAY's reply).
  if (!conn_.udp && !parseBuffered(wallNowUs(), now)) return;
  armTcpRead();
  for (size_t i = 0; i < tracks_.size() && conn_.udp; ++i) {
    armUdpRead(i, false);
    armUdpRead(i, true);
  }
}

void RtspLoadSession::armTcpRead() {
  if (closed_ || failed_) return;
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (!ec) self->onTcpReadable();
                     });
}

void RtspLoadSession::onTcpReadable() {
  if (closed_ || failed_) return;
  const bool more = drainTcp();
  if (closed_ || failed_) return;
  if (!more) {
    armTcpRead();
    return;
  }
  // Still more but this reader had its share: let the thread's other sockets run first.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->onTcpReadable(); });
}

bool RtspLoadSession::drainTcp() {
  const int fd = socket_.native_handle();
  for (int round = 0; round < kMaxReadsPerWakeup; ++round) {
    auto space = conn_.parser.prepare();
    if (space.empty()) {
      fail("RTSP stream: " + conn_.parser.error());
      return false;
    }
    iovec iov{space.data(), space.size()};
    alignas(cmsghdr) uint8_t control[64];
    msghdr h{};
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = control;
    h.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(fd, &h, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
      fail(std::string("recv: ") + std::strerror(errno));
      return false;
    }
    if (n == 0) {
      fail("the server closed the connection");
      return false;
    }
    const int64_t nowUs = core::monotonicUs();
    conn_.parser.commit(static_cast<size_t>(n));
    if (!parseBuffered(receiveTimeUs(h, wallNowUs()), nowUs)) return false;
    // A short read: the socket was empty a moment ago; new data raises a new readiness.
    if (static_cast<size_t>(n) < space.size()) return false;
  }
  return true;
}

bool RtspLoadSession::parseBuffered(int64_t wallUs, int64_t nowUs) {
  using Result = rtsp::RtspStreamParser::Result;
  for (;;) {
    switch (conn_.parser.next()) {
      case Result::NeedMore:
        return true;
      case Result::Interleaved: {
        const auto& f = conn_.parser.frame();
        const int t = channelTrack_[f.channel];
        if (t < 0) break;  // a channel we did not set up
        if (f.channel == tracks_[t].info.rtpChannel) {
          onRtp(tracks_[t], f.data, f.size, wallUs, nowUs);
        } else {
          onRtcp(static_cast<size_t>(t), f.data, f.size);
        }
        break;
      }
      case Result::Response:
        // GET_PARAMETER replies need nothing; TEARDOWN's is what close() waits for.
        if (teardownCseq_ != 0 && rtsp::cseqOf(conn_.parser.response().headers) == teardownCseq_) {
          teardownStatus_ = conn_.parser.response().statusCode;
        }
        break;
      case Result::Request:
        break;  // servers send readers none that need an answer
      case Result::Error:
        fail("RTSP stream: " + conn_.parser.error());
        return false;
    }
  }
}

void RtspLoadSession::armUdpRead(size_t track, bool rtcp) {
  if (closed_) return;
  auto& socket = rtcp ? *tracks_[track].rtcp : *tracks_[track].rtp;
  socket.async_wait(asio::posix::stream_descriptor::wait_read,
                    [self = shared_from_this(), track, rtcp](const boost::system::error_code& ec) {
                      if (!ec) self->onUdpReadable(track, rtcp);
                    });
}

void RtspLoadSession::onUdpReadable(size_t track, bool rtcp) {
  if (closed_) return;
  Track& t = tracks_[track];
  const int fd = (rtcp ? t.rtcp : t.rtp)->native_handle();
  for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
    const int64_t nowUs = core::monotonicUs();
    const size_t n = batch_.receive(fd, wallNowUs());
    for (size_t i = 0; i < n && !closed_; ++i) {
      if (batch_.truncated(i) || batch_.size(i) == 0) continue;
      if (rtcp) {
        onRtcp(track, batch_.data(i), batch_.size(i));
      } else {
        onRtp(t, batch_.data(i), batch_.size(i), batch_.wallUs(i), nowUs);
      }
    }
    if (n < RecvBatch::kBatch) {
      armUdpRead(track, rtcp);
      return;
    }
  }
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), track, rtcp] { self->onUdpReadable(track, rtcp); });
}

void RtspLoadSession::onRtp(Track& track, const uint8_t* data, size_t size, int64_t wallUs, int64_t nowUs) {
  media::RtpHeader header;
  const uint8_t* payload = nullptr;
  size_t payloadSize = 0;
  if (media::parseRtp(data, size, header, payload, payloadSize) != media::RtpError::None) {
    ++counters_.authFailures;  // "not a usable RTP packet" (there is no authentication here)
    return;
  }
  if (!track.haveSsrc) {
    track.haveSsrc = true;
    track.ssrc = header.ssrc;
  }
  const uint32_t clockRate = track.info.clockRate > 0 ? track.info.clockRate : 90000;
  track.reception.onPacket(header.sequence, header.timestamp,
                           static_cast<uint32_t>(nowUs * static_cast<int64_t>(clockRate) / 1'000'000));
  if (track.role == Role::Audio) {
    ++counters_.verified;
    audio_.onPacket(header.sequence, size);
    return;
  }
  if (track.role != Role::Video) return;

  const int64_t ext = video_.sequences().extend(header.sequence);
  if (ext < 0) return;
  ++counters_.verified;
  const uint8_t flags =
      track.h265 ? h265PayloadFlags(payload, payloadSize) : h264PayloadFlags(payload, payloadSize);
  const auto outcome =
      video_.onPacket(ext, header.timestamp, header.marker, flags, true, size, wallUs, nowUs);
  if (outcome == VideoTrackReception::Outcome::KeyframeCompleted && ttffUs_ < 0)
    ttffUs_ = nowUs - conn_.startUs;
}

void RtspLoadSession::onRtcp(size_t track, const uint8_t* data, size_t size) {
  ++counters_.rtcpReceived;
  rtcpTrack_ = track;
  media::parseRtcpCompound(data, size, *this);
}

void RtspLoadSession::onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtpTimestamp, uint32_t, uint32_t) {
  Track& t = tracks_[rtcpTrack_];
  if (t.haveSsrc && ssrc != t.ssrc) return;
  t.reception.onSenderReport(ntp, core::monotonicUs());
  if (t.role == Role::Audio) {
    ++counters_.audioSenderReports;
    return;
  }
  if (t.role != Role::Video) return;
  ++counters_.senderReports;
  // The server's NTP "now" paired with the RTP time of that moment: any RTP timestamp maps
  // to the server's wall clock of sending it.
  video_.onSenderReport(ntp, rtpTimestamp);
}

void RtspLoadSession::write(const uint8_t* data, size_t size) {
  if (failed_ || closed_) return;
  if (pendingWrite_.empty()) {
    const ssize_t n = ::send(socket_.native_handle(), data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(size)) return;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      fail(std::string("send: ") + std::strerror(errno));
      return;
    }
    const size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
    data += sent;
    size -= sent;
  }
  // Kept whole so the server never sees half a frame or request followed by another.
  pendingWrite_.append(reinterpret_cast<const char*>(data), size);
  if (pendingWrite_.size() > kMaxPendingWrite) fail("the server takes no requests or reports (1 MiB unsent)");
}

void RtspLoadSession::flushWrites() {
  if (pendingWrite_.empty() || failed_) return;
  const ssize_t n = ::send(socket_.native_handle(), pendingWrite_.data(), pendingWrite_.size(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n > 0) {
    pendingWrite_.erase(0, static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    fail(std::string("send: ") + std::strerror(errno));
  }
}

void RtspLoadSession::sendReceiverReports(int64_t nowUs) {
  for (Track& t : tracks_) {
    if (!t.haveSsrc || !t.reception.started()) continue;
    uint8_t buffer[4 + 128];
    media::RtcpReportBlock block;
    t.reception.fillReportBlock(t.ssrc, nowUs, block);
    const size_t n = media::buildReceiverReport(buffer + 4, sizeof(buffer) - 4, localSsrc_, &block, 1);
    if (n == 0) continue;
    if (conn_.udp) {
      ::sendto(t.rtcp->native_handle(), buffer + 4, n, MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&t.serverRtcp), t.serverRtcpLength);
    } else {
      writeInterleavedHeader(buffer, t.info.rtcpChannel, n);
      write(buffer, n + 4);
    }
    ++counters_.receiverReportsSent;
  }
}

void RtspLoadSession::sendKeepAlive() {
  const std::string request =
      buildRtspReaderRequest("GET_PARAMETER", conn_.url, conn_.nextCseq++, conn_.sessionId);
  write(reinterpret_cast<const uint8_t*>(request.data()), request.size());
  ++keepAlives_;
}

void RtspLoadSession::tick(int64_t nowUs) {
  if (closed_ || failed_) return;
  flushWrites();
  if (nowUs >= nextGiveUpPollUs_) {
    // Moves gaps older than the policy's give-up into `lost` (nothing is NACKed: capacity 0).
    video_.sequences().pollNacks(nowUs, nullptr, 0);
    nextGiveUpPollUs_ = nowUs + kGiveUpPollIntervalUs;
  }
  if (nowUs >= nextReportUs_) {
    sendReceiverReports(nowUs);
    nextReportUs_ = nowUs + kReportIntervalUs;
  }
  if (nowUs >= nextKeepAliveUs_) {
    sendKeepAlive();
    nextKeepAliveUs_ = nowUs + std::max<int64_t>(1, conn_.timeoutSeconds) * 500'000;
  }
}

void RtspLoadSession::close() {
  if (closed_) return;
  // TEARDOWN, and its reply within a second (media still arriving is read and counted).
  if (!failed_) {
    teardownCseq_ = conn_.nextCseq++;
    const std::string request = buildRtspReaderRequest("TEARDOWN", conn_.url, teardownCseq_, conn_.sessionId);
    write(reinterpret_cast<const uint8_t*>(request.data()), request.size());
    const int fd = socket_.native_handle();
    const int64_t deadline = core::monotonicUs() + kTeardownWaitUs;
    while (!failed_ && teardownStatus_ == 0) {
      const int64_t left = deadline - core::monotonicUs();
      if (left <= 0) break;
      flushWrites();
      pollfd p{fd, static_cast<short>(POLLIN | (pendingWrite_.empty() ? 0 : POLLOUT)), 0};
      if (::poll(&p, 1, static_cast<int>((left + 999) / 1000)) <= 0) break;
      if (p.revents & (POLLIN | POLLERR | POLLHUP)) drainTcp();
    }
  }
  closed_ = true;
  closedUs_ = core::monotonicUs();
  boost::system::error_code ec;
  socket_.cancel(ec);
  socket_.close(ec);
  for (Track& t : tracks_) {
    if (t.rtp) t.rtp->close(ec);
    if (t.rtcp) t.rtcp->close(ec);
  }
}

void RtspLoadSession::fail(std::string reason) {
  if (failed_) return;
  // The server ending the session after we asked it to is not a failure.
  if (!ending_.load(std::memory_order_relaxed) && error_.empty()) error_ = std::move(reason);
  failed_ = true;
}

SessionResult RtspLoadSession::result() const {
  SessionResult r = counters_;
  r.url = setup_.url;
  r.location = conn_.sessionId;
  r.postStatus = conn_.playStatus;
  r.deleteStatus = teardownStatus_;
  r.error = error_;
  r.startedS = setup_.startedS;
  const int64_t end = closedUs_ > 0 ? closedUs_ : core::monotonicUs();
  r.durationS = static_cast<double>(end - conn_.startUs) / 1e6;
  r.connectMs = static_cast<double>(conn_.playedUs - conn_.startUs) / 1e3;
  r.ttffMs = ttffUs_ >= 0 ? static_cast<double>(ttffUs_) / 1e3 : -1;
  r.lost = video_.sequences().lost();
  r.discontinuities = video_.sequences().discontinuities();
  r.audioPackets = audio_.packets();
  r.audioBytes = audio_.bytes();
  r.audioLost = audio_.lost();
  r.audioDuplicates = audio_.duplicates();
  r.protocol = conn_.udp ? "rtsp/udp" : "rtsp/tcp";
  r.keepAlivesSent = keepAlives_;
  return r;
}

}  // namespace sluice::load
