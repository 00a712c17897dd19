// UdpSendBatch against real loopback sockets: one sendmmsg per turn, GSO runs of equal sizes per
// viewer and RTP stream (an audio packet between video packets does not cut the video run),
// each stream's order kept, other destinations untouched; a turn larger than the arena flushes
// early and loses nothing; a destination the kernel refuses costs only its own datagrams.
#include "core/UdpSendBatch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstring>
#include <memory>
#include <vector>

namespace sluice::core {
namespace {

struct Receiver {
  int fd = -1;
  sockaddr_storage addr{};
  socklen_t len = sizeof(sockaddr_in);
  Receiver() {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    auto& a = reinterpret_cast<sockaddr_in&>(addr);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(sockaddr_in));
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  }
  ~Receiver() { ::close(fd); }
  // (ssrc, sequence, size) of every datagram received within the timeout.
  std::vector<std::tuple<uint32_t, uint16_t, size_t>> drain() {
    std::vector<std::tuple<uint32_t, uint16_t, size_t>> out;
    uint8_t buf[2048];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 200) > 0) {
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      uint32_t ssrc;
      std::memcpy(&ssrc, buf + 8, 4);
      out.emplace_back(ntohl(ssrc), static_cast<uint16_t>((buf[2] << 8) | buf[3]), static_cast<size_t>(n));
    }
    return out;
  }
};

void queueRtp(UdpSendBatch& egress, const Receiver& to, uint32_t ssrc, uint16_t seq, size_t size,
              std::atomic<uint64_t>* dropped = nullptr) {
  uint8_t* d = egress.slot();
  std::memset(d, 0, size);
  d[0] = 0x80;
  d[1] = 96;
  d[2] = static_cast<uint8_t>(seq >> 8);
  d[3] = static_cast<uint8_t>(seq);
  const uint32_t s = htonl(ssrc);
  std::memcpy(d + 8, &s, 4);
  egress.commit(size, to.addr, to.len, dropped);
}

// A batch on a UDP socket of its own, as each worker has one; tests run its io_context.
class UdpSendBatchOnLoopback : public ::testing::Test {
 protected:
  ~UdpSendBatchOnLoopback() override { ::close(fd); }
  boost::asio::io_context io;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  std::shared_ptr<UdpSendBatch> batch = std::make_shared<UdpSendBatch>(io, fd);
  UdpSendBatch& egress = *batch;
};

TEST_F(UdpSendBatchOnLoopback, AudioBetweenVideoPacketsDoesNotCutTheVideoRun) {
  Receiver viewer, other;
  // One turn: a frame's video packets with two audio packets arriving in between, and one
  // packet to another viewer.
  queueRtp(egress, viewer, 1, 10, 1200);
  queueRtp(egress, viewer, 2, 500, 172);
  queueRtp(egress, viewer, 1, 11, 1200);
  queueRtp(egress, other, 1, 10, 1200);
  queueRtp(egress, viewer, 1, 12, 1200);
  queueRtp(egress, viewer, 2, 501, 172);
  queueRtp(egress, viewer, 1, 13, 700);
  io.run();  // the posted flush
  const auto& st = egress.stats();
  EXPECT_EQ(st.datagramsSent.load(), 7u);
  EXPECT_EQ(st.syscalls.load(), 1u);
  if (egress.gsoEnabled()) {
    EXPECT_EQ(st.messages.load(), 3u) << "video run, audio run, the other viewer";
  }
  auto got = viewer.drain();
  std::vector<uint16_t> video, audio;
  for (auto& [ssrc, seq, size] : got) (ssrc == 1 ? video : audio).push_back(seq);
  EXPECT_EQ(video, (std::vector<uint16_t>{10, 11, 12, 13}));  // each stream in its order
  EXPECT_EQ(audio, (std::vector<uint16_t>{500, 501}));
  EXPECT_EQ(other.drain().size(), 1u);
}

TEST_F(UdpSendBatchOnLoopback, NonRtpDatagramsKeepTheirOrder) {
  Receiver viewer;
  for (uint8_t i = 0; i < 3; ++i) {  // DTLS records: content type 22, no SSRC
    uint8_t* d = egress.slot();
    std::memset(d, 0, 100);
    d[0] = 22;
    d[1] = i;
    egress.commit(100, viewer.addr, viewer.len);
  }
  io.run();
  uint8_t buf[256];
  for (uint8_t i = 0; i < 3; ++i) {
    pollfd p{viewer.fd, POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 500), 0);
    ASSERT_EQ(::recv(viewer.fd, buf, sizeof(buf), 0), 100);
    EXPECT_EQ(buf[1], i);
  }
}

TEST_F(UdpSendBatchOnLoopback, ATurnLargerThanTheArenaFlushesEarlyAndKeepsEverything) {
  Receiver viewer;
  int size = 4 * 1024 * 1024;
  ::setsockopt(viewer.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  const size_t n = UdpSendBatch::kSlots * 2 + 17;  // one keyframe burst of a large frame
  for (size_t i = 0; i < n; ++i) queueRtp(egress, viewer, 7, static_cast<uint16_t>(65500 + i), 1200);
  EXPECT_EQ(egress.stats().batches.load(), 2u) << "two full arenas left during the turn";
  io.run();
  EXPECT_EQ(egress.stats().batches.load(), 3u);
  EXPECT_EQ(egress.stats().datagramsSent.load(), n);
  EXPECT_EQ(egress.stats().bytesSent.load(), n * 1200);
  EXPECT_EQ(egress.stats().datagramsDropped.load(), 0u);
  const auto got = viewer.drain();
  ASSERT_EQ(got.size(), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(std::get<1>(got[i]), static_cast<uint16_t>(65500 + i))
        << "in order across the wrap and the flushes";
    EXPECT_EQ(std::get<2>(got[i]), 1200u);
  }
}

TEST_F(UdpSendBatchOnLoopback, ARefusedDestinationLosesOnlyItsOwnDatagrams) {
  Receiver before, after;
  // An IPv6 viewer address on the IPv4 socket: the kernel refuses that message (EAFNOSUPPORT).
  sockaddr_storage v6{};
  auto& a6 = reinterpret_cast<sockaddr_in6&>(v6);
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(9);
  a6.sin6_addr = in6addr_loopback;
  queueRtp(egress, before, 1, 1, 500);
  for (uint16_t i = 0; i < 3; ++i) {
    uint8_t* d = egress.slot();
    std::memset(d, 0, 500);
    d[0] = 0x80;
    d[11] = 9;
    egress.commit(500, v6, sizeof(sockaddr_in6));
  }
  queueRtp(egress, after, 1, 2, 500);
  io.run();
  EXPECT_EQ(before.drain().size(), 1u);
  EXPECT_EQ(after.drain().size(), 1u);
  EXPECT_EQ(egress.stats().datagramsSent.load(), 2u);
  EXPECT_EQ(egress.stats().datagramsDropped.load(), 3u);
}

TEST_F(UdpSendBatchOnLoopback, WithoutGsoEveryDatagramIsAMessage) {
  egress.setGsoEnabled(false);
  Receiver viewer;
  for (uint16_t i = 0; i < 10; ++i) queueRtp(egress, viewer, 1, i, 1000);
  io.run();
  EXPECT_EQ(egress.stats().messages.load(), 10u);
  EXPECT_EQ(egress.stats().syscalls.load(), 1u);
  EXPECT_EQ(viewer.drain().size(), 10u);
}

TEST_F(UdpSendBatchOnLoopback, EachDroppedDatagramIsCountedForItsOwner) {
  Receiver reader;
  std::atomic<uint64_t> readerDropped{0}, refusedDropped{0};
  sockaddr_storage v6{};  // refused by the IPv4 socket (EAFNOSUPPORT)
  auto& a6 = reinterpret_cast<sockaddr_in6&>(v6);
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(9);
  a6.sin6_addr = in6addr_loopback;
  const uint8_t rtp[200] = {0x80, 96};
  batch->send(rtp, sizeof(rtp), reader.addr, reader.len, &readerDropped);
  batch->send(rtp, sizeof(rtp), v6, sizeof(sockaddr_in6), &refusedDropped);
  batch->send(rtp, sizeof(rtp), v6, sizeof(sockaddr_in6), &refusedDropped);
  uint8_t big[UdpSendBatch::kSlotSize + 1] = {0x80, 96};
  batch->send(big, sizeof(big), reader.addr, reader.len, &readerDropped);  // larger than a slot
  batch->send(rtp, 0, reader.addr, reader.len, &readerDropped);            // empty
  io.run();
  EXPECT_EQ(reader.drain().size(), 1u);
  EXPECT_EQ(readerDropped.load(), 2u) << "the oversized and the empty datagram";
  EXPECT_EQ(refusedDropped.load(), 2u) << "both datagrams of the refused destination";
  EXPECT_EQ(batch->stats().datagramsSent.load(), 1u);
  EXPECT_EQ(batch->stats().datagramsDropped.load(), 4u);
}

TEST_F(UdpSendBatchOnLoopback, AKernelRefusingGsoGetsTheRestOfTheTurnPlainlyAndNothingTwice) {
  const int on = 1;
  // Without UDP checksums the kernel refuses UDP_SEGMENT (EINVAL), as a device without GSO would.
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &on, sizeof(on)), 0);
  Receiver first, second;
  queueRtp(*batch, first, 1, 1, 900);  // a message of its own: sent before the refusal
  for (uint16_t i = 0; i < 4; ++i) queueRtp(*batch, second, 2, i, 1000);  // one GSO run: refused
  io.run();
  EXPECT_FALSE(batch->gsoEnabled());
  EXPECT_EQ(first.drain().size(), 1u) << "what was sent before the refusal is not sent again";
  const auto got = second.drain();
  ASSERT_EQ(got.size(), 4u);
  for (uint16_t i = 0; i < 4; ++i) EXPECT_EQ(std::get<1>(got[i]), i);
  EXPECT_EQ(batch->stats().datagramsSent.load(), 5u);
  EXPECT_EQ(batch->stats().datagramsDropped.load(), 0u);
}

TEST_F(UdpSendBatchOnLoopback, AfterCloseNothingIsSentAndDatagramsAreCountedAsDropped) {
  Receiver viewer;
  queueRtp(*batch, viewer, 1, 1, 500);
  batch->close();  // sends what is queued
  std::atomic<uint64_t> dropped{0};
  queueRtp(*batch, viewer, 1, 2, 500, &dropped);
  io.run();
  EXPECT_EQ(viewer.drain().size(), 1u);
  EXPECT_EQ(dropped.load(), 1u);
  EXPECT_EQ(batch->stats().datagramsSent.load(), 1u);
}

}  // namespace
}  // namespace sluice::core
