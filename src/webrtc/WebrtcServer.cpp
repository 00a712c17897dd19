#include "webrtc/WebrtcServer.h"

#include <boost/asio/post.hpp>

#include "core/ClientKey.h"
#include "core/Clock.h"
#include "core/ListenAddress.h"
#include "core/Log.h"
#include "core/Random.h"
#include "webrtc/HostCandidates.h"
#include "webrtc/IceCheck.h"
#include "webrtc/StunMessage.h"
#include "webrtc/WebrtcCodecs.h"
#include "webrtc/WhepAnswer.h"
#include "webrtc/WhepOffer.h"

namespace sluice::webrtc {

namespace asio = boost::asio;

namespace {
WhepSessionResult refused(int status, std::string error) {
  WhepSessionResult r;
  r.status = status;
  r.error = std::move(error);
  return r;
}
}  // namespace

WebrtcServer::WebrtcServer(core::WorkerPool& pool, asio::io_context& control, WebrtcServerConfig config)
    : pool_(pool), control_(control), config_(std::move(config)), placement_(pool.size()) {}

WebrtcServer::~WebrtcServer() = default;

bool WebrtcServer::start(std::string& error) {
  certificate_ = DtlsCertificate::generate(error);
  if (!certificate_) return false;

  // MediaMTX allows either listener alone (a TCP-only server for networks without UDP).
  if (!config_.localUdpAddress.empty() && !startUdp(error)) return false;
  if (!config_.localTcpAddress.empty() && !startTcp(error)) return false;
  if (!socket_ && !tcpListener_) {
    error = "no ICE listener: set webrtcLocalUDPAddress or webrtcLocalTCPAddress";
    return false;
  }

  for (size_t i = 0; i < pool_.size(); ++i) {
    // Without UDP the workers' egress is never used: no session selects a UDP path.
    workers_.push_back(std::make_unique<WebrtcWorker>(pool_.at(i), socket_ ? socket_->native_handle() : -1));
    WebrtcWorker* w = workers_.back().get();
    asio::post(w->io(), [w] { w->start(); });
  }
  if (socket_) asio::post(pool_.at(0).io(), [this] { receive(); });
  if (tcpListener_) asio::post(pool_.at(0).io(), [this] { tcpListener_->start(); });
  std::string list;
  if (socket_) {
    for (auto& c : candidates_) list += (list.empty() ? "" : ", ") + c;
    log::info("[WebRTC] ICE-lite on UDP {}, host candidates: {}", config_.localUdpAddress, list);
  }
  if (tcpListener_) {
    list.clear();
    for (auto& c : tcpCandidates_) list += (list.empty() ? "" : ", ") + c;
    log::info("[WebRTC] ICE-TCP on {}, passive host candidates: {}", config_.localTcpAddress, list);
  }
  return true;
}

bool WebrtcServer::startUdp(std::string& error) {
  std::string host;
  if (!core::splitListenAddress(config_.localUdpAddress, host, udpPort_, error)) {
    error = "webrtcLocalUDPAddress: " + error;
    return false;
  }
  boost::system::error_code ec;
  asio::ip::address bindIp =
      host.empty() ? asio::ip::address(asio::ip::address_v4::any()) : asio::ip::make_address(host, ec);
  if (ec) {
    error = "webrtcLocalUDPAddress: invalid IP '" + host + "'";
    return false;
  }
  socket_ = std::make_unique<asio::ip::udp::socket>(pool_.at(0).io());
  asio::ip::udp::endpoint ep(bindIp, udpPort_);
  socket_->open(ep.protocol(), ec);
  if (!ec) socket_->bind(ep, ec);
  if (ec) {
    error = "unable to listen on UDP " + config_.localUdpAddress + ": " + ec.message();
    return false;
  }
  udpPort_ = socket_->local_endpoint().port();
  socket_->non_blocking(true, ec);
  if (config_.udpReadBufferSize > 0) {
    socket_->set_option(asio::socket_base::receive_buffer_size(config_.udpReadBufferSize), ec);
  }
  // A large send buffer absorbs a keyframe burst to many viewers (MediaMTX issue #6100).
  socket_->set_option(asio::socket_base::send_buffer_size(4 * 1024 * 1024), ec);

  std::vector<std::string> warnings;
  HostCandidateOptions hc{host, config_.ipsFromInterfaces, config_.ipsFromInterfacesList,
                          config_.additionalHosts};
  candidates_ = gatherHostCandidates(hc, warnings);
  for (auto& w : warnings) log::warn("[WebRTC] {}", w);
  if (candidates_.empty()) {
    error = "no ICE host candidate: set webrtcIPsFromInterfaces or webrtcAdditionalHosts";
    return false;
  }
  return true;
}

bool WebrtcServer::startTcp(std::string& error) {
  std::string host;
  uint16_t port = 0;
  if (!core::splitListenAddress(config_.localTcpAddress, host, port, error)) {
    error = "webrtcLocalTCPAddress: " + error;
    return false;
  }
  auto verify = [this](const StunMessage& msg, const SocketAddress& from, uint8_t* out, size_t& size) {
    return verifyIceCheck(msg, from, out, size);
  };
  tcpListener_ = std::make_unique<IceTcpListener>(pool_.at(0).io(), verify, config_.handshakeTimeout);
  if (!tcpListener_->listen(host, port, error)) {
    error = "unable to listen on TCP " + config_.localTcpAddress + ": " + error;
    return false;
  }
  std::vector<std::string> warnings;
  HostCandidateOptions hc{host, config_.ipsFromInterfaces, config_.ipsFromInterfacesList,
                          config_.additionalHosts};
  tcpCandidates_ = gatherHostCandidates(hc, warnings);
  if (tcpCandidates_.empty()) {
    error = "no ICE-TCP host candidate: set webrtcIPsFromInterfaces or webrtcAdditionalHosts";
    return false;
  }
  return true;
}

void WebrtcServer::stop() {
  std::vector<std::shared_ptr<WebrtcSession>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [_, s] : bySecret_) all.push_back(s);
    bySecret_.clear();
    for (auto& [_, mirrors] : mirrors_) {
      for (auto& m : mirrors) {
        if (m) m->detach("server shutting down");
      }
    }
    mirrors_.clear();
  }
  auto closeSocket = [this] {
    boost::system::error_code ec;
    if (socket_) socket_->close(ec);
    byUfrag_.clear();
    byAddress_.clear();
    if (tcpListener_) tcpListener_->stop();
  };
  const bool ownsSockets = socket_ || tcpListener_;
  // Every worker's egress sends on the one UDP socket: it is closed on worker 0 only after the
  // last worker closed its egress (its sessions' close_notify sent), never while one may send.
  auto pending = std::make_shared<std::atomic<size_t>>(workers_.size());
  for (auto& w : workers_) {
    WebrtcWorker* wp = w.get();
    asio::post(wp->io(), [this, wp, pending, ownsSockets, closeSocket] {
      wp->stop();
      wp->egress().close();
      if (pending->fetch_sub(1) == 1 && ownsSockets) asio::post(pool_.at(0).io(), closeSocket);
    });
  }
  if (workers_.empty() && ownsSockets) asio::post(pool_.at(0).io(), closeSocket);
}

WhepSessionResult WebrtcServer::createSession(const std::string& offerSdp,
                                              const std::shared_ptr<stream::Stream>& stream,
                                              core::Worker& streamWorker, const std::string& path,
                                              const std::string& query, const std::string& remoteAddress) {
  if (std::optional<WhepSessionResult> refusal = overHandshakeLimits(remoteAddress)) return *refusal;
  WhepSessionResult r;
  std::string error;
  auto offer = parseWhepOffer(offerSdp, error);
  if (!offer) return refused(400, error);
  // The tracks the stream has now; the session checks they still hold when the viewer attaches.
  const std::vector<SendableTrack> sendable = sendableTracks(stream->formatSnapshot());
  auto choice = chooseWhepMedia(*offer, sendable, error);
  if (!choice) return refused(400, error);
  const stream::TrackMask reordered = stream->stats().reorderedVideo.load(std::memory_order_relaxed);
  for (const WhepTrackChoice& c : choice->tracks) {
    if (c.video && c.streamTrack < stream::kMaxTracks && (reordered >> c.streamTrack & 1)) {
      return refused(400, reorderedVideoReason(c.streamTrack, c.codec));
    }
  }

  WebrtcSessionParams p;
  p.id = core::randomUuid();
  p.secret = core::randomUuid();
  p.path = path;
  p.query = query;
  p.remoteHttpAddress = remoteAddress;
  p.localUfrag = core::randomAlnum(16);
  p.localPwd = core::randomAlnum(32);
  p.remoteUfrag = offer->media[choice->transportIndex()].iceUfrag;
  p.remoteFingerprintAlgorithm = offer->fingerprintAlgorithm;
  p.remoteFingerprint = offer->fingerprint;
  for (const WhepTrackChoice& c : choice->tracks) {
    WebrtcOutTrack t;
    t.streamTrack = c.streamTrack;
    t.codec = c.codec;
    t.payloadType = static_cast<uint8_t>(c.payloadType);
    t.ssrc = core::random32();
    t.video = c.video;
    p.tracks.push_back(std::move(t));
  }
  p.cname = core::randomAlnum(16);
  p.handshakeTimeout = config_.handshakeTimeout;
  p.senderReportPeriod = config_.senderReportPeriod;
  p.consentTimeout = config_.consentTimeout;

  WhepAnswerParams ap;
  ap.iceUfrag = p.localUfrag;
  ap.icePwd = p.localPwd;
  ap.fingerprintSha256 = certificate_->fingerprintSha256();
  for (auto& c : candidates_) ap.hostCandidates.emplace_back(c, udpPort_);
  for (auto& c : tcpCandidates_) ap.tcpCandidates.emplace_back(c, tcpPort());
  for (const auto& t : p.tracks) ap.ssrcs.push_back(t.ssrc);
  ap.cname = p.cname;
  r.answer = buildWhepAnswer(*offer, *choice, ap);
  r.id = p.id;
  r.secret = p.secret;

  // A viewer of an Opus track transcoded from AAC stays with the stream: only it transcodes.
  bool mayMove = true;
  for (const WhepTrackChoice& c : choice->tracks) {
    mayMove = mayMove && (c.streamTrack == SIZE_MAX || c.streamTrack < stream::StreamTrack::kTranscodedBase);
  }
  const stream::Stream* key = stream.get();
  size_t placed = 0;
  std::shared_ptr<stream::Stream> readFrom;
  {
    std::lock_guard lock(mutex_);
    placed = placement_.place(key, streamWorker.index(), mayMove);
    readFrom = streamOn(stream, streamWorker, placed);
  }
  WebrtcWorker* worker = workers_.at(placed).get();
  auto session =
      std::make_shared<WebrtcSession>(std::move(p), *worker, std::move(readFrom), certificate_, nullptr);
  // Wire the close path: forget in the mux (worker 0) and in the control maps.
  std::weak_ptr<WebrtcSession> weak = session;
  std::string secret = r.secret;
  auto onClosed = [this, weak, secret, key, placed](const std::string&) {
    if (auto s = weak.lock()) asio::post(pool_.at(0).io(), [this, s] { forget(s); });
    asio::post(control_, [this, secret, key, placed] {
      std::lock_guard lock(mutex_);
      bySecret_.erase(secret);
      releaseViewer(key, placed);
    });
  };
  session->setClosedCallback(onClosed);
  {
    std::lock_guard lock(mutex_);
    bySecret_[r.secret] = session;
  }
  std::string ufrag = session->params().localUfrag;
  std::string pwd = session->params().localPwd;
  asio::post(pool_.at(0).io(), [this, session, ufrag, pwd] { byUfrag_[ufrag] = {session, pwd}; });
  asio::post(worker->io(), [session] { session->start(); });
  return r;
}

std::shared_ptr<stream::Stream> WebrtcServer::streamOn(const std::shared_ptr<stream::Stream>& stream,
                                                       core::Worker& home, size_t worker) {
  if (worker == home.index()) return stream;
  auto& mirrors = mirrors_[stream.get()];
  if (mirrors.empty()) mirrors.resize(workers_.size());
  std::shared_ptr<stream::StreamMirror>& mirror = mirrors.at(worker);
  if (!mirror || mirror->ended()) {
    if (mirror) mirrorDroppedGone_ += mirror->dropped();
    mirror = stream::StreamMirror::create(stream, home, pool_.at(worker));
  }
  return mirror->replica();
}

void WebrtcServer::releaseViewer(const stream::Stream* stream, size_t worker) {
  if (placement_.release(stream, worker) > 0) return;
  auto it = mirrors_.find(stream);
  if (it == mirrors_.end()) return;
  std::shared_ptr<stream::StreamMirror>& mirror = it->second.at(worker);
  if (mirror) {
    mirror->detach("no viewer left on this worker");
    mirrorDroppedGone_ += mirror->dropped();
    mirror.reset();
  }
  bool any = false;
  for (const auto& m : it->second) any = any || m;
  if (!any) mirrors_.erase(it);
}

int WebrtcServer::patchSession(const std::string& secret, const std::string& body, std::string& error) {
  {
    std::lock_guard lock(mutex_);
    if (!bySecret_.count(secret)) {
      error = "session not found";
      return 404;
    }
  }
  auto frag = parseTrickleFragment(body, error);
  if (!frag) return 400;
  // ICE-lite: the viewer's address is learned from its STUN checks (peer-reflexive), so
  // trickled candidates need no action; an ICE restart is not supported yet.
  return 204;
}

int WebrtcServer::deleteSession(const std::string& secret, std::string& error) {
  std::shared_ptr<WebrtcSession> s;
  {
    std::lock_guard lock(mutex_);
    auto it = bySecret_.find(secret);
    if (it == bySecret_.end()) {
      error = "session not found";
      return 404;
    }
    s = it->second;
    bySecret_.erase(it);
  }
  asio::post(s->workerIo(), [s] { s->close("deleted by the client"); });
  return 200;
}

int WebrtcServer::kickSession(const std::string& id, std::string& error) {
  std::string secret;
  {
    std::lock_guard lock(mutex_);
    for (auto& [sec, s] : bySecret_) {
      if (s->params().id == id) secret = sec;
    }
  }
  if (secret.empty()) {
    error = "session not found";
    return 404;
  }
  deleteSession(secret, error);
  return 200;
}

UdpEgressTotals WebrtcServer::egressTotals() const {
  UdpEgressTotals t;
  for (auto& w : workers_) {
    const core::UdpSendBatchStats& s = w->egress().stats();
    t.datagramsSent += s.datagramsSent.load(std::memory_order_relaxed);
    t.bytesSent += s.bytesSent.load(std::memory_order_relaxed);
    t.datagramsDropped += s.datagramsDropped.load(std::memory_order_relaxed);
    t.batches += s.batches.load(std::memory_order_relaxed);
    t.messages += s.messages.load(std::memory_order_relaxed);
    t.inboxDropped += w->inboxDropped();
  }
  std::lock_guard lock(mutex_);
  t.mirrorDropped = mirrorDroppedGone_;
  for (size_t w = 0; w < workers_.size(); ++w) t.viewersPerWorker.push_back(placement_.viewersOn(w));
  for (const auto& [_, mirrors] : mirrors_) {
    for (const auto& m : mirrors) {
      if (!m) continue;
      t.mirrors += !m->ended();
      t.mirrorDropped += m->dropped();
    }
  }
  return t;
}

std::vector<WebrtcSessionInfo> WebrtcServer::listSessions() const {
  std::vector<WebrtcSessionInfo> out;
  std::lock_guard lock(mutex_);
  for (auto& [_, s] : bySecret_) {
    WebrtcSessionInfo i;
    i.id = s->params().id;
    i.path = s->params().path;
    i.query = s->params().query;
    i.remoteAddress = s->remoteAddress();
    i.state = toString(s->state());
    i.created = s->created();
    auto& st = s->stats();
    i.bytesReceived = st.bytesReceived;
    i.bytesSent = st.bytesSent;
    i.rtpPacketsSent = st.rtpPacketsSent;
    i.rtcpPacketsReceived = st.rtcpPacketsReceived;
    i.rtcpPacketsSent = st.rtcpPacketsSent;
    i.nacksReceived = st.nacksReceived;
    i.retransmitted = st.retransmitted;
    i.keyframeSkips = st.keyframeSkips;
    i.packetsSkipped = st.packetsSkipped;
    i.plisReceived = st.plisReceived;
    i.firsReceived = st.firsReceived;
    i.packetsLostReported = st.packetsLostReported;
    i.jitterReported = st.jitterReported;
    i.remoteCandidate = s->selectedRemote();
    i.remoteProtocol = s->selectedProtocol();
    out.push_back(std::move(i));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.created < b.created; });
  return out;
}

namespace {
bool handshaking(const WebrtcSession& s) {
  const WebrtcSession::State state = s.state();
  return state == WebrtcSession::State::New || state == WebrtcSession::State::Connecting;
}
}  // namespace

size_t WebrtcServer::handshakeCount() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& [_, s] : bySecret_) n += handshaking(*s);
  return n;
}

size_t WebrtcServer::handshakeCount(const std::string& clientKey) const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& [_, s] : bySecret_) {
    n += handshaking(*s) && core::clientKeyOfAddress(s->params().remoteHttpAddress) == clientKey;
  }
  return n;
}

std::optional<WhepSessionResult> WebrtcServer::overHandshakeLimits(const std::string& remoteAddress) const {
  // A scan of the sessions: control plane, a few thousand entries at most with the caps.
  const std::string client = core::clientKeyOfAddress(remoteAddress);
  const bool perClient = config_.maxHandshakesPerClient > 0 && !core::isLocalHostKey(client);
  size_t all = 0, mine = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [_, s] : bySecret_) {
      if (!handshaking(*s)) continue;
      ++all;
      if (!perClient) continue;
      if (core::clientKeyOfAddress(s->params().remoteHttpAddress) == client) ++mine;
    }
  }
  if (perClient && mine >= config_.maxHandshakesPerClient) {
    return refused(429, "too many sessions of this address are still connecting (limit " +
                            std::to_string(config_.maxHandshakesPerClient) + "): finish or close them first");
  }
  if (config_.maxHandshakes > 0 && all >= config_.maxHandshakes) {
    return refused(503, "the server is busy: too many sessions are connecting (limit " +
                            std::to_string(config_.maxHandshakes) + "), retry later");
  }
  return std::nullopt;
}

size_t WebrtcServer::sessionCount() const {
  std::lock_guard lock(mutex_);
  return bySecret_.size();
}

// ---- worker 0: the UDP mux ----

void WebrtcServer::receive() {
  socket_->async_receive_from(
      asio::buffer(recvBuffer_), from_,
      core::withMemory(receiveMemory_, [this](const boost::system::error_code& ec, size_t n) {
        if (ec == asio::error::operation_aborted || !socket_->is_open()) return;
        if (!ec && n > 0) {
          SocketAddress a = SocketAddress::from(from_.data(), from_.size());
          onDatagram(recvBuffer_.data(), n, a);
        }
        receive();
      }));
}

void WebrtcServer::onDatagram(const uint8_t* data, size_t size, const SocketAddress& from) {
  // RFC 7983 demultiplexing on the first byte.
  uint8_t b = data[0];
  if (b <= 3) {
    onStun(data, size, from);
    return;
  }
  auto it = byAddress_.find(from);
  if (it == byAddress_.end()) {
    datagramsIgnored_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if ((b >= 20 && b <= 63) || (b >= 128 && b <= 191)) {
    dispatch(it->second, data, size);
  } else {
    datagramsIgnored_.fetch_add(1, std::memory_order_relaxed);
  }
}

void WebrtcServer::dispatch(const std::shared_ptr<WebrtcSession>& session, const uint8_t* data, size_t size) {
  if (session->workerIndex() == 0) {
    session->onDatagram(data, size);
    return;
  }
  workers_.at(session->workerIndex())->postDatagram(session, data, size);
}

std::shared_ptr<WebrtcSession> WebrtcServer::verifyIceCheck(const StunMessage& msg, const SocketAddress& from,
                                                            uint8_t* out, size_t& responseSize) {
  responseSize = 0;
  std::optional<std::string_view> ufrag = iceCheckLocalUfrag(msg);
  if (!ufrag) return nullptr;
  auto it = byUfrag_.find(*ufrag);
  if (it == byUfrag_.end()) return nullptr;
  responseSize = answerIceCheck(msg, it->second.localPwd, from, out, kIceCheckResponseMax);
  return responseSize > 0 ? it->second.session : nullptr;
}

void WebrtcServer::onStun(const uint8_t* data, size_t size, const SocketAddress& from) {
  StunMessage msg;
  uint8_t out[kIceCheckResponseMax];
  size_t responseSize = 0;
  std::shared_ptr<WebrtcSession> session;
  if (msg.parse(data, size) == StunParseError::None) session = verifyIceCheck(msg, from, out, responseSize);
  if (!session) {
    datagramsIgnored_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ::sendto(socket_->native_handle(), out, responseSize, MSG_DONTWAIT,
           reinterpret_cast<const sockaddr*>(&from.storage), from.length);

  session->lastConsentUs.store(core::monotonicUs(), std::memory_order_relaxed);
  bool useCandidate = msg.useCandidate();
  auto known = byAddress_.find(from);
  if (known == byAddress_.end()) byAddress_[from] = session;
  if (known == byAddress_.end() || useCandidate) {
    asio::post(session->workerIo(), [s = session, from, useCandidate] { s->onIceCheck(from, useCandidate); });
  }
}

void WebrtcServer::forget(const std::shared_ptr<WebrtcSession>& session) {
  byUfrag_.erase(session->params().localUfrag);
  for (auto it = byAddress_.begin(); it != byAddress_.end();) {
    if (it->second == session)
      it = byAddress_.erase(it);
    else
      ++it;
  }
}

}  // namespace sluice::webrtc
