#pragma once
// The viewer's ICE agent (RFC 8445) in the controlling role, as a browser runs it against a
// WHEP server: connectivity checks with aggressive nomination (USE-CANDIDATE) to each of
// the answer's candidates from our single host candidate, retransmitted until one succeeds;
// consent checks on the selected pair every ~2.5 s (RFC 7675); and answers to the server's
// own checks, which full-ICE servers (MediaMTX/pion, aiortc) send and need answered before
// they consider the pair usable. Against an ICE-lite server (Sluice) only the first part runs.
//
// Owns no socket and no timer: datagrams come in through onStun(), go out through the
// send callback, and time advances through tick(). Single-threaded.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "webrtc/SocketAddress.h"
#include "webrtc/StunMessage.h"

namespace sluice::load {

class IceAgent {
 public:
  struct Params {
    std::string localUfrag, localPwd;
    std::string remoteUfrag, remotePwd;
    std::vector<webrtc::SocketAddress> remoteCandidates;
  };
  using SendFunction = std::function<void(const uint8_t* data, size_t size, const webrtc::SocketAddress& to)>;

  IceAgent(Params params, SendFunction send);

  // Sends the first round of checks.
  void start(int64_t nowUs);
  // One datagram that isStun() accepted, from `from`.
  void onStun(const uint8_t* data, size_t size, const webrtc::SocketAddress& from, int64_t nowUs);
  // Retransmits checks and sends consent checks when due.
  void tick(int64_t nowUs);

  bool connected() const { return selected_.has_value(); }
  const std::optional<webrtc::SocketAddress>& selected() const { return selected_; }
  // Time since the last authenticated response on the selected pair (consent freshness).
  int64_t lastResponseUs() const { return lastResponseUs_; }

  uint64_t checksSent() const { return checksSent_; }
  uint64_t responsesReceived() const { return responsesReceived_; }
  uint64_t requestsAnswered() const { return requestsAnswered_; }
  int64_t rttUs() const { return rttUs_; }

 private:
  struct Transaction {
    webrtc::StunTransactionId id{};
    size_t candidate = 0;
    int64_t sentUs = 0;
    bool inUse = false;
  };

  void sendCheck(size_t candidate, bool nominate, int64_t nowUs);
  void onResponse(const webrtc::StunMessage& message, const webrtc::SocketAddress& from, int64_t nowUs);
  void answerRequest(const webrtc::StunMessage& message, const webrtc::SocketAddress& from);

  Params params_;
  SendFunction send_;
  uint64_t tieBreaker_;
  uint32_t priority_;
  // A small ring is enough: a check older than the last few rounds is not worth matching.
  static constexpr size_t kMaxTransactions = 16;
  Transaction transactions_[kMaxTransactions];
  size_t nextTransaction_ = 0;

  std::optional<webrtc::SocketAddress> selected_;
  int64_t nextRoundUs_ = 0;
  int64_t roundIntervalUs_ = 0;
  int64_t lastResponseUs_ = 0;
  uint64_t checksSent_ = 0, responsesReceived_ = 0, requestsAnswered_ = 0;
  int64_t rttUs_ = -1;
};

}  // namespace sluice::load
