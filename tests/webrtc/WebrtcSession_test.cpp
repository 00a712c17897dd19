// WebrtcSession as a viewer sees it: a DTLS client on a loopback UDP socket receives what the
// session sends through its worker's batched egress, and decrypts it with its own SRTP keys.
// Checked: the packets are exactly the stream's stored packets with this viewer's PT, SSRC and
// sequence; NACKs bring back the right packet; PLI/FIR and receiver reports are taken in;
// sender reports count what was sent; bad RTCP from the viewer changes nothing.
#include <gtest/gtest.h>

#include "WebrtcSessionHarness.h"

namespace sluice::webrtc::test {
namespace {

using State = WebrtcSession::State;

uint64_t firstIndexOf(const RecordingReader& r, size_t track) {
  for (const auto& p : r.packets) {
    if (p.track == track) return p.index;
  }
  return UINT64_MAX;
}

size_t storedOf(const RecordingReader& r, size_t track) {
  size_t n = 0;
  for (const auto& p : r.packets) n += p.track == track;
  return n;
}

// Every packet of one track arrived once, decrypted to the stored packet with the viewer's
// header fields; sequence numbers advance exactly as the stream's indexes.
void expectTrackForwarded(const SessionHarness& h, const TestPeer& peer, uint32_t ssrc, uint8_t pt,
                          size_t track) {
  const std::vector<Bytes> got = peer.rtpOf(ssrc);
  ASSERT_EQ(got.size(), storedOf(h.recorder, track));
  const RecordingReader::Packet* first = nullptr;
  for (size_t i = 0; i < got.size(); ++i) {
    const Bytes& p = got[i];
    const RecordingReader::Packet* src = h.sourceOf(p, track);
    ASSERT_NE(src, nullptr) << "packet " << i << " is none of the stored packets";
    if (!first) first = src;
    EXPECT_EQ(media::readPayloadType(p.data()), pt);
    EXPECT_EQ(media::readSsrc(p.data()), ssrc);
    EXPECT_EQ(media::readMarker(p.data()), media::readMarker(src->data.data()));
    EXPECT_EQ(static_cast<uint16_t>(media::readSequence(p.data()) - media::readSequence(got[0].data())),
              static_cast<uint16_t>(src->index - first->index));
  }
}

TEST(WebrtcSession, ViewerDecryptsTheStoredPacketsUnderItsOwnHeader) {
  SessionHarness h;
  h.feed(5);  // cached before the viewer connects: replayed from the keyframe on attach
  ASSERT_TRUE(h.connect()) << h.peer.failure().value_or("no failure reported");
  h.feed(40);
  h.onWorker([] {});
  const size_t video = storedOf(h.recorder, 0), audio = storedOf(h.recorder, 1);
  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtp.size() >= video + audio; }))
      << h.peer.rtp.size() << " of " << video << " + " << audio << ", undecryptable " << h.peer.undecryptable
      << ", sent " << h.stats().rtpPacketsSent.load();
  EXPECT_EQ(h.peer.undecryptable, 0u);
  expectTrackForwarded(h, h.peer, kVideoSsrc, kVideoPt, 0);
  expectTrackForwarded(h, h.peer, kAudioSsrc, kAudioPt, 1);
  // G.711 passes through: the viewer gets the camera's payload byte for byte, in order.
  const std::vector<Bytes> audioGot = h.peer.rtpOf(kAudioSsrc);
  ASSERT_EQ(audioGot.size(), 45u);
  for (uint32_t f = 0; f < 45; ++f) {
    const Bytes camera = cameraAudio(static_cast<uint16_t>(5000 + f), f);
    EXPECT_TRUE(std::equal(camera.begin() + 12, camera.end(), audioGot[f].begin() + 12, audioGot[f].end()))
        << "audio packet " << f;
  }
  EXPECT_EQ(h.stats().rtpPacketsSent.load(), video + audio);
}

TEST(WebrtcSession, EachViewerGetsItsOwnSsrcPayloadTypeAndSequence) {
  SessionHarness h;
  auto& second = h.addViewer(0x33330001, 109, 0x33330002, 0);
  ASSERT_TRUE(h.connect());
  ASSERT_TRUE(h.connect(second));
  h.feed(30);
  h.onWorker([] {});
  const size_t video = storedOf(h.recorder, 0);
  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtpOf(kVideoSsrc).size() >= video; }));
  ASSERT_TRUE(second.peer.receiveUntil([&] { return second.peer.rtpOf(0x33330001).size() >= video; }));
  expectTrackForwarded(h, h.peer, kVideoSsrc, kVideoPt, 0);
  expectTrackForwarded(h, second.peer, 0x33330001, 109, 0);
  EXPECT_TRUE(h.peer.rtpOf(0x33330001).empty()) << "a viewer sees only its own streams";
  EXPECT_TRUE(second.peer.rtpOf(kVideoSsrc).empty());
  // Same payload, own numbering: the sessions' sequence offsets are independent.
  const Bytes a = h.peer.rtpOf(kVideoSsrc)[0];
  const Bytes b = second.peer.rtpOf(0x33330001)[0];
  EXPECT_TRUE(std::equal(a.begin() + 12, a.end(), b.begin() + 12, b.end()));
}

TEST(WebrtcSession, NackBringsBackTheLostPacketsFromTheHistory) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  h.feed(10);
  h.onWorker([] {});
  const size_t video = storedOf(h.recorder, 0);
  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtpOf(kVideoSsrc).size() >= video; }));
  const std::vector<Bytes> before = h.peer.rtpOf(kVideoSsrc);
  const uint16_t base = media::readSequence(before[0].data());

  // The network loses two packets of the next frames; the viewer NACKs them.
  const uint16_t lost[] = {static_cast<uint16_t>(base + video + 2), static_cast<uint16_t>(base + video + 5)};
  for (uint16_t s : lost) h.peer.loseOnce(kVideoSsrc, s);
  h.feed(10);
  h.onWorker([] {});
  const size_t videoNow = storedOf(h.recorder, 0);
  ASSERT_TRUE(h.peer.receiveUntil(
      [&] { return h.peer.lost == 2 && h.peer.rtpOf(kVideoSsrc).size() >= videoNow - 2; }));
  uint8_t nack[64];
  const size_t n = media::buildNack(nack, sizeof(nack), kViewerSsrc, kVideoSsrc, lost, 2);
  ASSERT_TRUE(h.peer.sendRtcp(nack, n));
  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtpOf(kVideoSsrc).size() >= videoNow; }));

  const std::vector<Bytes> after = h.peer.rtpOf(kVideoSsrc);
  ASSERT_EQ(after.size(), videoNow);
  for (size_t k = 0; k < 2; ++k) {
    const Bytes& again = after[videoNow - 2 + k];
    EXPECT_EQ(media::readSequence(again.data()), lost[k]);
    const RecordingReader::Packet* src = h.sourceOf(again, 0);
    ASSERT_NE(src, nullptr);
    EXPECT_EQ(src->index - firstIndexOf(h.recorder, 0), static_cast<uint16_t>(lost[k] - base))
        << "the retransmission carries the packet that was lost";
  }
  EXPECT_EQ(h.stats().nacksReceived.load(), 1u);
  EXPECT_EQ(h.stats().retransmitted.load(), 2u);
  EXPECT_EQ(h.peer.undecryptable, 0u);

  // A NACK for a packet long gone from the history, or for an SSRC the viewer does not receive.
  const uint16_t ancient = static_cast<uint16_t>(base - 2000);
  ASSERT_TRUE(
      h.peer.sendRtcp(nack, media::buildNack(nack, sizeof(nack), kViewerSsrc, kVideoSsrc, &ancient, 1)));
  ASSERT_TRUE(h.peer.sendRtcp(nack, media::buildNack(nack, sizeof(nack), kViewerSsrc, 0xdead, lost, 1)));
  h.peer.receive(std::chrono::milliseconds(50));
  h.onWorker([] {});
  EXPECT_EQ(h.stats().retransmitMisses.load(), 1u);
  EXPECT_EQ(h.stats().nacksReceived.load(), 2u) << "the unknown SSRC's NACK is not counted";
  EXPECT_EQ(h.peer.rtpOf(kVideoSsrc).size(), videoNow) << "nothing resent";
}

TEST(WebrtcSession, AViewerLosingMoreThanResendsRepairIsMovedAheadToTheNextKeyframe) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  h.feed(10);  // frames 0..9, a keyframe at 0
  h.onWorker([] {});
  const size_t video = storedOf(h.recorder, 0);
  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtpOf(kVideoSsrc).size() >= video; }));
  const uint16_t base = media::readSequence(h.peer.rtpOf(kVideoSsrc)[0].data());

  // The viewer NACKs everything it got, again and again: far beyond a quarter of the stream.
  // The budget answers a burst (kMaxRetransmitCredit / kRetransmitCost plus what the fresh
  // packets earned), then no more, and the video is moved ahead to the next keyframe.
  std::vector<uint16_t> all;
  for (size_t i = 0; i < video; ++i) all.push_back(static_cast<uint16_t>(base + i));
  uint8_t nack[256];
  const size_t n = media::buildNack(nack, sizeof(nack), kViewerSsrc, kVideoSsrc, all.data(), all.size());
  ASSERT_GT(n, 0u);
  const size_t asked = 40 * video;
  for (int round = 0; round < 40; ++round) ASSERT_TRUE(h.peer.sendRtcp(nack, n));
  ASSERT_TRUE(h.peer.receiveUntil([&] {
    h.onWorker([] {});
    return h.stats().retransmitted.load() + h.stats().retransmitsDenied.load() >= asked;
  }));
  const uint64_t resent = h.stats().retransmitted.load();
  const uint64_t budget = WebrtcSession::kMaxRetransmitCredit / WebrtcSession::kRetransmitCost;
  EXPECT_GE(resent, budget);
  EXPECT_LE(resent, budget + video);
  EXPECT_EQ(h.stats().keyframeSkips.load(), 1u);

  // Frames 10..29 (deltas) are not sent; frame 30 (a keyframe, its parameter sets first) and
  // what follows are. NACKs for anything before it go unanswered.
  h.peer.receive(std::chrono::milliseconds(50));
  const size_t before = h.peer.rtpOf(kVideoSsrc).size();
  h.feed(25);
  h.onWorker([] {});
  const size_t storedNow = storedOf(h.recorder, 0);
  const size_t afterKeyframe = storedNow - (video + 20);
  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtpOf(kVideoSsrc).size() >= before + afterKeyframe; }));
  const std::vector<Bytes> got = h.peer.rtpOf(kVideoSsrc);
  ASSERT_EQ(got.size(), before + afterKeyframe);
  const RecordingReader::Packet* first = h.sourceOf(got[before], 0);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->index - firstIndexOf(h.recorder, 0), video + 20) << "resumed at frame 30's keyframe";
  EXPECT_EQ(h.stats().packetsSkipped.load(), 20u);
  const uint64_t deniedBefore = h.stats().retransmitsDenied.load();
  ASSERT_TRUE(h.peer.sendRtcp(nack, n));
  h.peer.receive(std::chrono::milliseconds(50));
  h.onWorker([] {});
  EXPECT_EQ(h.stats().retransmitsDenied.load(), deniedBefore + video);
  EXPECT_EQ(h.stats().retransmitted.load(), resent);
  // The resends were of packets the viewer had: its SRTP refuses them as replays, nothing else.
  EXPECT_EQ(h.peer.undecryptable, resent);
}

TEST(WebrtcSession, PliFirAndReceiverReportsAreTakenInAndMediaGoesOn) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  h.feed(3);
  uint8_t b[128];
  ASSERT_TRUE(h.peer.sendRtcp(b, media::buildPli(b, sizeof(b), kViewerSsrc, kVideoSsrc)));
  ASSERT_TRUE(h.peer.sendRtcp(b, media::buildFir(b, sizeof(b), kViewerSsrc, kVideoSsrc, 1)));
  media::RtcpReportBlock block;
  block.ssrc = kVideoSsrc;
  block.cumulativeLost = 7;
  block.jitter = 123;
  ASSERT_TRUE(h.peer.sendRtcp(b, media::buildReceiverReport(b, sizeof(b), kViewerSsrc, &block, 1)));
  block.ssrc = kAudioSsrc;  // audio's figures are not the ones the API shows
  block.cumulativeLost = 99;
  ASSERT_TRUE(h.peer.sendRtcp(b, media::buildReceiverReport(b, sizeof(b), kViewerSsrc, &block, 1)));
  h.peer.receive(std::chrono::milliseconds(50));
  h.onWorker([] {});
  EXPECT_EQ(h.stats().plisReceived.load(), 1u);
  EXPECT_EQ(h.stats().firsReceived.load(), 1u);
  EXPECT_EQ(h.stats().rtcpPacketsReceived.load(), 4u);
  EXPECT_EQ(h.stats().packetsLostReported.load(), 7u);
  EXPECT_EQ(h.stats().jitterReported.load(), 123u);
  const size_t before = h.peer.rtp.size();
  h.feed(5);
  h.onWorker([] {});
  EXPECT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtp.size() >= before + 10; }));
  EXPECT_EQ(h.session->state(), State::Connected);
}

// The session's own sender reports: one per track, on the track's SSRC, counting exactly the
// packets and payload octets it sent, with the session's CNAME.
TEST(WebrtcSession, SenderReportsCountWhatWasSent) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  h.feed(20);
  h.onWorker([] {});
  const size_t video = storedOf(h.recorder, 0), audio = storedOf(h.recorder, 1);
  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtp.size() >= video + audio; }));
  // The first reports leave 200 ms after the handshake, then every 100 ms.
  ASSERT_TRUE(h.peer.receiveUntil(
      [&] {
        bool v = false, a = false;
        for (const auto& sr : h.peer.rtcpSeen.senderReports) (sr.ssrc == kVideoSsrc ? v : a) = true;
        return v && a;
      },
      std::chrono::seconds(2)));
  EXPECT_EQ(h.peer.undecryptable, 0u);
  size_t videoOctets = 0, audioOctets = 0;
  for (const auto& p : h.peer.rtpOf(kVideoSsrc)) videoOctets += p.size() - 12;
  for (const auto& p : h.peer.rtpOf(kAudioSsrc)) audioOctets += p.size() - 12;
  for (const auto& sr : h.peer.rtcpSeen.senderReports)
    ASSERT_TRUE(sr.ssrc == kVideoSsrc || sr.ssrc == kAudioSsrc);
  for (const uint32_t ssrc : {kVideoSsrc, kAudioSsrc}) {
    RtcpSeen::Sr sr{};
    for (const auto& r : h.peer.rtcpSeen.senderReports) {
      if (r.ssrc == ssrc) sr = r;  // the latest: all media had been sent by then
    }
    const bool isVideo = ssrc == kVideoSsrc;
    EXPECT_EQ(sr.packets, isVideo ? video : audio);
    EXPECT_EQ(sr.octets, isVideo ? videoOctets : audioOctets);
    EXPECT_NE(sr.ntp, 0u);
  }
  // Each compound carries the viewer-visible CNAME.
  const std::string cname = "viewer-cname";
  for (const auto& c : h.peer.rtcp) {
    EXPECT_NE(std::search(c.begin(), c.end(), cname.begin(), cname.end()), c.end());
  }
  EXPECT_GE(h.stats().rtcpPacketsSent.load(), 2u);
}

TEST(WebrtcSession, BadRtcpFromTheViewerChangesNothing) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  h.feed(5);
  h.onWorker([] {});
  ASSERT_TRUE(
      h.peer.receiveUntil([&] { return h.peer.rtpOf(kVideoSsrc).size() >= storedOf(h.recorder, 0); }));
  const uint16_t base = media::readSequence(h.peer.rtpOf(kVideoSsrc)[0].data());

  uint8_t nack[64];
  const uint16_t one = base;
  const size_t n = media::buildNack(nack, sizeof(nack), kViewerSsrc, kVideoSsrc, &one, 1);
  // 1. A NACK that is not SRTCP-protected, and one under a wrong tag: not from our viewer.
  Bytes plain(nack, nack + n);
  plain.resize(n + 14, 0);
  h.peer.sendRaw(plain);
  Bytes forged(nack, nack + n);
  forged.resize(forged.size() + SrtpSession::kMaxOverhead);
  const size_t fn = h.peer.srtpOut().protectRtcp(forged.data(), n, forged.size());
  forged.resize(fn);
  forged[fn - 1] ^= 0x01;
  h.peer.sendRaw(forged);
  // 2. Authentic SRTCP around malformed RTCP.
  const Bytes malformed[] = {
      {0x81, 205, 0, 40, 0x5e, 0xed, 0x5e, 0xed, 0x11, 0x11, 0xaa, 0xaa},  // length past the end
      {0x81, 205, 0, 2, 0x5e, 0xed, 0x5e, 0xed, 0x11, 0x11, 0xaa, 0xaa},   // NACK without FCI
      {0x81, 206, 0, 1, 0x5e, 0xed, 0x5e, 0xed},                           // PLI without media SSRC
  };
  for (const Bytes& m : malformed) ASSERT_TRUE(h.peer.sendRtcp(m));
  // 3. A replay of an authentic packet, a datagram larger than any RTCP, an empty one.
  Bytes pli(64);
  const size_t pn = media::buildPli(pli.data(), pli.size(), kViewerSsrc, kVideoSsrc);
  Bytes protectedPli(pli.begin(), pli.begin() + pn);
  protectedPli.resize(pn + SrtpSession::kMaxOverhead);
  protectedPli.resize(h.peer.srtpOut().protectRtcp(protectedPli.data(), pn, protectedPli.size()));
  h.peer.sendRaw(protectedPli);
  h.peer.sendRaw(protectedPli);
  Bytes huge(4000, 0);
  huge[0] = 0x81;
  huge[1] = 200;
  h.peer.sendRaw(huge);
  h.peer.sendRaw({});
  h.peer.receive(std::chrono::milliseconds(50));
  h.onWorker([] {});

  EXPECT_EQ(h.session->state(), State::Connected);
  EXPECT_EQ(h.stats().nacksReceived.load(), 0u);
  EXPECT_EQ(h.stats().retransmitted.load(), 0u);
  EXPECT_EQ(h.stats().plisReceived.load(), 1u) << "the replayed PLI counts once";
  EXPECT_EQ(h.stats().rtcpPacketsReceived.load(), 4u)
      << "the three malformed ones authenticate, then stop parsing";

  // The session still works: media flows and a real NACK is answered.
  const size_t before = h.peer.rtpOf(kVideoSsrc).size();
  h.feed(5);
  h.onWorker([] {});
  ASSERT_TRUE(
      h.peer.receiveUntil([&] { return h.peer.rtpOf(kVideoSsrc).size() >= storedOf(h.recorder, 0); }));
  EXPECT_GT(h.peer.rtpOf(kVideoSsrc).size(), before);
  h.peer.loseOnce(kVideoSsrc, base);  // the retransmission would otherwise be a replay to the viewer
  ASSERT_TRUE(h.peer.sendRtcp(nack, n));
  h.peer.receive(std::chrono::milliseconds(50));
  h.onWorker([] {});
  EXPECT_EQ(h.stats().retransmitted.load(), 1u);
  EXPECT_EQ(h.peer.undecryptable, 0u);
}

TEST(WebrtcSession, RtcpBeforeTheHandshakeIsIgnoredAndCloseSendsCloseNotify) {
  SessionHarness h;
  uint8_t b[64];
  const size_t n = media::buildPli(b, sizeof(b), kViewerSsrc, kVideoSsrc);
  h.onWorker([&] { h.session->onIceCheck(h.peer.address(), true); });
  h.peer.sendRaw(Bytes(b, b + n));  // no keys yet
  h.onWorker([] {});
  EXPECT_EQ(h.stats().rtcpPacketsReceived.load(), 0u);
  ASSERT_TRUE(h.connect());
  h.onWorker([&] { h.session->close("deleted by the client"); });
  EXPECT_TRUE(h.peer.receiveUntil([&] { return h.peer.closeNotifyReceived(); }));
  EXPECT_EQ(h.closedReason(), "deleted by the client");
  EXPECT_EQ(h.session->state(), State::Closed);
}

TEST(WebrtcSession, TheViewersFirstSrtcpFreesTheDtlsSessionAndItsHangUpStillEndsTheSession) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  bool released = true;
  h.onWorker([&] { released = h.session->dtlsReleased(); });
  EXPECT_FALSE(released) << "kept until the viewer shows it completed the handshake";
  uint8_t b[64];
  ASSERT_TRUE(h.peer.sendRtcp(b, media::buildPli(b, sizeof(b), kViewerSsrc, kVideoSsrc)));
  h.peer.receive(std::chrono::milliseconds(20));
  h.onWorker([&] { released = h.session->dtlsReleased(); });
  EXPECT_TRUE(released);
  h.feed(3);
  h.onWorker([] {});
  ASSERT_TRUE(h.peer.receiveUntil([&] { return !h.peer.rtpOf(kVideoSsrc).empty(); }));

  h.peer.closeDtls();  // the viewer hangs up: its close_notify is authenticated without OpenSSL
  for (int i = 0; i < 100 && h.session->state() != State::Closed; ++i) h.onWorker([] {});
  EXPECT_EQ(h.session->state(), State::Closed);
  EXPECT_EQ(h.closedReason(), "peer connection closed by the client");
}

// Video with B-frames (frames in decode order, not presentation order): browsers stall on it,
// so a viewer watching is closed with the reason (its close_notify sent), and one whose
// handshake completes afterwards is closed as it attaches. A reader of the audio alone would
// stay (the stream tells only readers of that track: Stream's unit tests).
TEST(WebrtcSession, VideoWithBFramesClosesTheViewerWithTheReason) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  h.feed(31);
  ASSERT_TRUE(h.peer.receiveUntil([&] { return !h.peer.rtpOf(kVideoSsrc).empty(); }));
  std::vector<Bytes> reordered;
  uint16_t seq = 3000;
  for (uint32_t frame : {40u, 38u, 39u, 43u, 41u, 42u, 46u, 44u, 45u})
    reordered.push_back(cameraVideo(seq++, frame));
  h.onWorker([&] {
    for (const Bytes& p : reordered) h.stream().ingestRtp(0, p.data(), p.size());
  });
  EXPECT_EQ(h.session->state(), State::Closed);
  EXPECT_TRUE(h.peer.receiveUntil([&] { return h.peer.closeNotifyReceived(); }));
  EXPECT_EQ(h.closedReason().rfind("track 1 (H264) has B-frames (frames out of presentation order)", 0), 0u)
      << h.closedReason();

  SessionHarness::Viewer& late = h.addViewer(0x3333cccc, 103, 0x4444dddd, 8);
  EXPECT_FALSE(h.connect(late));
  for (int i = 0; i < 100 && late.session->state() != State::Closed; ++i) h.onWorker([] {});
  EXPECT_EQ(late.session->state(), State::Closed);
  EXPECT_EQ(late.closedReason.rfind("track 1 (H264) has B-frames", 0), 0u) << late.closedReason;
}

}  // namespace
}  // namespace sluice::webrtc::test
