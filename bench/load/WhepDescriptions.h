#pragma once
// The browser side of WHEP's SDP exchange: the recvonly H.264 offer a Chromium viewer would
// send, and the parts of the server's answer the load client acts on.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "webrtc/DtlsTransport.h"
#include "webrtc/SocketAddress.h"

namespace sluice::load {

// H.264 as Chromium offers it first: constrained baseline 3.1, packetization-mode 1.
inline constexpr int kOfferPayloadType = 102;

struct OfferParams {
  std::string iceUfrag, icePwd;
  std::string fingerprintSha256;  // "AB:CD:..." of the process-wide certificate
  std::string ip;                 // host candidate address (the bound socket's)
  uint16_t port = 0;
};

// One video section, BUNDLEd, rtcp-mux, a=setup:actpass, our credentials and fingerprint,
// H.264 PT 102 with nack / nack pli / ccm fir, and one host candidate (complete, no trickle).
std::string buildWhepOffer(const OfferParams& params);

struct WhepAnswerInfo {
  std::string iceUfrag, icePwd;
  std::string fingerprintAlgorithm, fingerprint;
  std::string setup;  // as answered: passive (we are the DTLS client) or active
  webrtc::DtlsRole dtlsRole = webrtc::DtlsRole::Client;  // ours
  bool iceLite = false;
  std::vector<webrtc::SocketAddress> candidates;  // UDP, component 1, in answer order
  int payloadType = kOfferPayloadType;
  uint32_t videoSsrc = 0;  // from a=ssrc, 0 if absent
};

// Reads the first accepted video section (port != 0) of an answer. Errors name what is
// missing, e.g. "answer has no ICE credentials".
std::optional<WhepAnswerInfo> parseWhepAnswer(std::string_view sdp, std::string& error);

}  // namespace sluice::load
