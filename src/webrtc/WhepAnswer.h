#pragma once
// The server's SDP answer to a WHEP offer: ICE-lite, complete (all host candidates, no
// trickle), DTLS server, one H.264 video track and MediaMTX's dummy PCMU audio track
// (MEDIAMTX-COMPAT §2.2, §2.6, §2.8).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "webrtc/WhepOffer.h"

namespace sluice::webrtc {

// The browser's H.264 payload type to send a camera stream with. packetization-mode=1 is
// required; profile-level-id 42e01f is preferred, then 42001f, then other 42xxxx
// (constrained) baseline, then 4dxxxx main, then any H.264. Chromium offers no High profile
// but decodes High streams, so answering with its 42e01f works for any camera profile (as
// MediaMTX does). nullopt when the section has no usable H.264.
std::optional<int> chooseH264PayloadType(const WhepOffer::Media& media);

// Which offered sections the answer accepts, and with which payload types.
struct WhepMediaChoice {
  size_t videoIndex = 0;
  int videoPayloadType = 0;
  std::optional<size_t> audioIndex;  // PCMU audio, when the offer allows it
  int audioPayloadType = 0;

  // The first accepted section: its transport (ICE credentials, candidates) carries the
  // bundled session, so its WhepOffer::Media::iceUfrag/icePwd are the remote credentials.
  size_t transportIndex() const { return audioIndex && *audioIndex < videoIndex ? *audioIndex : videoIndex; }
};

// Video: the first video section the client can receive on (recvonly/sendrecv, rtcp-mux,
// port not 0) with a usable H.264 payload type. Audio: the first audio section, accepted
// with PCMU/8000 only if it offers it, can receive, and is in the same BUNDLE group as the
// video (the session runs a single ICE/DTLS transport). Fails with "codecs not supported by
// client" when no video section qualifies.
std::optional<WhepMediaChoice> chooseWhepMedia(const WhepOffer& offer, std::string& error);

struct WhepAnswerParams {
  std::string iceUfrag, icePwd;
  std::string fingerprintSha256;                                 // "AB:CD:..."
  std::vector<std::pair<std::string, uint16_t>> hostCandidates;  // (ip, port), most preferred first
  // ICE-TCP passive host candidates (RFC 6544), always ranked below every UDP candidate.
  std::vector<std::pair<std::string, uint16_t>> tcpCandidates;
  uint32_t videoSsrc = 0, audioSsrc = 0;
  std::string cname;  // empty: streamId
  std::string streamId = "sluice";
  std::string setup = "passive";  // we are the DTLS server; the browser offers actpass
  uint64_t sessionId = 0;         // o= sess-id; 0 picks a random one
};

// Builds the answer: one m= line per offered one, in offer order (RFC 3264). Accepted
// sections are sendonly with rtcp-mux, the chosen codec's rtpmap/fmtp copied from the offer
// and only the rtcp-fb nack / nack pli / ccm fir the offer listed for it (no RTX, no
// transport-cc, no extmaps). Every other section is rejected with port 0, keeping its mid;
// rejected sections are left out of a=group:BUNDLE.
std::string buildWhepAnswer(const WhepOffer& offer, const WhepMediaChoice& choice,
                            const WhepAnswerParams& params);

}  // namespace sluice::webrtc
