#pragma once
// What a WHEP viewer is to the server, for the WebRTC unit tests: a loopback UDP socket that
// receives what the server's egress sends, a DTLS client (a=setup:active) with its own
// certificate, and the SRTP contexts of the keys it negotiated. Received RTP and RTCP are
// decrypted with the project's SrtpSession, as a browser would; a test reads them back.
// How the viewer's datagrams reach the server is the test's choice (`toServer`): the session
// directly, or the server's UDP port. Runs on the test thread.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "media/Rtcp.h"
#include "media/RtpPacket.h"
#include "webrtc/DtlsCertificate.h"
#include "webrtc/DtlsTransport.h"
#include "webrtc/SocketAddress.h"
#include "webrtc/SrtpSession.h"
#include "webrtc/StunMessage.h"

namespace sluice::webrtc::test {

using Bytes = std::vector<uint8_t>;

// A UDP socket bound to a free loopback port.
inline int loopbackUdpSocket(SocketAddress& bound) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  bound = SocketAddress::from(reinterpret_cast<sockaddr*>(&a), len);
  int size = 4 * 1024 * 1024;  // a keyframe burst must not overflow the viewer's queue
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  return fd;
}

// Everything a received RTCP compound said, in order.
struct RtcpSeen : media::RtcpVisitor {
  struct Sr {
    uint32_t ssrc;
    uint64_t ntp;
    uint32_t rtpTimestamp, packets, octets;
  };
  std::vector<Sr> senderReports;
  void onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t ts, uint32_t packets, uint32_t octets) override {
    senderReports.push_back({ssrc, ntp, ts, packets, octets});
  }
};

class TestPeer {
 public:
  TestPeer() {
    fd_ = loopbackUdpSocket(address_);
    std::string error;
    certificate_ = DtlsCertificate::generate(error);
  }
  ~TestPeer() { ::close(fd_); }
  TestPeer(const TestPeer&) = delete;
  TestPeer& operator=(const TestPeer&) = delete;

  const SocketAddress& address() const { return address_; }
  int fd() const { return fd_; }
  std::string fingerprint() const { return certificate_->fingerprintSha256(); }

  // Where the viewer's datagrams go.
  std::function<void(const uint8_t*, size_t)> toServer;

  // Runs the DTLS handshake as client against the server's certificate fingerprint; true once
  // both SRTP directions are keyed.
  bool connect(const std::string& serverFingerprint,
               std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    DtlsTransport::Callbacks cb;
    cb.sendDatagram = [this](const uint8_t* d, size_t n) { toServer(d, n); };
    // Keyed at once: the server's first SRTP may share a read with its last handshake flight.
    cb.onConnected = [this](const DtlsKeys& k) {
      std::string error;
      if (srtpIn_.init(k.profile, k.remoteKey.data(), k.remoteSalt.data(), error) &&
          srtpOut_.init(k.profile, k.localKey.data(), k.localSalt.data(), error)) {
        keys_ = k;
      } else {
        failure_ = "SRTP init: " + error;
      }
    };
    cb.onFailed = [this](std::string reason) { failure_ = std::move(reason); };
    cb.onClosed = [this] { closeNotify_ = true; };
    DtlsOptions options;
    options.initialRetransmitTimeout = std::chrono::milliseconds(50);
    dtls_ = std::make_unique<DtlsTransport>(certificate_, DtlsRole::Client, "sha-256", serverFingerprint,
                                            std::move(cb), options);
    dtls_->start();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!keys_ && !failure_ && std::chrono::steady_clock::now() < deadline) {
      receive(std::chrono::milliseconds(10));
      auto t = dtls_->nextTimeout();
      if (t && t->count() <= 0) dtls_->onTimeout();
    }
    return keys_.has_value();
  }
  const std::optional<std::string>& failure() const { return failure_; }
  const std::optional<DtlsKeys>& keys() const { return keys_; }
  bool closeNotifyReceived() const { return closeNotify_; }
  // Hangs up as a browser does: DTLS close_notify.
  void closeDtls() {
    if (dtls_) dtls_->close();
  }

  // An ICE connectivity check to the server (the viewer is controlling): USERNAME
  // "<server ufrag>:<ours>", MESSAGE-INTEGRITY with the server's password, FINGERPRINT.
  bool sendBindingRequest(const std::string& serverUfrag, const std::string& serverPwd, bool useCandidate,
                          const std::string& password = {}) {
    serverPwd_ = serverPwd;
    uint8_t buf[512];
    StunTransactionId id{};
    for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(++transactions_ * 31 + i);
    StunMessageBuilder b(buf, sizeof(buf));
    b.bindingRequest(id, serverUfrag + ":" + ufrag, 0x6e7f1eff, 0x1122334455667788ull, useCandidate);
    b.appendMessageIntegrity(password.empty() ? serverPwd : password);
    b.appendFingerprint();
    if (!b.ok()) return false;
    toServer(buf, b.size());
    return true;
  }
  // The viewer's ufrag, as in its offer.
  std::string ufrag = "A7a/";
  // XOR-MAPPED-ADDRESS of every authentic Binding success response received.
  std::vector<StunAddress> bindingResponses;

  // Reads every datagram that arrives within `wait` of the previous one.
  void receive(std::chrono::milliseconds wait) {
    uint8_t buf[2048];
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      onDatagram(buf, static_cast<size_t>(n));
    }
  }
  // Receives until `done` or the limit.
  bool receiveUntil(const std::function<bool()>& done,
                    std::chrono::milliseconds limit = std::chrono::seconds(3)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) receive(std::chrono::milliseconds(5));
    return done();
  }

  // The next time an RTP packet with this SSRC and sequence arrives it is lost (not decrypted),
  // as if the network dropped it.
  void loseOnce(uint32_t ssrc, uint16_t sequence) { toLose_.insert({ssrc, sequence}); }

  // Protects a plaintext RTCP compound with the viewer's SRTCP context and sends it.
  bool sendRtcp(const uint8_t* plain, size_t size) {
    Bytes b(plain, plain + size);
    b.resize(size + SrtpSession::kMaxOverhead);
    const size_t n = srtpOut_.protectRtcp(b.data(), size, b.size());
    if (n == 0) return false;
    toServer(b.data(), n);
    return true;
  }
  bool sendRtcp(const Bytes& plain) { return sendRtcp(plain.data(), plain.size()); }
  // Any bytes, unprotected.
  void sendRaw(const Bytes& bytes) { toServer(bytes.data(), bytes.size()); }
  SrtpSession& srtpOut() { return srtpOut_; }

  // Decrypted RTP packets (header + payload), in arrival order.
  std::vector<Bytes> rtp;
  // Decrypted RTCP compounds, and what they said.
  std::vector<Bytes> rtcp;
  RtcpSeen rtcpSeen;
  size_t undecryptable = 0;  // SRTP/SRTCP that failed to unprotect (a test expects 0)
  size_t lost = 0;
  std::vector<uint16_t> lostSequences;  // of the packets loseOnce() dropped, in arrival order

  std::vector<Bytes> rtpOf(uint32_t ssrc) const {
    std::vector<Bytes> out;
    for (const auto& p : rtp) {
      if (media::readSsrc(p.data()) == ssrc) out.push_back(p);
    }
    return out;
  }

 private:
  void onDatagram(const uint8_t* data, size_t size) {
    if (isStun(data, size)) {
      StunMessage m;
      if (m.parse(data, size) == StunParseError::None && m.isSuccessResponse() &&
          m.verifyMessageIntegrity(serverPwd_) && m.verifyFingerprint() && m.xorMappedAddress()) {
        bindingResponses.push_back(*m.xorMappedAddress());
      }
      return;
    }
    if (looksLikeDtls(data, size)) {
      if (dtls_) dtls_->onDatagram(data, size);
      return;
    }
    if (size < 12 || data[0] < 128 || data[0] > 191 || !keys_) return;
    Bytes b(data, data + size);
    if (media::looksLikeRtcp(data, size)) {
      const size_t n = srtpIn_.unprotectRtcp(b.data(), b.size());
      if (n == 0) {
        ++undecryptable;
        return;
      }
      b.resize(n);
      media::parseRtcpCompound(b.data(), b.size(), rtcpSeen);
      rtcp.push_back(std::move(b));
      return;
    }
    auto lose = toLose_.find({media::readSsrc(data), media::readSequence(data)});
    if (lose != toLose_.end()) {
      toLose_.erase(lose);
      ++lost;
      lostSequences.push_back(media::readSequence(data));
      return;
    }
    const size_t n = srtpIn_.unprotectRtp(b.data(), b.size());
    if (n == 0) {
      ++undecryptable;
      return;
    }
    b.resize(n);
    rtp.push_back(std::move(b));
  }

  int fd_ = -1;
  SocketAddress address_;
  std::shared_ptr<DtlsCertificate> certificate_;
  std::unique_ptr<DtlsTransport> dtls_;
  std::optional<DtlsKeys> keys_;
  std::optional<std::string> failure_;
  bool closeNotify_ = false;
  SrtpSession srtpIn_;   // unprotects what the server sends
  SrtpSession srtpOut_;  // protects the viewer's RTCP
  std::set<std::pair<uint32_t, uint16_t>> toLose_;
  std::string serverPwd_;
  uint32_t transactions_ = 0;
};

}  // namespace sluice::webrtc::test
