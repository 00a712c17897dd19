// Handing a 1200-byte datagram to the kernel on loopback: sendto, sendmmsg (batches of
// 32) and sendmmsg with UDP GSO (UDP_SEGMENT: one message carries many segments).
//
// Destination: a UDP socket on 127.0.0.1 that a thread drains with recvmmsg (not an
// unbound port: the ICMP "port unreachable" path would be timed instead of delivery). On
// loopback the sender's thread also runs the receive path up to the socket queue (softirq
// in its own context), so the figure is the full cost of one delivered datagram on this
// machine; the drainer runs on another core. The counter "delivered" is the share that
// reached the sink's queue; < 1 means the drainer fell behind and the kernel dropped some.
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "Limit.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

namespace sluice::bench {
namespace {

void setBuffer(int fd, int forceOpt, int opt, int bytes) {
  // SO_*BUFFORCE works as root and ignores rmem_max/wmem_max; else the capped request.
  if (setsockopt(fd, SOL_SOCKET, forceOpt, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
  }
}

// A loopback UDP socket drained by its own thread.
class Sink {
 public:
  Sink() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      error_ = std::string("socket: ") + std::strerror(errno);
      return;
    }
    setBuffer(fd_, SO_RCVBUFFORCE, SO_RCVBUF, 64 << 20);
    timeval tv{0, 50 * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      error_ = std::string("bind: ") + std::strerror(errno);
      return;
    }
    addr_ = a;
    thread_ = std::thread([this] { drain(); });
  }
  ~Sink() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  const std::string& error() const { return error_; }
  const sockaddr_in& addr() const { return addr_; }
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }

  // Waits (at most 1 s) until the count stops growing, then returns it.
  uint64_t settle(uint64_t expected) const {
    uint64_t last = received();
    for (int i = 0; i < 100 && last < expected; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      uint64_t now = received();
      if (now == last && i > 5) break;
      last = now;
    }
    return received();
  }

 private:
  void drain() {
    constexpr size_t kBatch = 64;
    static thread_local std::array<std::array<uint8_t, 2048>, kBatch> bufs;
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};
    while (!stop_.load(std::memory_order_relaxed)) {
      for (size_t i = 0; i < kBatch; ++i) {
        iov[i] = {bufs[i].data(), bufs[i].size()};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(fd_, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
      if (n > 0) received_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    }
  }

  int fd_ = -1;
  sockaddr_in addr_{};
  std::string error_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> received_{0};
};

int senderSocket(std::string& error) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  setBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, 8 << 20);
  return fd;
}

// Ends a UDP benchmark: "delivered" share and the per-packet counters.
void finish(benchmark::State& state, const Sink& sink, uint64_t before, uint64_t packets) {
  uint64_t got = sink.settle(before + packets) - before;
  setPacketCounters(state, static_cast<double>(packets));
  state.counters["delivered"] = packets ? static_cast<double>(got) / static_cast<double>(packets) : 0.0;
  state.SetBytesProcessed(static_cast<int64_t>(packets * kPacketSize));
}

void BM_UdpSend_sendto(benchmark::State& state) {
  state.SetLabel("send:sendto");
  Sink sink;
  std::string error = sink.error();
  int fd = error.empty() ? senderSocket(error) : -1;
  if (fd < 0) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::vector<uint8_t> payload(kPacketSize, 0x5a);
  const sockaddr_in to = sink.addr();
  const uint64_t before = sink.received();
  uint64_t packets = 0;
  for (auto _ : state) {
    ssize_t n =
        sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
    if (n < 0 && errno != EAGAIN && errno != ENOBUFS) {
      state.SkipWithError((std::string("sendto: ") + std::strerror(errno)).c_str());
      break;
    }
    ++packets;
  }
  close(fd);
  finish(state, sink, before, packets);
}

// One sendmmsg per iteration: `messages` datagrams, or with `segments` > 1, `messages`
// GSO super-datagrams of `segments` x 1200 bytes each (UDP_SEGMENT control message).
void sendmmsgBench(benchmark::State& state, int messages, int segments) {
  Sink sink;
  std::string error = sink.error();
  int fd = error.empty() ? senderSocket(error) : -1;
  if (fd < 0) {
    state.SkipWithError(error.c_str());
    return;
  }
  const bool gso = segments > 1;
  const size_t bytesPerMessage = kPacketSize * static_cast<size_t>(segments);
  std::vector<uint8_t> data(bytesPerMessage * static_cast<size_t>(messages), 0x5a);
  sockaddr_in to = sink.addr();
  std::vector<iovec> iov(static_cast<size_t>(messages));
  std::vector<mmsghdr> msgs(static_cast<size_t>(messages));
  constexpr size_t kCmsgSpace = CMSG_SPACE(sizeof(uint16_t));
  std::vector<std::array<uint8_t, kCmsgSpace>> control(static_cast<size_t>(messages));
  for (int i = 0; i < messages; ++i) {
    iov[i] = {data.data() + bytesPerMessage * static_cast<size_t>(i), bytesPerMessage};
    msghdr& h = msgs[i].msg_hdr;
    std::memset(&msgs[i], 0, sizeof(msgs[i]));
    h.msg_name = &to;
    h.msg_namelen = sizeof(to);
    h.msg_iov = &iov[i];
    h.msg_iovlen = 1;
    if (gso) {
      std::memset(control[i].data(), 0, kCmsgSpace);
      h.msg_control = control[i].data();
      h.msg_controllen = kCmsgSpace;
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const uint16_t size = static_cast<uint16_t>(kPacketSize);
      std::memcpy(CMSG_DATA(c), &size, sizeof(size));
    }
  }
  if (gso) {
    // Probe once before timing: a kernel without UDP GSO (or a socket that refuses it)
    // fails here with EINVAL/EIO/ENOPROTOOPT, and the benchmark is skipped.
    if (sendmsg(fd, &msgs[0].msg_hdr, 0) < 0) {
      std::string why = std::string("UDP GSO (UDP_SEGMENT) refused by the kernel: ") + std::strerror(errno);
      close(fd);
      state.SkipWithError(why.c_str());
      return;
    }
    sink.settle(sink.received() + static_cast<uint64_t>(segments));
  }
  const uint64_t before = sink.received();
  uint64_t packets = 0;
  for (auto _ : state) {
    int done = 0;
    while (done < messages) {
      int n = sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(messages - done), 0);
      if (n > 0) {
        done += n;
        continue;
      }
      if (n < 0 && (errno == EINTR)) continue;
      if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) break;  // counted as sent: dropped
      state.SkipWithError((std::string("sendmmsg: ") + std::strerror(errno)).c_str());
      break;
    }
    packets += static_cast<uint64_t>(messages) * static_cast<uint64_t>(segments);
  }
  close(fd);
  finish(state, sink, before, packets);
}

void BM_UdpSend_sendmmsg(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  state.SetLabel("send:sendmmsg x" + std::to_string(batch));
  sendmmsgBench(state, batch, 1);
}

void BM_UdpSend_sendmmsg_gso(benchmark::State& state) {
  const int messages = static_cast<int>(state.range(0));
  const int segments = static_cast<int>(state.range(1));
  state.SetLabel("send:sendmmsg+GSO " + std::to_string(messages) + " msg x " + std::to_string(segments) +
                 " seg");
  sendmmsgBench(state, messages, segments);
}

}  // namespace

BENCHMARK(BM_UdpSend_sendto);
BENCHMARK(BM_UdpSend_sendmmsg)->ArgName("batch")->Arg(32);
// 1 x 32 segments is the figure BENCHMARKS.md quotes; 4 x 8 is closer to a server, whose
// batch for one viewer is about one frame's packets.
BENCHMARK(BM_UdpSend_sendmmsg_gso)->ArgNames({"msgs", "segs"})->Args({1, 32})->Args({4, 8});

}  // namespace sluice::bench
