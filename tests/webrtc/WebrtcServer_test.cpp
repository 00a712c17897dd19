// WebrtcServer with viewers on loopback UDP: a WHEP offer (Chromium's, with the test viewer's
// fingerprint) makes a session; the viewer's ICE checks, DTLS, SRTCP and junk all go to the
// server's one UDP port, as from a browser. Checked: authentic checks are answered with the
// viewer's address and bind it, wrong credentials are ignored, media decrypts, NACKs through
// the mux are answered for a session on another worker, junk from anyone disturbs nobody,
// DELETE closes the session with a close_notify.
#include "webrtc/WebrtcServer.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <regex>
#include <thread>

#include "WebrtcTestPeer.h"
#include "WhepOfferSamples.h"

namespace sluice::webrtc::test {
namespace {

constexpr uint32_t kViewerSsrcForServer = 0x5eed0001;

// What the answer told the viewer.
struct Answer {
  std::string id, secret, ufrag, pwd, fingerprint;
  uint32_t videoSsrc = 0, audioSsrc = 0;
  int videoPt = -1, audioPt = -1;
  uint16_t port = 0;
};

std::string firstMatch(const std::string& text, const std::string& pattern) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : "";
}

Answer parseAnswer(const WhepSessionResult& r) {
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
  a.port = static_cast<uint16_t>(std::stoi(firstMatch(r.answer, "a=candidate:\\S+ 1 udp \\d+ 127\\.0\\.0\\.1 (\\d+)")));
  return a;
}

Bytes camera(uint8_t pt, uint16_t seq, uint32_t ts, uint8_t nal, size_t payload, uint8_t fill) {
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
      stream->start(stream::StreamFormat{stream::h264Track({0x67, 0x42, 0xc0, 0x1f, 0xd9}, {0x68, 0xce, 0x3c, 0x80}),
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
    const std::string offer = replaceAll(crlf(kChromium156Offer),
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
      packets.push_back(camera(96, static_cast<uint16_t>(frame_), frame_ * 3000, frame_ % 30 ? 0x41 : 0x65, 700,
                               static_cast<uint8_t>(frame_)));
      packets.push_back(camera(0, static_cast<uint16_t>(frame_), frame_ * 160, 0, 160, static_cast<uint8_t>(frame_)));
    }
    onWorker(streamWorker_, [&] {
      for (size_t i = 0; i < packets.size(); ++i) stream->ingestRtp(i % 2, packets[i].data(), packets[i].size());
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

TEST(WebrtcServer, ViewerConnectsThroughTheUdpPortAndDecryptsMedia) {
  ServerHarness h(1);  // the session lives on worker 1, the mux on worker 0
  ASSERT_TRUE(h.started);
  TestPeer peer;
  const WhepSessionResult r = h.offer(peer);
  ASSERT_EQ(r.status, 201) << r.error;
  const Answer a = parseAnswer(r);
  EXPECT_EQ(a.port, h.server().udpPort());
  // One of Chromium's H.264 formats, and G.711 as offered.
  EXPECT_NE(std::string(kChromium156Offer).find("a=rtpmap:" + std::to_string(a.videoPt) + " H264/90000"),
            std::string::npos);
  EXPECT_EQ(a.audioPt, 0);
  EXPECT_EQ(h.info(a.id)->state, "new");

  ASSERT_TRUE(h.connect(peer, a)) << peer.failure().value_or("no ICE response or DTLS");
  // The check was answered with the address the viewer sent from.
  ASSERT_EQ(peer.bindingResponses.size(), 1u);
  EXPECT_EQ(peer.bindingResponses[0].port, peer.address().port());
  h.settle();
  auto i = h.info(a.id);
  ASSERT_TRUE(i);
  EXPECT_EQ(i->state, "connected");
  EXPECT_EQ(i->remoteCandidate, peer.address().toString());
  EXPECT_EQ(i->remoteProtocol, "udp");

  h.feed(10);
  ASSERT_TRUE(peer.receiveUntil([&] { return peer.rtpOf(a.videoSsrc).size() >= 11 && peer.rtpOf(a.audioSsrc).size() >= 10; }));
  EXPECT_EQ(peer.undecryptable, 0u);
  for (const Bytes& p : peer.rtpOf(a.videoSsrc)) EXPECT_EQ(media::readPayloadType(p.data()), a.videoPt);
  const std::vector<Bytes> audio = peer.rtpOf(a.audioSsrc);
  for (size_t f = 0; f < audio.size(); ++f) {
    EXPECT_EQ(audio[f].size(), 12u + 160u);
    EXPECT_EQ(audio[f][12], static_cast<uint8_t>(f)) << "the camera's G.711 payload, in order";
  }

  // A NACK through the mux reaches the session on its worker and is answered.
  const std::vector<Bytes> video = peer.rtpOf(a.videoSsrc);
  const uint16_t lost = media::readSequence(video[4].data());
  // The viewer already decrypted that packet, so its SRTP would take the resent copy for a
  // replay: it is set aside on arrival (loseOnce) and counted instead.
  peer.loseOnce(a.videoSsrc, lost);
  uint8_t b[64];
  ASSERT_TRUE(peer.sendRtcp(b, media::buildNack(b, sizeof(b), kViewerSsrcForServer, a.videoSsrc, &lost, 1)));
  ASSERT_TRUE(peer.receiveUntil([&] { return peer.lost == 1; })) << "no retransmission";
  h.settle();
  EXPECT_EQ(h.info(a.id)->retransmitted, 1u);
  EXPECT_EQ(h.info(a.id)->nacksReceived, 1u);
}

TEST(WebrtcServer, ChecksWithWrongCredentialsAreIgnored) {
  ServerHarness h(0);
  TestPeer peer;
  const Answer a = parseAnswer(h.offer(peer));
  ASSERT_TRUE(peer.sendBindingRequest(a.ufrag, a.pwd, true, "not-the-password"));
  ASSERT_TRUE(peer.sendBindingRequest("unknownufrag0000", a.pwd, true));
  peer.receive(std::chrono::milliseconds(100));
  EXPECT_TRUE(peer.bindingResponses.empty());
  h.settle();
  EXPECT_EQ(h.info(a.id)->state, "new");
  EXPECT_EQ(h.info(a.id)->remoteCandidate, "");
  // DTLS from an address that never passed a check does not reach the session.
  EXPECT_FALSE(peer.connect(a.fingerprint, std::chrono::milliseconds(300)));
  EXPECT_EQ(h.info(a.id)->bytesReceived, 0u);
}

TEST(WebrtcServer, JunkFromAnyoneDisturbsNoSession) {
  ServerHarness h(0);
  TestPeer viewer, stranger;
  const Answer a = parseAnswer(h.offer(viewer));
  h.offer(stranger);  // a second session, so the stranger has a send path; it never checks
  ASSERT_TRUE(h.connect(viewer, a));
  h.feed(5);
  ASSERT_TRUE(viewer.receiveUntil([&] { return viewer.rtpOf(a.videoSsrc).size() >= 6; }));
  viewer.receive(std::chrono::milliseconds(50));
  const size_t before = viewer.rtpOf(a.videoSsrc).size();
  const std::vector<Bytes> junk = {
      {0x00, 0x01, 0x00},                               // truncated STUN
      Bytes(20, 0x00),                                  // STUN header without the cookie
      {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 5}, // DTLS record header past its end
      Bytes(1400, 0x80),                                // RTP-looking noise
      {0x81, 0xc9, 0x00, 0x01, 1, 2, 3, 4},             // unprotected RR
      {0xff, 0xff},                                     // outside every RFC 7983 range
      Bytes(1, 0x40),
  };
  for (const Bytes& j : junk) {
    viewer.sendRaw(j);    // from the viewer's own checked address
    stranger.sendRaw(j);  // from an unknown address
  }
  h.feed(5);
  viewer.receiveUntil([&] { return viewer.rtpOf(a.videoSsrc).size() >= before + 5; });
  viewer.receive(std::chrono::milliseconds(50));
  h.settle();
  const auto i = h.info(a.id);
  EXPECT_EQ(i->state, "connected");
  EXPECT_EQ(i->rtcpPacketsReceived, 0u);
  EXPECT_EQ(viewer.rtpOf(a.videoSsrc).size(), before + 5) << "media went on";
  EXPECT_EQ(viewer.undecryptable, 0u);
}

TEST(WebrtcServer, DeleteClosesTheSessionWithCloseNotify) {
  ServerHarness h(1);
  TestPeer peer;
  const Answer a = parseAnswer(h.offer(peer));
  ASSERT_TRUE(h.connect(peer, a));
  std::string error;
  EXPECT_EQ(h.server().deleteSession("no-such-secret", error), 404);
  EXPECT_EQ(h.server().deleteSession(a.secret, error), 200);
  EXPECT_TRUE(peer.receiveUntil([&] { return peer.closeNotifyReceived(); }));
  h.settle();
  EXPECT_EQ(h.server().sessionCount(), 0u);
  EXPECT_EQ(h.server().deleteSession(a.secret, error), 404);
}

}  // namespace
}  // namespace sluice::webrtc::test
