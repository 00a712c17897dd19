#include "load/IceAgent.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "core/Random.h"

namespace sluice::load {
namespace {

using webrtc::StunMessage;
using webrtc::StunMessageBuilder;

// RFC 8445 14: checks start at Ta = 50 ms and back off (like a browser's STUN RTO) so a
// server that is slow to answer is not flooded; once connected only consent checks remain,
// every 2.5 s as Chromium sends them (RFC 7675 allows 4-6 s, randomised).
constexpr int64_t kFirstRoundIntervalUs = 50'000;
constexpr int64_t kMaxRoundIntervalUs = 500'000;
constexpr int64_t kConsentIntervalUs = 2'500'000;

// A peer-reflexive candidate's priority (RFC 8445 7.1.1): type preference 110.
constexpr uint32_t kPeerReflexivePriority = (110u << 24) | (65535u << 8) | 255u;

}  // namespace

IceAgent::IceAgent(Params params, SendFunction send)
    : params_(std::move(params)), send_(std::move(send)), priority_(kPeerReflexivePriority) {
  tieBreaker_ = (uint64_t{core::random32()} << 32) | core::random32();
}

void IceAgent::start(int64_t nowUs) {
  roundIntervalUs_ = kFirstRoundIntervalUs;
  nextRoundUs_ = nowUs;
  tick(nowUs);
}

void IceAgent::sendCheck(size_t candidate, bool nominate, int64_t nowUs) {
  Transaction& t = transactions_[nextTransaction_];
  nextTransaction_ = (nextTransaction_ + 1) % kMaxTransactions;
  RAND_bytes(t.id.data(), static_cast<int>(t.id.size()));
  t.candidate = candidate;
  t.sentUs = nowUs;
  t.inUse = true;

  // RFC 8445 7.2.2: USERNAME is "remote:local", integrity with the remote password.
  uint8_t buffer[512];
  StunMessageBuilder b(buffer, sizeof(buffer));
  b.bindingRequest(t.id, params_.remoteUfrag + ":" + params_.localUfrag, priority_, tieBreaker_, nominate);
  b.appendMessageIntegrity(params_.remotePwd);
  b.appendFingerprint();
  if (!b.ok()) return;
  send_(buffer, b.size(), params_.remoteCandidates[candidate]);
  ++checksSent_;
}

void IceAgent::tick(int64_t nowUs) {
  if (nowUs < nextRoundUs_ || params_.remoteCandidates.empty()) return;
  if (selected_) {
    // Consent: only the selected pair, without USE-CANDIDATE (nomination is done).
    auto it = std::find(params_.remoteCandidates.begin(), params_.remoteCandidates.end(), *selected_);
    if (it != params_.remoteCandidates.end()) {
      sendCheck(static_cast<size_t>(it - params_.remoteCandidates.begin()), false, nowUs);
    }
    nextRoundUs_ = nowUs + kConsentIntervalUs;
    return;
  }
  for (size_t i = 0; i < params_.remoteCandidates.size(); ++i) sendCheck(i, true, nowUs);
  nextRoundUs_ = nowUs + roundIntervalUs_;
  roundIntervalUs_ = std::min(roundIntervalUs_ * 2, kMaxRoundIntervalUs);
}

void IceAgent::onStun(const uint8_t* data, size_t size, const webrtc::SocketAddress& from, int64_t nowUs) {
  StunMessage message;
  if (message.parse(data, size) != webrtc::StunParseError::None || message.method() != 0x001) return;
  // FINGERPRINT is optional in STUN but every ICE implementation sends it; check it when present.
  if (message.hasFingerprint() && !message.verifyFingerprint()) return;
  if (message.isRequest()) {
    answerRequest(message, from);
  } else if (message.isSuccessResponse()) {
    onResponse(message, from, nowUs);
  }
  // Error responses (e.g. 487 role conflict) are left to the retransmissions: as the
  // offerer we are always controlling, and WHEP servers always take the controlled role.
}

void IceAgent::onResponse(const StunMessage& message, const webrtc::SocketAddress& from, int64_t nowUs) {
  const auto id = message.transactionId();
  for (Transaction& t : transactions_) {
    if (!t.inUse || t.id != id) continue;
    // The response must come from where the request went (RFC 8445 7.2.5.2.1) and be
    // signed with the password of the agent we checked.
    const auto& to = params_.remoteCandidates[t.candidate];
    if (!(from == to) || !message.verifyMessageIntegrity(params_.remotePwd)) return;
    t.inUse = false;
    ++responsesReceived_;
    rttUs_ = nowUs - t.sentUs;
    lastResponseUs_ = nowUs;
    if (!selected_) {
      selected_ = to;
      nextRoundUs_ = nowUs + kConsentIntervalUs;
    }
    return;
  }
}

void IceAgent::answerRequest(const StunMessage& message, const webrtc::SocketAddress& from) {
  // The server checks us with USERNAME "local:remote" signed with our password.
  auto username = message.username();
  if (!username || !message.hasMessageIntegrity()) return;
  const std::string& ufrag = params_.localUfrag;
  if (username->size() <= ufrag.size() || username->compare(0, ufrag.size(), ufrag) != 0 ||
      (*username)[ufrag.size()] != ':') {
    return;
  }
  if (!message.verifyMessageIntegrity(params_.localPwd)) return;
  auto mapped =
      webrtc::StunAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&from.storage), from.length);
  if (!mapped) return;
  uint8_t buffer[256];
  StunMessageBuilder b(buffer, sizeof(buffer));
  b.bindingSuccess(message.transactionId(), *mapped);
  b.appendMessageIntegrity(params_.localPwd);
  b.appendFingerprint();
  if (!b.ok()) return;
  send_(buffer, b.size(), from);
  ++requestsAnswered_;
}

}  // namespace sluice::load
