#pragma once
// The browser side of WHEP's SDP exchange: the recvonly offer a Chromium viewer would send
// (H.264, optionally H.265, video; Opus, PCMU and PCMA audio), and the parts of the server's
// answer the load client acts on.
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
inline constexpr int kOfferH265PayloadType = 104;
inline constexpr int kOfferOpusPayloadType = 111;  // PCMU and PCMA keep their static 0 and 8

struct OfferParams {
  std::string iceUfrag, icePwd;
  std::string fingerprintSha256;  // "AB:CD:..." of the process-wide certificate
  std::string ip;                 // host candidate address (the bound socket's)
  uint16_t port = 0;
  bool h265 = false;  // offer H.265 (PT 104) before H.264
  bool audio = true;  // offer the audio section (a viewer with sound off offers video only)
};

// A video section (mid 0) and, unless `audio` is off, an audio section (mid 1), BUNDLEd, rtcp-mux,
// a=setup:actpass, our credentials and fingerprint, one host candidate (complete, no trickle). Video: H.264
// PT 102 (after H.265 PT 104 with `h265`) with nack / nack pli / ccm fir; audio: Opus
// 111/48000/2, PCMU 0, PCMA 8, as Chromium lists them.
std::string buildWhepOffer(const OfferParams& params);

struct WhepAnswerInfo {
  std::string iceUfrag, icePwd;
  std::string fingerprintAlgorithm, fingerprint;
  std::string setup;  // as answered: passive (we are the DTLS client) or active
  webrtc::DtlsRole dtlsRole = webrtc::DtlsRole::Client;  // ours
  bool iceLite = false;
  std::vector<webrtc::SocketAddress> candidates;  // UDP, component 1, in answer order
  int payloadType = kOfferPayloadType;
  bool h265 = false;       // the answered video codec is H.265 (else H.264)
  uint32_t videoSsrc = 0;  // from a=ssrc, 0 if absent
  // The accepted audio section, if any: payload type -1 when the answer has none.
  int audioPayloadType = -1;
  std::string audioCodec;  // "opus", "PCMU", "PCMA" (as answered)
  uint32_t audioClockRate = 0;
  uint32_t audioSsrc = 0;  // from a=ssrc, 0 if absent
};

// Reads the first accepted video section (port != 0) of an answer, and the first accepted
// audio section with a codec we offered. Errors name what is missing, e.g. "answer has no
// ICE credentials".
std::optional<WhepAnswerInfo> parseWhepAnswer(std::string_view sdp, std::string& error);

}  // namespace sluice::load
