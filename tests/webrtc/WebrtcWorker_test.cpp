// WebrtcWorker: its inbox hands the UDP mux's datagrams to a session in order and, while the
// worker is stalled, takes at most kInboxSlots of them (the rest dropped and counted); its tick
// closes every session whose handshake deadline passed, even several in one tick.
#include <gtest/gtest.h>

#include "WebrtcSessionHarness.h"

namespace sluice::webrtc::test {
namespace {

TEST(WebrtcWorker, InboxDeliversInOrderAndDropsWhatAStalledWorkerCannotHold) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  h.feed(90);
  h.onWorker([] {});
  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.rtpOf(kVideoSsrc).size() >= 92; }));
  const std::vector<Bytes> video = h.peer.rtpOf(kVideoSsrc);

  // One NACK per packet, newest first, so the order of the answers shows the order of delivery.
  const size_t n = WebrtcWorker::kInboxSlots + 6;
  std::vector<Bytes> nacks;
  std::vector<uint16_t> expected;
  for (size_t i = 0; i < n; ++i) {
    const uint16_t seq = media::readSequence(video[video.size() - 1 - i].data());
    uint8_t b[64];
    const size_t len = media::buildNack(b, sizeof(b), kViewerSsrc, kVideoSsrc, &seq, 1);
    Bytes d(b, b + len);
    d.resize(len + SrtpSession::kMaxOverhead);
    d.resize(h.peer.srtpOut().protectRtcp(d.data(), len, d.size()));
    nacks.push_back(d);
    if (i < WebrtcWorker::kInboxSlots) {
      expected.push_back(seq);
      h.peer.loseOnce(kVideoSsrc, seq);  // the viewer has it: the resent copy is counted, not decrypted
    }
  }

  // The worker is busy; the test thread plays the mux (the inbox's one producer).
  std::atomic<bool> release{false};
  boost::asio::post(h.io(), [&] {
    while (!release.load()) std::this_thread::yield();
  });
  for (const Bytes& d : nacks) h.webrtcWorker().postDatagram(h.session, d.data(), d.size());
  EXPECT_EQ(h.webrtcWorker().inboxDropped(), 6u);
  release = true;
  h.onWorker([] {});

  ASSERT_TRUE(h.peer.receiveUntil([&] { return h.peer.lost == WebrtcWorker::kInboxSlots; }));
  EXPECT_EQ(h.peer.lostSequences, expected);
  EXPECT_EQ(h.stats().nacksReceived.load(), WebrtcWorker::kInboxSlots);

  // The inbox is free again.
  h.webrtcWorker().postDatagram(h.session, nacks.back().data(), nacks.back().size());
  h.onWorker([] {});
  EXPECT_EQ(h.stats().nacksReceived.load(), WebrtcWorker::kInboxSlots + 1);
  EXPECT_EQ(h.webrtcWorker().inboxDropped(), 6u);
}

TEST(WebrtcWorker, TickClosesEverySessionPastItsHandshakeDeadline) {
  SessionHarness h;
  ASSERT_TRUE(h.connect());
  auto& late1 = h.addViewer(0x44440001, 102, 0x44440002, 0, std::chrono::milliseconds(100));
  auto& late2 = h.addViewer(0x55550001, 102, 0x55550002, 0, std::chrono::milliseconds(100));
  for (int i = 0; i < 100 && (late1.session->state() != WebrtcSession::State::Closed ||
                              late2.session->state() != WebrtcSession::State::Closed);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(late1.session->state(), WebrtcSession::State::Closed);
  EXPECT_EQ(late2.session->state(), WebrtcSession::State::Closed);
  h.onWorker([] {});
  EXPECT_EQ(late1.closedReason, "deadline exceeded while waiting connection");
  EXPECT_EQ(late2.closedReason, "deadline exceeded while waiting connection");
  EXPECT_EQ(h.session->state(), WebrtcSession::State::Connected);
  h.onWorker([&] { EXPECT_EQ(h.webrtcWorker().sessionCount(), 1u); });
}

}  // namespace
}  // namespace sluice::webrtc::test
