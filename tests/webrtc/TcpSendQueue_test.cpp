#include "webrtc/TcpSendQueue.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "webrtc/Rfc4571Framer.h"

using namespace sluice::webrtc;

namespace {

struct SocketPair {
  int writer = -1, reader = -1;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    writer = fds[0];
    reader = fds[1];
    int small = 16 * 1024;
    ::setsockopt(writer, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    ::setsockopt(reader, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    ::fcntl(writer, F_SETFL, ::fcntl(writer, F_GETFL) | O_NONBLOCK);
    ::fcntl(reader, F_SETFL, ::fcntl(reader, F_GETFL) | O_NONBLOCK);
  }
  ~SocketPair() {
    if (writer >= 0) ::close(writer);
    if (reader >= 0) ::close(reader);
  }
};

// A 1200-byte RFC 4571 frame whose payload starts with its sequence number.
std::vector<uint8_t> frame(uint32_t seq) {
  std::vector<uint8_t> f(2 + 1200, static_cast<uint8_t>(seq));
  writeRfc4571Header(f.data(), 1200);
  f[2] = static_cast<uint8_t>(seq >> 24);
  f[3] = static_cast<uint8_t>(seq >> 16);
  f[4] = static_cast<uint8_t>(seq >> 8);
  f[5] = static_cast<uint8_t>(seq);
  return f;
}

// Reads everything available and returns the sequence numbers of the complete frames.
std::vector<uint32_t> readFrames(int fd, Rfc4571Reader& r) {
  std::vector<uint32_t> seqs;
  for (;;) {
    auto room = r.space();
    ssize_t n = ::read(fd, room.data(), room.size());
    if (n <= 0) break;
    r.produced(static_cast<size_t>(n));
    const uint8_t* p;
    size_t size;
    while (r.next(p, size) == Rfc4571Reader::Status::Packet) {
      EXPECT_EQ(size, 1200u);
      uint32_t seq = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
      for (size_t i = 4; i < size; ++i) {
        if (p[i] != static_cast<uint8_t>(seq)) {
          ADD_FAILURE() << "corrupt frame " << seq;
          break;
        }
      }
      seqs.push_back(seq);
    }
    EXPECT_NE(r.next(p, size), Rfc4571Reader::Status::Error) << r.error();
  }
  return seqs;
}

}  // namespace

TEST(TcpSendQueue, FastReaderGetsEverythingWithoutQueueing) {
  SocketPair sp;
  TcpSendQueue q(64 * 1024);
  Rfc4571Reader r;
  std::vector<uint32_t> got;
  for (uint32_t i = 0; i < 200; ++i) {
    auto f = frame(i);
    TcpSendQueue::Result res = q.send(sp.writer, f.data(), f.size());
    ASSERT_NE(res, TcpSendQueue::Result::Failed);
    ASSERT_NE(res, TcpSendQueue::Result::Dropped);
    auto some = readFrames(sp.reader, r);
    got.insert(got.end(), some.begin(), some.end());
    if (q.queued() > 0) q.flush(sp.writer);
  }
  while (q.queued() > 0) {
    q.flush(sp.writer);
    auto some = readFrames(sp.reader, r);
    got.insert(got.end(), some.begin(), some.end());
  }
  auto rest = readFrames(sp.reader, r);
  got.insert(got.end(), rest.begin(), rest.end());
  ASSERT_EQ(got.size(), 200u);
  for (uint32_t i = 0; i < 200; ++i) EXPECT_EQ(got[i], i);
  EXPECT_EQ(q.dropped(), 0u);
}

TEST(TcpSendQueue, StalledReaderCostsOnlyDroppedWholeFramesAndNeverBlocks) {
  SocketPair sp;
  TcpSendQueue q(32 * 1024);
  auto start = std::chrono::steady_clock::now();
  uint32_t sent = 0;
  for (uint32_t i = 0; i < 2000; ++i) {
    auto f = frame(i);
    TcpSendQueue::Result res = q.send(sp.writer, f.data(), f.size());
    ASSERT_NE(res, TcpSendQueue::Result::Failed);
    if (res != TcpSendQueue::Result::Dropped) ++sent;
    EXPECT_LE(q.queued(), q.capacity());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "send() must not block";
  EXPECT_GT(q.dropped(), 1000u);
  EXPECT_EQ(sent + q.dropped(), 2000u);
  EXPECT_GT(q.highWater(), 30u * 1024);
  // The reader wakes up: every frame it sees is whole, in order, with gaps where drops were.
  Rfc4571Reader r;
  std::vector<uint32_t> got;
  for (int round = 0; round < 1000 && (q.queued() > 0 || got.size() < sent); ++round) {
    q.flush(sp.writer);
    auto some = readFrames(sp.reader, r);
    got.insert(got.end(), some.begin(), some.end());
  }
  EXPECT_EQ(q.queued(), 0u);
  ASSERT_EQ(got.size(), sent);
  for (size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1], got[i]);
  EXPECT_EQ(got.front(), 0u);
}

TEST(TcpSendQueue, ClosedPeerFailsTheConnection) {
  SocketPair sp;
  ::close(sp.reader);
  sp.reader = -1;
  TcpSendQueue q;
  auto f = frame(1);
  EXPECT_EQ(q.send(sp.writer, f.data(), f.size()), TcpSendQueue::Result::Failed);
  EXPECT_EQ(q.errorNumber(), EPIPE);
  EXPECT_EQ(q.send(sp.writer, f.data(), f.size()), TcpSendQueue::Result::Failed) << "sticky";
}
