// The WebRTC packet path allocates nothing once a viewer is connected: a camera packet
// ingested by the stream, handed to the session, header-rewritten, SRTP-protected, written
// into the egress slot and sent by the egress flush; and an SRTCP packet from the viewer
// unprotected, parsed and acted on (NACK retransmission, PLI, FIR, receiver report).
// A binary of its own: it replaces the global operator new/delete and OpenSSL's allocator
// (CRYPTO_set_mem_functions, before any OpenSSL call) to count, on the worker thread only,
// every heap allocation of C++ code and of libcrypto/libssl.
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "../WebrtcServerHarness.h"
#include "../WebrtcSessionHarness.h"
#include "core/Clock.h"

namespace {
// Only allocations made while the worker thread is inside a measured window count.
thread_local bool tCounting = false;
std::atomic<size_t> gNew{0};
std::atomic<size_t> gCrypto{0};

void* countedNew(size_t size) {
  if (tCounting) gNew.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* countedAlignedNew(size_t size, std::align_val_t align) {
  if (tCounting) gNew.fetch_add(1, std::memory_order_relaxed);
  const size_t a = static_cast<size_t>(align);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}

void* cryptoMalloc(size_t n, const char*, int) {
  if (tCounting) gCrypto.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* cryptoRealloc(void* p, size_t n, const char*, int) {
  if (tCounting) gCrypto.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void cryptoFree(void* p, const char*, int) { std::free(p); }
}  // namespace

// Every replacement allocates with malloc, so free is the matching release (g++ cannot see that
// across the replaced operators).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t size) { return countedNew(size); }
void* operator new[](size_t size) { return countedNew(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  if (tCounting) gNew.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size ? size : 1);
}
void* operator new[](size_t size, const std::nothrow_t& t) noexcept { return operator new(size, t); }
void* operator new(size_t size, std::align_val_t a) { return countedAlignedNew(size, a); }
void* operator new[](size_t size, std::align_val_t a) { return countedAlignedNew(size, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace sluice::webrtc::test {
namespace {

struct Counts {
  size_t cpp = 0, crypto = 0;
};

// Runs `work` (which posts to the worker) between two handlers that open and close the
// counting window on the worker thread; handlers posted meanwhile (the egress flush, the
// viewer's datagrams) run inside it.
template <class F>
Counts countOnWorker(SessionHarness& h, F&& work) {
  const size_t cpp = gNew.load(), crypto = gCrypto.load();
  h.onWorker([] { tCounting = true; });
  work();
  h.onWorker([] { tCounting = false; });
  return {gNew.load() - cpp, gCrypto.load() - crypto};
}

// A connected viewer that has received its first packets, one NACK answered and sender
// reports sent: every lazily built state exists.
void warmUp(SessionHarness& h) {
  ASSERT_TRUE(h.connect()) << h.peer.failure().value_or("");
  h.feed(70);  // more than two keyframe intervals: the history has its size
  ASSERT_TRUE(h.peer.receiveUntil([&] { return !h.peer.rtpOf(kVideoSsrc).empty(); }));
  const uint16_t first = media::readSequence(h.peer.rtpOf(kVideoSsrc).at(0).data());
  uint8_t b[64];
  const uint16_t lost = static_cast<uint16_t>(first + 3);
  ASSERT_TRUE(h.peer.sendRtcp(b, media::buildNack(b, sizeof(b), kViewerSsrc, kVideoSsrc, &lost, 1)));
  h.onWorker([&] { h.session->tick(core::monotonicUs() + 10'000'000); });
  h.peer.receive(std::chrono::milliseconds(30));
  // The test's recording reader copies every packet: not part of the path measured.
  h.onWorker([&] { h.stream().removeReader(&h.recorder); });
}

// The counters see what the worker allocates inside a window, from C++ and from OpenSSL:
// the zeros below are measurements, not a disconnected counter.
TEST(WebrtcAllocation, TheWindowCountsWorkerAllocations) {
  SessionHarness h(false);
  static std::string escaped;
  const Counts c = countOnWorker(h, [&] {
    h.onWorker([] {
      escaped = std::string(100, 'x');  // one operator new
      EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
      EVP_CIPHER_CTX_free(ctx);
    });
  });
  EXPECT_EQ(c.cpp, 1u);
  EXPECT_GE(c.crypto, 1u);
}

TEST(WebrtcAllocation, ForwardingAPacketNeverAllocates) {
  SessionHarness h(false);
  warmUp(h);
  const uint64_t sentBefore = h.stats().rtpPacketsSent.load();
  const size_t undecryptableBefore =
      h.peer.undecryptable;  // the warm-up's NACK resent a packet the viewer had
  const uint64_t flushesBefore = h.egress().stats().batches.load();
  // 300 frames of video and audio in turns of 5 frames: ingest, fan-out, rewrite, SRTP,
  // egress slot/commit, and one egress flush (sendmmsg) per turn.
  const Counts c = countOnWorker(h, [&] {
    for (int turn = 0; turn < 60; ++turn) h.feed(5);
  });
  const uint64_t forwarded = h.stats().rtpPacketsSent.load() - sentBefore;
  const uint64_t flushes = h.egress().stats().batches.load() - flushesBefore;
  std::printf("forwarded %llu packets in %llu egress flushes: %zu operator new, %zu OpenSSL allocations\n",
              static_cast<unsigned long long>(forwarded), static_cast<unsigned long long>(flushes), c.cpp,
              c.crypto);
  EXPECT_GE(forwarded, 600u);
  EXPECT_GE(flushes, 60u);
  EXPECT_EQ(c.cpp, 0u) << "operator new on the forwarding path";
  EXPECT_EQ(c.crypto, 0u) << "OpenSSL allocation on the forwarding path";
  ASSERT_TRUE(
      h.peer.receiveUntil([&] { return h.peer.rtp.size() + undecryptableBefore >= sentBefore + forwarded; }));
  EXPECT_EQ(h.peer.undecryptable, undecryptableBefore) << "every forwarded packet decrypts";
}

// A turn that queues more than the egress arena holds (a keyframe to many viewers): the arena
// is flushed early, and the turn's one posted flush sends the rest.
TEST(WebrtcAllocation, ForwardingABurstLargerThanTheArenaNeverAllocates) {
  SessionHarness h(false);
  warmUp(h);
  const uint64_t sentBefore = h.stats().rtpPacketsSent.load();
  const uint64_t flushesBefore = h.egress().stats().batches.load();
  const Counts c = countOnWorker(h, [&] {
    for (int turn = 0; turn < 3; ++turn) h.feed(100);  // 200 packets a turn
  });
  const uint64_t forwarded = h.stats().rtpPacketsSent.load() - sentBefore;
  const uint64_t flushes = h.egress().stats().batches.load() - flushesBefore;
  std::printf(
      "forwarded %llu packets in 3 turns, %llu egress flushes: %zu operator new, %zu OpenSSL allocations\n",
      static_cast<unsigned long long>(forwarded), static_cast<unsigned long long>(flushes), c.cpp, c.crypto);
  EXPECT_GE(forwarded, 600u);
  EXPECT_EQ(flushes, 6u) << "per turn: one early (arena full), one at its end";
  EXPECT_EQ(c.cpp, 0u);
  EXPECT_EQ(c.crypto, 0u);
}

TEST(WebrtcAllocation, ReceivingRtcpNeverAllocates) {
  SessionHarness h(false);
  warmUp(h);
  h.feed(20);
  h.peer.receive(std::chrono::milliseconds(30));
  const uint16_t first = media::readSequence(h.peer.rtpOf(kVideoSsrc).back().data());

  // Protected by the viewer beforehand (test thread): NACKs answered from the history, PLI,
  // FIR, receiver reports, and packets that fail authentication.
  std::vector<Bytes> datagrams;
  SrtpSession& srtp = h.peer.srtpOut();
  auto add = [&](const uint8_t* plain, size_t n) {
    Bytes b(plain, plain + n);
    b.resize(n + SrtpSession::kMaxOverhead);
    b.resize(srtp.protectRtcp(b.data(), n, b.size()));
    datagrams.push_back(b);
  };
  uint8_t buf[256];
  media::RtcpReportBlock block;
  block.ssrc = kVideoSsrc;
  for (int i = 0; i < 50; ++i) {
    const uint16_t lost[] = {static_cast<uint16_t>(first - 20 + i % 10),
                             static_cast<uint16_t>(first - 8 + i % 5)};
    add(buf, media::buildNack(buf, sizeof(buf), kViewerSsrc, kVideoSsrc, lost, 2));
    add(buf, media::buildPli(buf, sizeof(buf), kViewerSsrc, kVideoSsrc));
    add(buf, media::buildFir(buf, sizeof(buf), kViewerSsrc, kVideoSsrc, static_cast<uint8_t>(i)));
    block.cumulativeLost = i;
    size_t n = media::buildReceiverReport(buf, sizeof(buf), kViewerSsrc, &block, 1);
    n += media::buildSdesCname(buf + n, sizeof(buf) - n, kViewerSsrc, "viewer");
    add(buf, n);
    Bytes forged = datagrams.back();
    forged[forged.size() - 1] ^= 1;
    datagrams.push_back(forged);
  }
  const uint64_t nacksBefore = h.stats().nacksReceived.load();
  const uint64_t rtcpBefore = h.stats().rtcpPacketsReceived.load();
  const uint64_t resentBefore = h.stats().retransmitted.load();
  // Each datagram reaches the session as the mux hands it over; the copy is made on the test
  // thread, so only the session's own handling is counted.
  const Counts c = countOnWorker(h, [&] {
    for (const Bytes& d : datagrams) h.deliver(h.session, d.data(), d.size());
  });
  const uint64_t received = h.stats().rtcpPacketsReceived.load() - rtcpBefore;
  const uint64_t resent = h.stats().retransmitted.load() - resentBefore;
  std::printf(
      "%zu RTCP datagrams (%llu authentic, %llu retransmissions): %zu operator new, %zu OpenSSL "
      "allocations\n",
      datagrams.size(), static_cast<unsigned long long>(received), static_cast<unsigned long long>(resent),
      c.cpp, c.crypto);
  EXPECT_EQ(received, 200u);
  EXPECT_EQ(h.stats().nacksReceived.load() - nacksBefore, 50u);
  EXPECT_EQ(resent, 100u);
  EXPECT_EQ(h.stats().plisReceived.load(), 50u);
  EXPECT_EQ(h.stats().firsReceived.load(), 50u);
  EXPECT_EQ(c.cpp, 0u) << "operator new on the RTCP path";
  EXPECT_EQ(c.crypto, 0u) << "OpenSSL allocation on the RTCP path";
  EXPECT_EQ(h.session->state(), WebrtcSession::State::Connected);
}

TEST(WebrtcAllocation, SenderReportsNeverAllocate) {
  SessionHarness h(false);
  warmUp(h);
  const uint64_t before = h.stats().rtcpPacketsSent.load();
  const Counts c = countOnWorker(h, [&] {
    h.onWorker([&] {
      // Later than warmUp()'s tick: each one is due.
      for (int i = 2; i <= 21; ++i) h.session->tick(core::monotonicUs() + i * 10'000'000LL);
    });
  });
  std::printf("%llu sender reports: %zu operator new, %zu OpenSSL allocations\n",
              static_cast<unsigned long long>(h.stats().rtcpPacketsSent.load() - before), c.cpp, c.crypto);
  EXPECT_EQ(h.stats().rtcpPacketsSent.load() - before, 40u);
  EXPECT_EQ(c.cpp, 0u);
  EXPECT_EQ(c.crypto, 0u);
}

// The same RTCP through the server's UDP port: the mux on worker 0 receives each datagram,
// finds the session by address and hands it over, on the same worker or to another one.
// Counted on both workers.
void rtcpThroughTheMux(size_t sessionWorker) {
  ServerHarness h(sessionWorker);
  ASSERT_TRUE(h.started);
  TestPeer peer;
  const Answer a = parseAnswer(h.offer(peer));
  ASSERT_TRUE(h.connect(peer, a));
  h.feed(70);
  ASSERT_TRUE(peer.receiveUntil([&] { return peer.rtpOf(a.videoSsrc).size() >= 70; }));
  const uint16_t last = media::readSequence(peer.rtpOf(a.videoSsrc).back().data());

  std::vector<Bytes> datagrams;
  auto add = [&](const uint8_t* plain, size_t n) {
    Bytes b(plain, plain + n);
    b.resize(n + SrtpSession::kMaxOverhead);
    b.resize(peer.srtpOut().protectRtcp(b.data(), n, b.size()));
    datagrams.push_back(b);
  };
  uint8_t buf[256];
  media::RtcpReportBlock block;
  block.ssrc = a.videoSsrc;
  for (int i = 0; i < 51; ++i) {  // the first round warms the path up
    const uint16_t lost = static_cast<uint16_t>(last - 20 + i % 10);
    add(buf, media::buildNack(buf, sizeof(buf), kViewerSsrc, a.videoSsrc, &lost, 1));
    add(buf, media::buildPli(buf, sizeof(buf), kViewerSsrc, a.videoSsrc));
    block.cumulativeLost = i;
    add(buf, media::buildReceiverReport(buf, sizeof(buf), kViewerSsrc, &block, 1));
    Bytes forged = datagrams.back();
    forged.back() ^= 1;
    datagrams.push_back(forged);
  }
  // Sent four at a time, each group handled before the next (the server's receive buffer
  // stays far from full, so none is dropped).
  auto sendGroup = [&](size_t g) {
    const uint64_t before = h.info(a.id)->rtcpPacketsReceived;
    for (size_t k = 0; k < 4; ++k) peer.sendRaw(datagrams[g * 4 + k]);
    for (int spin = 0; spin < 2000 && h.info(a.id)->rtcpPacketsReceived < before + 3; ++spin) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };
  sendGroup(0);
  const uint64_t received = h.info(a.id)->rtcpPacketsReceived;
  const size_t cpp = gNew.load(), crypto = gCrypto.load();
  for (size_t w = 0; w < 2; ++w) h.onWorker(w, [] { tCounting = true; });
  for (size_t g = 1; g < 51; ++g) sendGroup(g);
  for (size_t w = 0; w < 2; ++w) h.onWorker(w, [] { tCounting = false; });
  const Counts c{gNew.load() - cpp, gCrypto.load() - crypto};
  const auto info = h.info(a.id);
  std::printf(
      "session on worker %zu: 200 RTCP datagrams through the mux (%llu authentic, %llu NACKs answered): "
      "%zu operator new, %zu OpenSSL allocations\n",
      sessionWorker, static_cast<unsigned long long>(info->rtcpPacketsReceived - received),
      static_cast<unsigned long long>(info->retransmitted), c.cpp, c.crypto);
  EXPECT_EQ(info->rtcpPacketsReceived - received, 150u);
  EXPECT_EQ(info->plisReceived, 51u);
  EXPECT_EQ(c.cpp, 0u) << "operator new on the mux's RTCP path";
  EXPECT_EQ(c.crypto, 0u) << "OpenSSL allocation on the mux's RTCP path";
}

// ICE consent checks (RFC 7675) of a connected viewer, a few per second each: verified and
// answered by the mux without allocating. (A check that nominates again, USE-CANDIDATE, is also
// handed to the session's worker: that hand-over allocates and is not measured here.)
TEST(WebrtcAllocation, ConsentChecksThroughTheMux) {
  ServerHarness h(1);
  ASSERT_TRUE(h.started);
  TestPeer peer;
  const Answer a = parseAnswer(h.offer(peer));
  ASSERT_TRUE(h.connect(peer, a));
  ASSERT_TRUE(peer.sendBindingRequest(a.ufrag, a.pwd, false));  // warm-up
  ASSERT_TRUE(peer.receiveUntil([&] { return peer.bindingResponses.size() == 2; }));
  const size_t cpp = gNew.load(), crypto = gCrypto.load();
  for (size_t w = 0; w < 2; ++w) h.onWorker(w, [] { tCounting = true; });
  for (size_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(peer.sendBindingRequest(a.ufrag, a.pwd, false));
    ASSERT_TRUE(peer.receiveUntil([&] { return peer.bindingResponses.size() == 3 + i; }));
  }
  for (size_t w = 0; w < 2; ++w) h.onWorker(w, [] { tCounting = false; });
  const Counts c{gNew.load() - cpp, gCrypto.load() - crypto};
  std::printf("50 consent checks answered through the mux: %zu operator new, %zu OpenSSL allocations\n",
              c.cpp, c.crypto);
  EXPECT_EQ(c.cpp, 0u);
  EXPECT_EQ(c.crypto, 0u);
}

TEST(WebrtcAllocation, RtcpThroughTheMuxToASessionOnItsWorker) { rtcpThroughTheMux(0); }
TEST(WebrtcAllocation, RtcpThroughTheMuxToASessionOnAnotherWorker) { rtcpThroughTheMux(1); }

}  // namespace
}  // namespace sluice::webrtc::test

int main(int argc, char** argv) {
  // Before any OpenSSL call, or OpenSSL refuses the replacement.
  if (CRYPTO_set_mem_functions(cryptoMalloc, cryptoRealloc, cryptoFree) != 1) {
    std::fprintf(stderr, "CRYPTO_set_mem_functions refused: OpenSSL allocated before main\n");
    return 1;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
