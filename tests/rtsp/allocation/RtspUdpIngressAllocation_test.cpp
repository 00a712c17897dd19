// A UDP publisher's packet path allocates nothing once its session is set up: datagrams read
// from the server's RTP socket in batches (recvmmsg), matched to the publisher by source
// address, checked and copied into its ingress's inbox, the drain posted to the worker and run
// there, each packet handed to Stream::ingestRtp and stored; its sender reports the same way
// to Stream::ingestRtcp. A binary of its own: it replaces the global operator new/delete to
// count the allocations made on the test's thread (the server's control thread and the
// stream's worker here) inside the measured window.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <new>

#include "media/Rtcp.h"
#include "media/RtpPacket.h"
#include "rtsp/RtspUdpIngress.h"
#include "rtsp/RtspUdpServer.h"
#include "stream/Stream.h"

namespace {
thread_local bool tCounting = false;
std::atomic<size_t> gNew{0};

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
}  // namespace

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

using namespace sluice;
using namespace sluice::rtsp;
namespace asio = boost::asio;

namespace {

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, size_t payload, uint8_t first, bool marker) {
  std::vector<uint8_t> p(12 + payload, 0x55);
  media::RtpHeader h;
  h.marker = marker;
  h.payloadType = pt;
  h.sequence = seq;
  h.timestamp = ts;
  h.ssrc = 42;
  media::writeRtpHeader(p.data(), h);
  p[12] = first;
  return p;
}

}  // namespace

TEST(RtspUdpIngressAllocation, APublishersRtpAndRtcpReachTheStreamWithoutAllocating) {
  asio::io_context io;  // the control thread and the stream's worker: this thread
  RtspUdpServer server(io);
  std::string error;
  // A second of the stream is sent before the server reads: room for it in the socket.
  ASSERT_TRUE(server.open("127.0.0.1:0", "127.0.0.1:0", 4 << 20, error)) << error;
  auto stream = std::make_shared<stream::Stream>("pub", 1024);
  media::TrackDescription video =
      stream::h264Track({0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8}, {0x68, 0xce, 0x3c, 0x80});
  video.payloadType = 96;
  stream->start({video, media::describeTrack("audio", 0, "PCMU", 8000, 1, "")});

  asio::ip::udp::socket vRtp(io), vRtcp(io), aRtp(io), aRtcp(io);
  for (auto* s : {&vRtp, &vRtcp, &aRtp, &aRtcp}) {
    s->open(asio::ip::udp::v4());
    s->bind({asio::ip::make_address("127.0.0.1"), 0});
  }
  std::vector<RtspUdpIngress::Track> tracks(2);
  tracks[0].streamTrack = 0;
  tracks[1].streamTrack = 1;
  auto ingress = std::make_shared<RtspUdpIngress>(io, tracks, -1, 7);
  const auto ip = asio::ip::make_address("127.0.0.1");
  server.watchPublisher(ip,
                        {{vRtp.local_endpoint().port(), vRtcp.local_endpoint().port()},
                         {aRtp.local_endpoint().port(), aRtcp.local_endpoint().port()}},
                        ingress);
  ingress->start(stream);
  const asio::ip::udp::endpoint toRtp(ip, server.rtpPort()), toRtcp(ip, server.rtcpPort());

  uint16_t vSeq = 0, aSeq = 0;
  uint32_t frame = 0;
  // One second of a 30 fps stream: a keyframe, then slices, each frame followed by audio; a
  // sender report per track at the start.
  auto sendSecond = [&] {
    for (int f = 0; f < 30; ++f, ++frame) {
      for (int part = 0; part < 3; ++part) {
        const uint8_t nal = (frame % 30 == 0) ? 0x65 : 0x41;
        auto v = rtp(96, vSeq++, frame * 3000u, 1000, nal, part == 2);
        vRtp.send_to(asio::buffer(v), toRtp);
      }
      auto a = rtp(0, aSeq++, frame * 266u, 160, 0xff, true);
      aRtp.send_to(asio::buffer(a), toRtp);
    }
    for (auto [sock, ssrcTs] : {std::pair{&vRtcp, frame * 3000u}, std::pair{&aRtcp, frame * 266u}}) {
      uint8_t sr[64];
      const size_t n =
          media::buildSenderReport(sr, sizeof(sr), 42, 0x0123456789abcdefull + frame, ssrcTs, 1, 1);
      sock->send_to(asio::buffer(sr, n), toRtcp);
    }
  };
  auto runUntil = [&](uint64_t rtp, uint64_t rtcp) {
    for (int i = 0; i < 2000; ++i) {
      io.poll();
      io.restart();
      if (ingress->stats().rtpPackets.load() >= rtp && ingress->stats().rtcpPackets.load() >= rtcp) {
        io.poll();  // the drain posted for the last ones
        io.restart();
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  };

  // Warm-up: the histories, the maps and Asio's per-thread caches fill.
  sendSecond();
  ASSERT_TRUE(runUntil(120, 2));
  sendSecond();
  ASSERT_TRUE(runUntil(240, 4));
  const uint64_t storedVideo = stream->track(0).stats().packetsStored;

  gNew = 0;
  tCounting = true;
  for (int second = 0; second < 3; ++second) {
    tCounting = false;  // the test's own sends are not the server's
    sendSecond();
    tCounting = true;
    const uint64_t want = 240 + 120 * static_cast<uint64_t>(second + 1);
    const bool done = runUntil(want, 4 + 2 * static_cast<uint64_t>(second + 1));
    tCounting = false;
    ASSERT_TRUE(done) << ingress->stats().rtpPackets.load();
    tCounting = true;
  }
  tCounting = false;
  EXPECT_EQ(gNew.load(), 0u) << "heap allocations on the UDP publisher's packet path";
  EXPECT_EQ(ingress->stats().rtpPackets.load(), 600u);
  EXPECT_EQ(ingress->stats().inboxDropped.load(), 0u);
  EXPECT_EQ(ingress->stats().ingestErrors.load(), 0u);
  EXPECT_GT(stream->track(0).stats().packetsStored, storedVideo);
  EXPECT_EQ(stream->track(1).stats().packetsStored, 150u);  // every audio packet
  EXPECT_EQ(server.stats().rtpFromUnknown, 0u);
  ingress->stop();
  server.close();
  stream->stop("test over");
}
