#pragma once
// One WebrtcSession as the server runs it, for the unit tests: a worker thread with its
// WebrtcWorker, whose batched egress sends from a loopback UDP socket to a TestPeer; a stream
// with an H.264 and a PCMU track fed by the test; a recording reader beside the session that
// sees the same stored packets. The viewer's datagrams reach the session the way the UDP mux
// hands them over (onDatagram on the session's worker). Everything the session and the
// stream do runs on the worker thread (onWorker); the peer runs on the test thread.
#include <atomic>
#include <boost/asio/post.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "WebrtcTestPeer.h"
#include "core/WorkerPool.h"
#include "media/RtpPacket.h"
#include "stream/Stream.h"
#include "webrtc/WebrtcSession.h"
#include "webrtc/WebrtcWorker.h"

namespace sluice::webrtc::test {

constexpr uint32_t kVideoSsrc = 0x1111aaaa;
constexpr uint32_t kAudioSsrc = 0x2222bbbb;
constexpr uint8_t kVideoPt = 102;
constexpr uint8_t kAudioPt = 0;
constexpr uint32_t kViewerSsrc = 0x5eed5eed;  // the viewer's RTCP sender SSRC

// Every stored packet of the stream, as a reader receives it.
struct RecordingReader : stream::StreamReader {
  struct Packet {
    size_t track;
    uint64_t index;
    Bytes data;
  };
  std::vector<Packet> packets;
  void onStreamPacket(size_t track, const stream::HistoryPacket& p) override {
    packets.push_back({track, p.index, Bytes(p.data, p.data + p.size)});
  }
  void onStreamEnded(const std::string&) override {}
};

// Camera-side RTP: H.264 frames of one single-NAL packet (an IDR every 30), 20 ms of PCMU.
inline Bytes cameraVideo(uint16_t seq, uint32_t frame, size_t payload = 900) {
  Bytes p(12 + payload);
  media::RtpHeader h;
  h.payloadType = 96;
  h.sequence = seq;
  h.timestamp = 90000 + frame * 3000;
  h.ssrc = 0xcafe0001;
  h.marker = true;
  media::writeRtpHeader(p.data(), h);
  p[12] = frame % 30 == 0 ? 0x65 : 0x41;
  for (size_t i = 13; i < p.size(); ++i) p[i] = static_cast<uint8_t>(frame * 7 + i);
  return p;
}
inline Bytes cameraAudio(uint16_t seq, uint32_t frame) {
  Bytes p(12 + 160);
  media::RtpHeader h;
  h.payloadType = 0;
  h.sequence = seq;
  h.timestamp = 8000 + frame * 160;
  h.ssrc = 0xcafe0002;
  media::writeRtpHeader(p.data(), h);
  for (size_t i = 12; i < p.size(); ++i) p[i] = static_cast<uint8_t>(frame * 3 + i);
  return p;
}

class SessionHarness {
 public:
  // One viewer: its peer and its session. Sessions differ in SSRCs and payload types.
  struct Viewer {
    TestPeer peer;
    std::shared_ptr<WebrtcSession> session;
    std::string closedReason;  // worker thread
  };

  // `tick`: run the worker's periodic tick (sender reports, DTLS retransmissions). The
  // allocation proof leaves it off and calls WebrtcSession::tick itself.
  explicit SessionHarness(bool tick = true)
      : viewers_(makeViewers()), peer(viewers_[0]->peer), session(viewers_[0]->session) {
    onWorker([&] {
      stream::StreamFormat format{stream::h264Track({0x67, 0x42, 0xc0, 0x1f, 0xd9}, {0x68, 0xce, 0x3c, 0x80}),
                                  media::describeTrack("audio", 0, "PCMU", 8000, 1, "")};
      stream_->start(format);
      stream_->addReader(&recorder);
      if (tick) webrtcWorker_->start();
    });
    startSession(*viewers_[0], kVideoSsrc, kVideoPt, kAudioSsrc, kAudioPt);
  }

  ~SessionHarness() {
    onWorker([&] {
      for (auto& v : viewers_) v->session->close("test over");
      webrtcWorker_->stop();
      stream_->removeReader(&recorder);
    });
    worker_.stop();
    worker_.join();
    ::close(serverFd_);
  }

  // Another viewer of the same stream, with its own SSRCs and payload types.
  Viewer& addViewer(uint32_t videoSsrc, uint8_t videoPt, uint32_t audioSsrc, uint8_t audioPt,
                    std::chrono::milliseconds handshakeTimeout = std::chrono::seconds(10)) {
    viewers_.push_back(std::make_unique<Viewer>());
    startSession(*viewers_.back(), videoSsrc, videoPt, audioSsrc, audioPt, handshakeTimeout);
    return *viewers_.back();
  }

  // Runs `f` on the worker thread and waits for it. Synchronises through an atomic only, so
  // it allocates nothing on the worker (the allocation proof counts there).
  template <class F>
  void onWorker(F&& f) {
    std::atomic<bool> done{false};
    boost::asio::post(worker_.io(), [&] {
      f();
      done.store(true, std::memory_order_release);
    });
    while (!done.load(std::memory_order_acquire)) std::this_thread::yield();
  }

  // The viewer's first connectivity check (the mux verified it) and the DTLS handshake.
  bool connect() { return connect(*viewers_[0]); }
  bool connect(Viewer& v) {
    onWorker([&] { v.session->onIceCheck(v.peer.address(), true); });
    if (!v.peer.connect(certificate_->fingerprintSha256())) return false;
    // The session is connected once its side of the handshake finished on the worker.
    for (int i = 0; i < 500 && v.session->state() != WebrtcSession::State::Connected; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return v.session->state() == WebrtcSession::State::Connected;
  }

  // Camera packets into the stream on its worker: `frames` video frames and as many audio
  // packets, interleaved, continuing where the previous call stopped. They are built here, on
  // the calling thread: the worker only ingests.
  void feed(uint32_t frames) {
    std::vector<Bytes> packets;
    for (uint32_t i = 0; i < frames; ++i, ++frame_) {
      packets.push_back(cameraVideo(static_cast<uint16_t>(1000 + frame_), frame_));
      packets.push_back(cameraAudio(static_cast<uint16_t>(5000 + frame_), frame_));
    }
    onWorker([&] {
      for (size_t i = 0; i < packets.size(); ++i)
        stream_->ingestRtp(i % 2, packets[i].data(), packets[i].size());
    });
  }

  // The stored packet a peer's packet was made from: the recorder's packet of that track whose
  // bytes past the rewritten header fields match, or null.
  const RecordingReader::Packet* sourceOf(const Bytes& got, size_t track) const {
    for (const auto& p : recorder.packets) {
      if (p.track == track && p.data.size() == got.size() &&
          std::equal(p.data.begin() + 12, p.data.end(), got.begin() + 12) &&
          std::equal(p.data.begin() + 4, p.data.begin() + 8, got.begin() + 4)) {
        return &p;
      }
    }
    return nullptr;
  }

  WebrtcSessionStats const& stats() const { return session->stats(); }
  stream::Stream& stream() { return *stream_; }
  core::UdpSendBatch& egress() { return webrtcWorker_->egress(); }
  WebrtcWorker& webrtcWorker() { return *webrtcWorker_; }
  boost::asio::io_context& io() { return worker_.io(); }

  // How the viewer's datagrams reach the session: copied and posted to its worker, where it
  // calls onDatagram as the UDP mux does (the mux's own hand-over, WebrtcWorker's inbox, is
  // bounded; a test's bursts are not dropped here). The copy is made on the calling thread.
  void deliver(const std::shared_ptr<WebrtcSession>& s, const uint8_t* d, size_t n) {
    boost::asio::post(worker_.io(), [s, b = Bytes(d, d + n)] { s->onDatagram(b.data(), b.size()); });
  }

 private:
  std::vector<std::unique_ptr<Viewer>> makeViewers() {
    std::vector<std::unique_ptr<Viewer>> v;
    v.push_back(std::make_unique<Viewer>());
    return v;
  }

  void startSession(Viewer& v, uint32_t videoSsrc, uint8_t videoPt, uint32_t audioSsrc, uint8_t audioPt,
                    std::chrono::milliseconds handshakeTimeout = std::chrono::seconds(10)) {
    WebrtcSessionParams p;
    p.id = "0123456789abcdef" + std::to_string(viewers_.size());
    p.secret = "secret" + std::to_string(viewers_.size());
    p.path = "cam";
    p.remoteHttpAddress = "127.0.0.1:50000";
    p.remoteFingerprintAlgorithm = "sha-256";
    p.remoteFingerprint = v.peer.fingerprint();
    p.tracks.push_back({0, "H264", videoPt, videoSsrc, true});
    p.tracks.push_back({1, "PCMU", audioPt, audioSsrc, false});
    p.cname = "viewer-cname";
    p.senderReportPeriod = std::chrono::milliseconds(100);
    p.handshakeTimeout = handshakeTimeout;
    v.session = std::make_shared<WebrtcSession>(std::move(p), *webrtcWorker_, stream_, certificate_,
                                                [&v](const std::string& reason) { v.closedReason = reason; });
    v.peer.toServer = [this, s = v.session](const uint8_t* d, size_t n) { deliver(s, d, n); };
    onWorker([&] { v.session->start(); });
  }

  core::Worker worker_{0};  // destroyed after the sessions' handlers were dropped (stop, join)
  int serverFd_ = -1;
  SocketAddress serverAddress_;
  std::shared_ptr<DtlsCertificate> certificate_ = makeCertificate();
  std::unique_ptr<WebrtcWorker> webrtcWorker_;
  std::shared_ptr<stream::Stream> stream_ = std::make_shared<stream::Stream>("cam", 1024);
  uint32_t frame_ = 0;
  std::vector<std::unique_ptr<Viewer>> viewers_;

  static std::shared_ptr<DtlsCertificate> makeCertificate() {
    std::string error;
    return DtlsCertificate::generate(error);
  }
  int startWorker() {
    worker_.start();
    serverFd_ = loopbackUdpSocket(serverAddress_);
    webrtcWorker_ = std::make_unique<WebrtcWorker>(worker_, serverFd_);
    return 0;
  }
  int started_ = startWorker();

 public:
  TestPeer& peer;                           // viewer 0's
  std::shared_ptr<WebrtcSession>& session;  // viewer 0's
  RecordingReader recorder;                 // worker thread; read by the test between onWorker calls
  std::string& closedReason() { return viewers_[0]->closedReason; }
};

}  // namespace sluice::webrtc::test
