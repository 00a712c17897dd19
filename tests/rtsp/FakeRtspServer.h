#pragma once
// A scripted RTSP server for tests that a real camera cannot stage: UDP accepted in SETUP
// but never sent, a UDP SETUP answered with TCP, and inspection of what the client sends
// (keepalives, receiver reports). One thread per connection, blocking POSIX sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "media/Rtcp.h"
#include "media/RtpPacket.h"
#include "rtsp/RtspStreamParser.h"
#include "rtsp/RtspTransportHeader.h"

namespace sluice::rtsp::testing {

class FakeRtspServer {
 public:
  struct Options {
    bool allowUdp = true;
    bool sendUdpMedia = true;  // false: accept UDP SETUP, then send nothing
    bool answerUdpWithTcp = false;
    bool advertiseGetParameter = false;
    uint32_t sessionTimeout = 60;
    bool redirect = false;  // DESCRIBE of the first URL answers 302 to ".../moved"
  };
  static constexpr uint32_t kSsrc = 0x11223344;

  explicit FakeRtspServer(Options options) : options_(options) {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::listen(listenFd_, 8);
    socklen_t len = sizeof(a);
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptThread_ = std::thread([this] { acceptLoop(); });
  }

  ~FakeRtspServer() {
    stop_ = true;
    acceptThread_.join();
    for (auto& t : connThreads_) t.join();
    ::close(listenFd_);
  }

  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/fake"; }

  // "<connection index> <METHOD>" for every request received.
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Report blocks of the receiver reports the client sent (TCP or UDP).
  std::vector<media::RtcpReportBlock> reportBlocks() {
    std::lock_guard lock(mutex_);
    return blocks_;
  }
  int count(const std::string& method) {
    int n = 0;
    for (const auto& r : requests()) n += r.substr(r.find(' ') + 1) == method;
    return n;
  }

 private:
  struct BlockCollector : media::RtcpVisitor {
    std::vector<media::RtcpReportBlock> blocks;
    void onReportBlock(uint32_t, const media::RtcpReportBlock& b) override { blocks.push_back(b); }
  };

  void acceptLoop() {
    int index = 0;
    while (!stop_) {
      pollfd p{listenFd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listenFd_, nullptr, nullptr);
      if (fd < 0) continue;
      connThreads_.emplace_back([this, fd, i = index++] { serve(fd, i); });
    }
  }

  void recordRtcp(const uint8_t* data, size_t size) {
    BlockCollector c;
    media::parseRtcpCompound(data, size, c);
    std::lock_guard lock(mutex_);
    blocks_.insert(blocks_.end(), c.blocks.begin(), c.blocks.end());
  }

  static void sendAll(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  static std::string rtpPacket(uint16_t seq) {
    uint8_t p[12 + 20] = {};
    media::RtpHeader h;
    h.payloadType = 96;
    h.sequence = seq;
    h.timestamp = seq * 3000u;
    h.ssrc = kSsrc;
    media::writeRtpHeader(p, h);
    p[12] = 0x41;  // an H.264 non-IDR slice NAL header
    return std::string(reinterpret_cast<char*>(p), sizeof(p));
  }

  void serve(int fd, int index) {
    RtspStreamParser parser;
    bool playing = false;
    bool tcpMedia = false;
    int udpFd = -1, udpRtcpFd = -1;
    sockaddr_in clientRtp{}, clientRtcp{};
    uint16_t seq = 1000;
    auto lastPacket = std::chrono::steady_clock::now();
    auto lastSr = lastPacket;
    while (!stop_) {
      pollfd p[2] = {{fd, POLLIN, 0}, {udpRtcpFd, POLLIN, 0}};
      int r = ::poll(p, udpRtcpFd >= 0 ? 2 : 1, 5);
      if (r > 0 && (p[0].revents & (POLLIN | POLLHUP))) {
        auto space = parser.prepare();
        ssize_t n = ::recv(fd, space.data(), space.size(), 0);
        if (n <= 0) break;
        parser.commit(static_cast<size_t>(n));
        for (;;) {
          auto res = parser.next();
          if (res == RtspStreamParser::Result::NeedMore || res == RtspStreamParser::Result::Error) break;
          if (res == RtspStreamParser::Result::Interleaved) {
            if (parser.frame().channel == 1) recordRtcp(parser.frame().data, parser.frame().size);
            continue;
          }
          if (res != RtspStreamParser::Result::Request) continue;
          const RtspRequest& req = parser.request();
          {
            std::lock_guard lock(mutex_);
            requests_.push_back(std::to_string(index) + " " + req.method);
          }
          std::string cseq(req.headers.get("CSeq").value_or("0"));
          std::string session = "Session: fake" + std::to_string(index) +
                                ";timeout=" + std::to_string(options_.sessionTimeout) + "\r\n";
          std::string head = "RTSP/1.0 200 OK\r\nCSeq: " + cseq + "\r\n";
          if (req.method == "OPTIONS") {
            sendAll(fd, head + "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN" +
                            (options_.advertiseGetParameter ? ", GET_PARAMETER" : "") + "\r\n\r\n");
          } else if (req.method == "DESCRIBE" && options_.redirect &&
                     req.uri.find("/moved") == std::string::npos) {
            sendAll(fd, "RTSP/1.0 302 Found\r\nCSeq: " + cseq + "\r\nLocation: " + url() + "/moved\r\n\r\n");
          } else if (req.method == "DESCRIBE") {
            std::string sdp =
                "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=fake\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n"
                "a=rtpmap:96 H264/90000\r\na=fmtp:96 "
                "packetization-mode=1;sprop-parameter-sets=Z0IAHpWoKA9puAgICBA=,"
                "aM4G4g==\r\na=control:trackID=0\r\n";
            sendAll(fd, head + "Content-Base: " + req.uri +
                            "/\r\nContent-Type: application/sdp\r\nContent-Length: " +
                            std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
          } else if (req.method == "SETUP") {
            auto t = parseRtspTransport(req.headers.get("Transport").value_or(""));
            if (!t) {
              sendAll(fd, "RTSP/1.0 400 Bad Request\r\nCSeq: " + cseq + "\r\n\r\n");
            } else if (t->lower == RtspTransportHeader::Lower::Udp && options_.answerUdpWithTcp) {
              tcpMedia = true;
              sendAll(fd, head + session + "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n");
            } else if (t->lower == RtspTransportHeader::Lower::Udp && !options_.allowUdp) {
              sendAll(fd, "RTSP/1.0 461 Unsupported Transport\r\nCSeq: " + cseq + "\r\n\r\n");
            } else if (t->lower == RtspTransportHeader::Lower::Udp) {
              udpFd = ::socket(AF_INET, SOCK_DGRAM, 0);
              udpRtcpFd = ::socket(AF_INET, SOCK_DGRAM, 0);
              sockaddr_in a{};
              a.sin_family = AF_INET;
              a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
              ::bind(udpFd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
              ::bind(udpRtcpFd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
              socklen_t len = sizeof(a);
              ::getsockname(udpFd, reinterpret_cast<sockaddr*>(&a), &len);
              uint16_t rtpPort = ntohs(a.sin_port);
              ::getsockname(udpRtcpFd, reinterpret_cast<sockaddr*>(&a), &len);
              uint16_t rtcpPort = ntohs(a.sin_port);
              clientRtp = clientRtcp = a;
              clientRtp.sin_port = htons(t->clientPorts->first);
              clientRtcp.sin_port = htons(t->clientPorts->second);
              sendAll(fd, head + session + "Transport: RTP/AVP;unicast;client_port=" +
                              std::to_string(t->clientPorts->first) + "-" +
                              std::to_string(t->clientPorts->second) + ";server_port=" +
                              std::to_string(rtpPort) + "-" + std::to_string(rtcpPort) + "\r\n\r\n");
            } else {
              tcpMedia = true;
              sendAll(fd, head + session + "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n");
            }
          } else if (req.method == "PLAY") {
            sendAll(fd, head + session + "\r\n");
            playing = true;
          } else {
            sendAll(fd, head + "\r\n");
          }
        }
      }
      if (udpRtcpFd >= 0 && r > 0 && (p[1].revents & POLLIN)) {
        uint8_t buf[1500];
        ssize_t n = ::recv(udpRtcpFd, buf, sizeof(buf), 0);
        if (n > 0) recordRtcp(buf, static_cast<size_t>(n));
      }
      auto now = std::chrono::steady_clock::now();
      if (playing && now - lastPacket >= std::chrono::milliseconds(10)) {
        lastPacket = now;
        std::string pkt = rtpPacket(seq);
        seq = static_cast<uint16_t>(seq + ((seq % 50 == 0) ? 2 : 1));  // lose one packet in 50
        if (tcpMedia) {
          std::string frame = std::string("$\x00", 2) + static_cast<char>(pkt.size() >> 8) +
                              static_cast<char>(pkt.size() & 0xff) + pkt;
          sendAll(fd, frame);
        } else if (options_.sendUdpMedia && udpFd >= 0) {
          ::sendto(udpFd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&clientRtp),
                   sizeof(clientRtp));
        }
      }
      if (playing && now - lastSr >= std::chrono::seconds(1)) {
        lastSr = now;
        uint8_t sr[64];
        size_t n = media::buildSenderReport(
            sr, sizeof(sr), kSsrc, (0xE0001234ULL << 32) | (uint64_t{seq} << 16), seq * 3000u, seq, 0);
        if (tcpMedia) {
          std::string frame = std::string("$\x01", 2) + static_cast<char>(n >> 8) +
                              static_cast<char>(n & 0xff) + std::string(reinterpret_cast<char*>(sr), n);
          sendAll(fd, frame);
        } else if (options_.sendUdpMedia && udpRtcpFd >= 0) {
          ::sendto(udpRtcpFd, sr, n, 0, reinterpret_cast<sockaddr*>(&clientRtcp), sizeof(clientRtcp));
        }
      }
    }
    ::close(fd);
    if (udpFd >= 0) ::close(udpFd);
    if (udpRtcpFd >= 0) ::close(udpRtcpFd);
  }

  Options options_;
  int listenFd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptThread_;
  std::vector<std::thread> connThreads_;  // only touched by the accept thread and the destructor
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::vector<media::RtcpReportBlock> blocks_;
};

}  // namespace sluice::rtsp::testing
