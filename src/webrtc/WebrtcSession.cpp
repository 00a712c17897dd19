#include "webrtc/WebrtcSession.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

#include "core/Clock.h"
#include "core/HeapTrim.h"
#include "core/Log.h"
#include "core/Random.h"
#include "media/RtpPacket.h"
#include "webrtc/WebrtcCodecs.h"
#include "webrtc/WebrtcWorker.h"

namespace sluice::webrtc {

const char* toString(WebrtcSession::State s) {
  switch (s) {
    case WebrtcSession::State::New:
      return "new";
    case WebrtcSession::State::Connecting:
      return "connecting";
    case WebrtcSession::State::Connected:
      return "connected";
    case WebrtcSession::State::Closed:
      return "closed";
  }
  return "unknown";
}

WebrtcSession::WebrtcSession(WebrtcSessionParams params, WebrtcWorker& worker,
                             std::shared_ptr<stream::Stream> stream,
                             std::shared_ptr<DtlsCertificate> certificate, ClosedCallback onClosed)
    : params_(std::move(params)),
      worker_(worker),
      stream_(std::move(stream)),
      certificate_(std::move(certificate)),
      onClosed_(std::move(onClosed)),
      udp_(worker.egress()),
      created_(std::chrono::system_clock::now()) {
  outOfStreamTrack_.fill(-1);
  if (params_.tracks.size() > kMaxOutTracks) params_.tracks.resize(kMaxOutTracks);
  for (size_t i = 0; i < params_.tracks.size(); ++i) {
    out_[i].seqOffset = static_cast<uint16_t>(core::random32());
    const size_t t = params_.tracks[i].streamTrack;
    if (t < stream::kMaxTracks) outOfStreamTrack_[t] = static_cast<int8_t>(i);
  }
  // Browsers negotiate GCM with us: its contexts are made here, before the handshake, so that
  // nothing long-lived is allocated among the DTLS state freed after it (see DtlsTransport::release).
  srtpOut_.reserve(SrtpProfile::AeadAes128Gcm);
  srtpIn_.reserve(SrtpProfile::AeadAes128Gcm);
}

WebrtcSession::~WebrtcSession() = default;

std::string WebrtcSession::logPrefix() const { return "[WebRTC] [session " + params_.id.substr(0, 8) + "]"; }

boost::asio::io_context& WebrtcSession::workerIo() { return worker_.io(); }
size_t WebrtcSession::workerIndex() const { return worker_.worker().index(); }

std::string WebrtcSession::remoteAddress() const { return params_.remoteHttpAddress; }

std::string WebrtcSession::selectedRemote() const {
  std::lock_guard lock(remoteTextMutex_);
  return remoteText_;
}

void WebrtcSession::start() {
  startedUs_ = core::monotonicUs();
  worker_.add(shared_from_this());
  std::weak_ptr<WebrtcSession> weak = weak_from_this();
  DtlsTransport::Callbacks cb;
  cb.sendDatagram = [this](const uint8_t* d, size_t n) { sendRaw(d, n); };
  cb.onConnected = [this](const DtlsKeys& keys) { onDtlsConnected(keys); };
  cb.onFailed = [this](const std::string& reason) { close("DTLS handshake failed: " + reason); };
  cb.onClosed = [this] { close("peer connection closed by the client"); };
  dtls_ = std::make_unique<DtlsTransport>(certificate_, DtlsRole::Server, params_.remoteFingerprintAlgorithm,
                                          params_.remoteFingerprint, std::move(cb));
  dtls_->start();
  log::debug("{} created by {}", logPrefix(), params_.remoteHttpAddress);
}

void WebrtcSession::onIceCheck(const SocketAddress& from, bool useCandidate) {
  assert(worker_.worker().inThisThread());
  if (state() == State::Closed) return;
  bool udpSelected = transport_ == &udp_;
  if (!transport_ || (useCandidate && !(udpSelected && udp_.remote() == from))) {
    // Re-pointing the UDP path is safe: udp_ carries media only while selected.
    udp_.setRemote(from);
    selectTransport(&udp_);
  }
  if (state() == State::New) state_.store(State::Connecting, std::memory_order_release);
}

void WebrtcSession::selectTransport(SessionTransport* transport) {
  transport_ = transport;
  {
    std::lock_guard lock(remoteTextMutex_);
    remoteText_ = transport->remoteText();
  }
  selectedProtocol_.store(transport->protocol(), std::memory_order_relaxed);
  log::debug("{} ICE: selected {}/{}", logPrefix(), transport->protocol(), transport->remoteText());
}

void WebrtcSession::adoptTcpConnection(int fd, const SocketAddress& from, std::vector<uint8_t> pending,
                                       bool useCandidate) {
  assert(worker_.worker().inThisThread());
  // One per viewer interface is the norm; the cap bounds what one viewer can hold open.
  constexpr size_t kMaxTcpConnections = 4;
  if (state() == State::Closed || tcp_.size() >= kMaxTcpConnections) {
    ::close(fd);
    return;
  }
  auto connection = std::make_shared<TcpTransport>(worker_.io(), fd, from, *this);
  tcp_.push_back(connection);
  if (!transport_ || useCandidate) selectTransport(connection.get());
  if (state() == State::New) state_.store(State::Connecting, std::memory_order_release);
  connection->start(pending.data(), pending.size());
}

void WebrtcSession::onTcpCheck(TcpTransport& connection, bool useCandidate) {
  if (state() == State::Closed) return;
  if (!transport_ || useCandidate) selectTransport(&connection);
}

void WebrtcSession::onTcpClosed(TcpTransport& connection, const std::string& reason) {
  assert(worker_.worker().inThisThread());
  auto it = std::find_if(tcp_.begin(), tcp_.end(), [&](auto& c) { return c.get() == &connection; });
  if (it == tcp_.end()) return;
  auto keep = *it;  // alive until this handler returns
  tcp_.erase(it);
  keep->detach();
  if (transport_ != &connection) return;
  transport_ = nullptr;
  close("ICE-TCP connection " + keep->remoteText() + " lost: " + reason);
}

void WebrtcSession::onDatagram(const uint8_t* data, size_t size) {
  if (state() == State::Closed || size == 0) return;
  stats_.bytesReceived.fetch_add(size, std::memory_order_relaxed);
  uint8_t b = data[0];
  if (b >= 20 && b <= 63) {
    dtls_->onDatagram(data, size);
    return;
  }
  if (b >= 128 && b <= 191 && state() == State::Connected && media::looksLikeRtcp(data, size)) {
    uint8_t buf[1500];
    if (size > sizeof(buf)) return;
    std::memcpy(buf, data, size);
    size_t n = srtpIn_.unprotectRtcp(buf, size);
    if (n == 0) return;  // authentication failed: not from our peer, ignore
    // The viewer holds the SRTP keys, so its handshake is complete: DTLS needs no more state.
    if (!dtls_->releaseSettled() && dtls_->release()) {
      log::debug("{} DTLS session freed: the viewer holds the keys", logPrefix());
      core::requestHeapTrim();
    }
    stats_.rtcpPacketsReceived.fetch_add(1, std::memory_order_relaxed);
    media::parseRtcpCompound(buf, n, *this);
  }
}

void WebrtcSession::onDtlsConnected(const DtlsKeys& keys) {
  std::string err;
  if (!srtpOut_.init(keys.profile, keys.localKey.data(), keys.localSalt.data(), err) ||
      !srtpIn_.init(keys.profile, keys.remoteKey.data(), keys.remoteSalt.data(), err)) {
    close("SRTP init failed: " + err);
    return;
  }
  std::string why;
  if (!streamMatchesAnswer(why)) {
    close("the stream changed since the answer: " + why);
    return;
  }
  state_.store(State::Connected, std::memory_order_release);
  nextSenderReportUs_ = core::monotonicUs() + 200000;
  stream::TrackMask mask = 0;
  std::string codecs;
  size_t sent = 0;
  for (const auto& t : params_.tracks) {
    if (t.streamTrack >= stream::kMaxTracks) continue;
    mask |= stream::TrackMask{1} << t.streamTrack;
    codecs += (codecs.empty() ? "" : ", ") + t.codec;
    ++sent;
  }
  // B-frames noticed since the answer was given: the viewer would stall.
  if (const stream::TrackMask reordered =
          stream_->stats().reorderedVideo.load(std::memory_order_relaxed) & mask) {
    onVideoReordered(static_cast<size_t>(std::countr_zero(reordered)));
    return;
  }
  log::info("{} is reading from path '{}', {} track{} ({})", logPrefix(), params_.path, sent,
            sent == 1 ? "" : "s", codecs);
  attached_ = true;
  stream_->addReader(this, mask);
}

bool WebrtcSession::streamMatchesAnswer(std::string& why) const {
  const stream::StreamFormat& format = stream_->format();
  for (const auto& t : params_.tracks) {
    if (t.streamTrack == SIZE_MAX) continue;
    const size_t base = stream::StreamTrack::kTranscodedBase;
    const size_t source = t.streamTrack >= base ? t.streamTrack - base : t.streamTrack;
    if (source >= format.size()) {
      why = "track " + std::to_string(source + 1) + " is gone";
      return false;
    }
    const std::string now = sendableCodec(format, t.streamTrack);
    if (now != t.codec) {
      why = "track " + std::to_string(source + 1) + " is now " +
            (now.empty() ? format[source].apiName() : now) + ", the answer offered " + t.codec;
      return false;
    }
  }
  return true;
}

int WebrtcSession::outOfSsrc(uint32_t ssrc) const {
  for (size_t i = 0; i < params_.tracks.size(); ++i) {
    if (params_.tracks[i].ssrc == ssrc) return static_cast<int>(i);
  }
  return -1;
}

void WebrtcSession::onStreamPacket(size_t track, const stream::HistoryPacket& p) {
  const int out = track < stream::kMaxTracks ? outOfStreamTrack_[track] : -1;
  if (out < 0) return;
  OutState& st = out_[static_cast<size_t>(out)];
  if (st.awaitingKeyframe) {
    if (!p.keyframeStart) {
      stats_.packetsSkipped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    st.awaitingKeyframe = false;
    st.resumedAt = p.index;
    // A fresh start: enough to repair a few losses right after the keyframe (a quarter burst).
    st.retransmitCredit = std::max(st.retransmitCredit, kMaxRetransmitCredit / 4);
  }
  sendPacket(static_cast<size_t>(out), p, false);
}

void WebrtcSession::sendPacket(size_t o, const stream::HistoryPacket& p, bool retransmission) {
  if (!transport_) return;
  const WebrtcOutTrack& track = params_.tracks[o];
  OutState& st = out_[o];
  // Only the header is copied and rewritten; the payload is encrypted from the history.
  const size_t header = media::rtpHeaderSize(p.data, p.size);
  if (header == 0) return;  // the stream keeps only packets that parsed
  uint8_t* out = transport_->slot();
  std::memcpy(out, p.data, header);
  uint16_t seq = static_cast<uint16_t>(p.index + st.seqOffset);
  media::setPayloadType(out, track.payloadType);
  media::setSequence(out, seq);
  media::setSsrc(out, track.ssrc);
  size_t n = srtpOut_.protectRtp(out, p.size, SessionTransport::kMaxPacket, p.data + header);
  if (n == 0) return;
  transport_->commit(n);
  if (!retransmission) {
    if (st.retransmitCredit < kMaxRetransmitCredit) ++st.retransmitCredit;
    st.lastSentIndex = p.index;
    st.lastSentTimestamp = p.timestamp;
    st.lastSentUs = core::monotonicUs();
  }
  ++st.packetsSent;
  st.octetsSent += p.size - 12;
  stats_.rtpPacketsSent.fetch_add(1, std::memory_order_relaxed);
  stats_.bytesSent.fetch_add(n, std::memory_order_relaxed);
}

void WebrtcSession::sendRaw(const uint8_t* data, size_t size) {
  if (!transport_ || size > SessionTransport::kMaxPacket) return;
  std::memcpy(transport_->slot(), data, size);
  transport_->commit(size);
  stats_.bytesSent.fetch_add(size, std::memory_order_relaxed);
}

void WebrtcSession::retransmit(size_t o, uint16_t seq) {
  OutState& st = out_[o];
  const stream::StreamTrack* track = stream_->findTrack(params_.tracks[o].streamTrack);
  if (st.lastSentIndex == UINT64_MAX || !track) return;
  uint16_t lastSeq = static_cast<uint16_t>(st.lastSentIndex + st.seqOffset);
  uint16_t back = static_cast<uint16_t>(lastSeq - seq);
  const stream::PacketHistory& h = track->history();
  if (back >= h.capacity() || back > st.lastSentIndex) {
    stats_.retransmitMisses.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t index = st.lastSentIndex - back;
  if (st.awaitingKeyframe || index < st.resumedAt) {
    stats_.retransmitsDenied.fetch_add(1, std::memory_order_relaxed);  // before the keyframe it restarts at
    return;
  }
  const stream::HistoryPacket* p = h.at(index);
  if (!p) {
    stats_.retransmitMisses.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (st.retransmitCredit < kRetransmitCost) {
    stats_.retransmitsDenied.fetch_add(1, std::memory_order_relaxed);
    if (params_.tracks[o].video) skipToNextKeyframe(o);
    return;
  }
  st.retransmitCredit -= kRetransmitCost;
  sendPacket(o, *p, true);
  stats_.retransmitted.fetch_add(1, std::memory_order_relaxed);
}

void WebrtcSession::skipToNextKeyframe(size_t o) {
  out_[o].awaitingKeyframe = true;
  const uint64_t skips = stats_.keyframeSkips.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t nowUs = core::monotonicUs();
  if (skipLogUs_ == 0 || nowUs - skipLogUs_ >= 10'000'000) {
    skipLogUs_ = nowUs;
    log::info(
        "{} the viewer loses more than resending can repair (its link is slower than the stream); "
        "its video continues at the next keyframe ({} time(s) so far)",
        logPrefix(), skips);
  }
}

void WebrtcSession::onNack(uint32_t, uint32_t mediaSsrc, uint16_t pid, uint16_t blp) {
  const int o = outOfSsrc(mediaSsrc);
  if (o < 0) return;
  stats_.nacksReceived.fetch_add(1, std::memory_order_relaxed);
  retransmit(static_cast<size_t>(o), pid);
  for (int i = 0; i < 16; ++i) {
    if (blp & (1u << i)) retransmit(static_cast<size_t>(o), static_cast<uint16_t>(pid + i + 1));
  }
}

void WebrtcSession::onPli(uint32_t, uint32_t) { stats_.plisReceived.fetch_add(1, std::memory_order_relaxed); }

void WebrtcSession::onFir(uint32_t, uint32_t, uint8_t) {
  stats_.firsReceived.fetch_add(1, std::memory_order_relaxed);
}

void WebrtcSession::onReportBlock(uint32_t, const media::RtcpReportBlock& b) {
  const int o = outOfSsrc(b.ssrc);
  if (o < 0 || !params_.tracks[static_cast<size_t>(o)].video)
    return;  // the figures the API shows are video's
  stats_.packetsLostReported.store(static_cast<uint64_t>(std::max<int32_t>(0, b.cumulativeLost)),
                                   std::memory_order_relaxed);
  stats_.jitterReported.store(b.jitter, std::memory_order_relaxed);
}

void WebrtcSession::sendSenderReports(int64_t nowUs) {
  for (size_t o = 0; o < params_.tracks.size(); ++o) {
    if (stream_->findTrack(params_.tracks[o].streamTrack)) sendSenderReport(o, nowUs);
  }
}

void WebrtcSession::sendSenderReport(size_t o, int64_t nowUs) {
  const OutState& st = out_[o];
  const WebrtcOutTrack& track = params_.tracks[o];
  const stream::StreamTrack& source = *stream_->findTrack(track.streamTrack);
  uint8_t buf[256];
  // Map "now" onto the track's output timeline through its newest packet's capture time on the
  // server's clock (stream/CaptureClock: the camera's sender reports, or the arrival time), so
  // every track of the stream reports on one clock and the browser aligns them (lip sync), and
  // a receiver's latency estimate measures the time spent in the server and the network after
  // it, not how long ago a replayed keyframe was sent. The timeline outlives the source: while
  // a restarting camera is away the mapping keeps advancing with the wall clock, exactly as the
  // camera's next packets will be placed (stream/OutputTimeline).
  uint32_t rtpTs = st.lastSentTimestamp;
  const stream::OutputTimeline& timeline = source.timeline();
  if (timeline.haveOutput()) {
    rtpTs = timeline.timestampAt(nowUs);
  } else if (st.lastSentUs > 0) {
    rtpTs +=
        static_cast<uint32_t>((nowUs - st.lastSentUs) * static_cast<int64_t>(source.clockRate()) / 1000000);
  } else {
    return;  // nothing sent on this track yet: nothing to map
  }
  size_t n = media::buildSenderReport(buf, sizeof(buf), track.ssrc, core::ntpNow(), rtpTs, st.packetsSent,
                                      st.octetsSent);
  if (n == 0) return;
  n += media::buildSdesCname(buf + n, sizeof(buf) - n, track.ssrc, params_.cname);
  size_t p = srtpOut_.protectRtcp(buf, n, sizeof(buf));
  if (p == 0) return;
  sendRaw(buf, p);
  stats_.rtcpPacketsSent.fetch_add(1, std::memory_order_relaxed);
}

void WebrtcSession::tick(int64_t nowUs) {
  State s = state();
  if (s == State::Closed) return;
  if (s != State::Connected) {
    if (nowUs - startedUs_ >
        std::chrono::duration_cast<std::chrono::microseconds>(params_.handshakeTimeout).count()) {
      close("deadline exceeded while waiting connection");
      return;
    }
  }
  int64_t consent = lastConsentUs.load(std::memory_order_relaxed);
  int64_t consentTimeoutUs =
      std::chrono::duration_cast<std::chrono::microseconds>(params_.consentTimeout).count();
  if (s == State::Connected && consent > 0 && nowUs - consent > consentTimeoutUs) {
    close("ICE consent expired (no STUN checks from the viewer)");
    return;
  }
  if (dtls_) {
    auto t = dtls_->nextTimeout();
    if (t && t->count() <= 0) dtls_->onTimeout();
  }
  if (s == State::Connected && nowUs >= nextSenderReportUs_) {
    sendSenderReports(nowUs);
    nextSenderReportUs_ =
        nowUs + std::chrono::duration_cast<std::chrono::microseconds>(params_.senderReportPeriod).count();
  }
}

void WebrtcSession::onStreamSuspended(const std::string& reason) {
  // The session stays up: the stream resumes with continuous sequence numbers and timestamps.
  log::info("{} source of path '{}' is away ({}); waiting for it", logPrefix(), params_.path, reason);
}

void WebrtcSession::onStreamResumed() {
  log::info("{} source of path '{}' is back; resuming at its next keyframe", logPrefix(), params_.path);
}

void WebrtcSession::onVideoReordered(size_t track) {
  const int out = track < stream::kMaxTracks ? outOfStreamTrack_[track] : -1;
  if (out < 0) return;
  close(reorderedVideoReason(track, params_.tracks[static_cast<size_t>(out)].codec));
}

void WebrtcSession::onStreamEnded(const std::string& reason) {
  attached_ = false;
  close("source of path '" + params_.path + "' is gone: " + reason);
}

void WebrtcSession::close(const std::string& reason) {
  if (state() == State::Closed) return;
  bool wasConnected = state() == State::Connected;
  state_.store(State::Closed, std::memory_order_release);
  auto self = shared_from_this();  // keep alive through the callbacks below
  if (attached_) {
    stream_->removeReader(this);
    attached_ = false;
  }
  if (dtls_ && wasConnected) dtls_->close();  // the close_notify leaves on the selected path
  transport_ = nullptr;
  for (auto& connection : tcp_) connection->detach();
  tcp_.clear();
  log::info("{} closed: {}", logPrefix(), reason);
  worker_.remove(this);
  if (onClosed_) onClosed_(reason);
}

}  // namespace sluice::webrtc
