#pragma once
// A WebrtcServer on two workers with a loopback UDP port, a stream (H.264 + PCMU) fed by the
// test on the worker it chooses, and the helpers a viewer needs to get a session: a WHEP
// offer (Chromium's, with the viewer's fingerprint), the answer's ICE credentials, SSRCs and
// payload types, the check and the handshake through the server's port.
#include <arpa/inet.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <regex>
#include <thread>

#include "WebrtcTestPeer.h"
#include "WhepOfferSamples.h"
#include "core/WorkerPool.h"
#include "stream/Stream.h"
#include "webrtc/WebrtcServer.h"

namespace sluice::webrtc::test {

constexpr uint32_t kViewerSsrcForServer = 0x5eed0001;

// What the answer told the viewer.
struct Answer {
  std::string id, secret, ufrag, pwd, fingerprint;
  uint32_t videoSsrc = 0, audioSsrc = 0;
  int videoPt = -1, audioPt = -1;
  uint16_t port = 0;
};

inline std::string firstMatch(const std::string& text, const std::string& pattern) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : "";
}

inline Answer parseAnswer(const WhepSessionResult& r) {
  Answer a;
  a.id = r.id;
  a.secret = r.secret;
  a.ufrag = firstMatch(r.answer, "a=ice-ufrag:(\\S+)");
  a.pwd = firstMatch(r.answer, "a=ice-pwd:(\\S+)");
  a.fingerprint = firstMatch(r.answer, "a=fingerprint:sha-256 (\\S+)");
  const size_t audio = r.answer.find("m=audio");
  const std::string video = r.answer.substr(r.answer.find("m=video"), audio - r.answer.find("m=video"));
  const std::string audioSection = r.answer.substr(audio);
  a.videoPt = std::stoi(firstMatch(video, "m=video \\d+ \\S+ (\\d+)"));
  a.videoSsrc = static_cast<uint32_t>(std::stoul(firstMatch(video, "a=ssrc:(\\d+)")));
  a.audioPt = std::stoi(firstMatch(audioSection, "m=audio \\d+ \\S+ (\\d+)"));
  a.audioSsrc = static_cast<uint32_t>(std::stoul(firstMatch(audioSection, "a=ssrc:(\\d+)")));
  a.port = static_cast<uint16_t>(
      std::stoi(firstMatch(r.answer, "a=candidate:\\S+ 1 udp \\d+ 127\\.0\\.0\\.1 (\\d+)")));
  return a;
}

inline Bytes camera(uint8_t pt, uint16_t seq, uint32_t ts, uint8_t nal, size_t payload, uint8_t fill) {
  Bytes p(12 + payload, fill);
  media::RtpHeader h;
  h.payloadType = pt;
  h.sequence = seq;
  h.timestamp = ts;
  h.marker = true;
  media::writeRtpHeader(p.data(), h);
  if (nal) p[12] = nal;
  return p;
}

// NACKs the viewer's fifth video packet. The viewer already decrypted it, so its SRTP would
// take the resent copy for a replay: it is set aside on arrival (loseOnce) and counted instead
// (peer.lost). False if the NACK could not be sent.
inline bool nackAVideoPacket(TestPeer& peer, const Answer& a) {
  const std::vector<Bytes> video = peer.rtpOf(a.videoSsrc);
  if (video.size() < 5) return false;
  const uint16_t lost = media::readSequence(video[4].data());
  peer.loseOnce(a.videoSsrc, lost);
  uint8_t b[64];
  return peer.sendRtcp(b, media::buildNack(b, sizeof(b), kViewerSsrcForServer, a.videoSsrc, &lost, 1));
}

class ServerHarness {
 public:
  explicit ServerHarness(size_t streamWorker) : streamWorker_(streamWorker) {
    pool_.start();
    WebrtcServerConfig config;
    config.localUdpAddress = "127.0.0.1:0";
    config.ipsFromInterfaces = false;
    server_ = std::make_unique<WebrtcServer>(pool_, control_, config);
    std::string error;
    started = server_->start(error);
    EXPECT_TRUE(started) << error;
    onWorker(streamWorker_, [&] {
      stream->start(
          stream::StreamFormat{stream::h264Track({0x67, 0x42, 0xc0, 0x1f, 0xd9}, {0x68, 0xce, 0x3c, 0x80}),
                               media::describeTrack("audio", 0, "PCMU", 8000, 1, "")});
    });
  }
  ~ServerHarness() {
    server_->stop();
    for (size_t i = 0; i < pool_.size(); ++i) onWorker(i, [] {});  // the posted stops ran
    pool_.stop();
  }

  template <class F>
  void onWorker(size_t worker, F&& f) {
    std::atomic<bool> done{false};
    boost::asio::post(pool_.at(worker).io(), [&] {
      f();
      done.store(true, std::memory_order_release);
    });
    while (!done.load(std::memory_order_acquire)) std::this_thread::yield();
  }

  WhepSessionResult offer(TestPeer& peer, const std::string& remote = "127.0.0.1:40000") {
    const std::string offer = replaceAll(
        crlf(kChromium156Offer),
        "15:11:B7:6A:B7:A8:D1:11:42:A4:52:1D:C9:7F:C5:D5:23:DD:49:AF:2A:3F:31:6A:D5:83:F6:D6:1E:35:AE:0D",
        peer.fingerprint());
    WhepSessionResult r = server_->createSession(offer, stream, pool_.at(streamWorker_), "cam", "", remote);
    settle();
    // The viewer's datagrams go to the server's one UDP port.
    peer.toServer = [this, &peer](const uint8_t* d, size_t n) {
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      to.sin_port = htons(server_->udpPort());
      ::sendto(peer.fd(), d, n, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    };
    return r;
  }

  // ICE check with USE-CANDIDATE, then the DTLS handshake.
  bool connect(TestPeer& peer, const Answer& a) {
    if (!peer.sendBindingRequest(a.ufrag, a.pwd, true)) return false;
    if (!peer.receiveUntil([&] { return !peer.bindingResponses.empty(); })) return false;
    return peer.connect(a.fingerprint);
  }

  // Frames of video (an IDR every 30) and 20 ms audio into the stream, on its worker.
  void feed(uint32_t frames) {
    std::vector<Bytes> packets;
    for (uint32_t i = 0; i < frames; ++i, ++frame_) {
      packets.push_back(camera(96, static_cast<uint16_t>(frame_), frame_ * 3000, frame_ % 30 ? 0x41 : 0x65,
                               700, static_cast<uint8_t>(frame_)));
      packets.push_back(
          camera(0, static_cast<uint16_t>(frame_), frame_ * 160, 0, 160, static_cast<uint8_t>(frame_)));
    }
    onWorker(streamWorker_, [&] {
      for (size_t i = 0; i < packets.size(); ++i)
        stream->ingestRtp(i % 2, packets[i].data(), packets[i].size());
    });
  }

  // Lets the server's posted work run: worker 0's mux tables, the sessions' workers, the
  // control thread's maps.
  void settle() {
    for (int round = 0; round < 2; ++round) {
      for (size_t i = 0; i < pool_.size(); ++i) onWorker(i, [] {});
      control_.restart();
      control_.poll();
    }
  }

  std::optional<WebrtcSessionInfo> info(const std::string& id) {
    for (auto& s : server_->listSessions()) {
      if (s.id == id) return s;
    }
    return std::nullopt;
  }

  WebrtcServer& server() { return *server_; }
  bool started = false;
  std::shared_ptr<stream::Stream> stream = std::make_shared<stream::Stream>("cam", 1024);

 private:
  size_t streamWorker_;
  core::WorkerPool pool_{2};
  boost::asio::io_context control_;
  std::unique_ptr<WebrtcServer> server_;
  uint32_t frame_ = 0;
};

}  // namespace sluice::webrtc::test
