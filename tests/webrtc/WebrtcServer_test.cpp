// WebrtcServer with viewers on loopback UDP: a WHEP offer (Chromium's, with the test viewer's
// fingerprint) makes a session; the viewer's ICE checks, DTLS, SRTCP and junk all go to the
// server's one UDP port, as from a browser. Checked: authentic checks are answered with the
// viewer's address and bind it, wrong credentials are ignored, media decrypts, NACKs through
// the mux are answered for a session on another worker, junk from anyone disturbs nobody,
// DELETE closes the session with a close_notify.
#include <gtest/gtest.h>

#include "WebrtcServerHarness.h"

namespace sluice::webrtc::test {
namespace {

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
  ASSERT_TRUE(peer.receiveUntil(
      [&] { return peer.rtpOf(a.videoSsrc).size() >= 11 && peer.rtpOf(a.audioSsrc).size() >= 10; }));
  EXPECT_EQ(peer.undecryptable, 0u);
  for (const Bytes& p : peer.rtpOf(a.videoSsrc)) EXPECT_EQ(media::readPayloadType(p.data()), a.videoPt);
  const std::vector<Bytes> audio = peer.rtpOf(a.audioSsrc);
  for (size_t f = 0; f < audio.size(); ++f) {
    EXPECT_EQ(audio[f].size(), 12u + 160u);
    EXPECT_EQ(audio[f][12], static_cast<uint8_t>(f)) << "the camera's G.711 payload, in order";
  }

  // A NACK through the mux reaches the session on its worker and is answered.
  ASSERT_TRUE(nackAVideoPacket(peer, a)) << "the NACK could not be sent";
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
      {0x00, 0x01, 0x00},                                // truncated STUN
      Bytes(20, 0x00),                                   // STUN header without the cookie
      {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 5},  // DTLS record header past its end
      Bytes(1400, 0x80),                                 // RTP-looking noise
      {0x81, 0xc9, 0x00, 0x01, 1, 2, 3, 4},              // unprotected RR
      {0xff, 0xff},                                      // outside every RFC 7983 range
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

TEST(WebrtcServer, APopularStreamsFurtherViewersReadItsMirrorOnAnotherWorker) {
  ServerHarness h(0);  // the stream on worker 0
  ASSERT_TRUE(h.started);
  // Its first viewers stay on its worker (they need not connect for that).
  std::vector<std::unique_ptr<TestPeer>> home;
  std::vector<std::string> homeSecrets;
  for (uint32_t i = 0; i < ViewerPlacement::kLocalViewers; ++i) {
    home.push_back(std::make_unique<TestPeer>());
    const WhepSessionResult r = h.offer(*home.back());
    ASSERT_EQ(r.status, 201) << r.error;
    homeSecrets.push_back(r.secret);
  }
  EXPECT_EQ(h.server().egressTotals().viewersPerWorker,
            (std::vector<uint32_t>{ViewerPlacement::kLocalViewers, 0}));
  EXPECT_EQ(h.server().egressTotals().mirrors, 0u);

  // The next one goes to worker 1 and reads the stream's mirror there.
  TestPeer peer;
  const WhepSessionResult r = h.offer(peer);
  ASSERT_EQ(r.status, 201) << r.error;
  const Answer a = parseAnswer(r);
  EXPECT_EQ(h.server().egressTotals().viewersPerWorker,
            (std::vector<uint32_t>{ViewerPlacement::kLocalViewers, 1}));
  EXPECT_EQ(h.server().egressTotals().mirrors, 1u);
  ASSERT_TRUE(h.connect(peer, a)) << peer.failure().value_or("no ICE response or DTLS");
  h.settle();
  h.feed(10);
  ASSERT_TRUE(peer.receiveUntil(
      [&] { return peer.rtpOf(a.videoSsrc).size() >= 11 && peer.rtpOf(a.audioSsrc).size() >= 10; }));
  EXPECT_EQ(peer.undecryptable, 0u);
  const std::vector<Bytes> audio = peer.rtpOf(a.audioSsrc);
  for (size_t f = 0; f < audio.size(); ++f) {
    EXPECT_EQ(audio[f][12], static_cast<uint8_t>(f)) << "the camera's G.711 payload, in order";
  }
  // A NACK is answered from the mirror's history.
  ASSERT_TRUE(nackAVideoPacket(peer, a)) << "the NACK could not be sent";
  ASSERT_TRUE(peer.receiveUntil([&] { return peer.lost == 1; })) << "no retransmission";

  // The mirror goes with its worker's last viewer; the stream's own viewers are not touched.
  std::string error;
  EXPECT_EQ(h.server().deleteSession(a.secret, error), 200);
  h.settle();
  h.settle();
  EXPECT_EQ(h.server().egressTotals().mirrors, 0u);
  EXPECT_EQ(h.server().egressTotals().viewersPerWorker,
            (std::vector<uint32_t>{ViewerPlacement::kLocalViewers, 0}));
  EXPECT_EQ(h.server().sessionCount(), ViewerPlacement::kLocalViewers);
}

}  // namespace
}  // namespace sluice::webrtc::test
