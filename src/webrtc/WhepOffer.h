#pragma once
// The parts of a WHEP client's SDP offer (a browser, aiortc, GStreamer...) that the server
// needs to answer it and to run ICE-lite + DTLS, and the trickle-ICE fragments the client
// PATCHes afterwards (MEDIAMTX-COMPAT §2.2, §2.3).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "media/Sdp.h"

namespace sluice::webrtc {

struct WhepOffer {
  // ICE credentials and DTLS fingerprint of the transport that carries the session: those of
  // the offer's BUNDLE-tag section (the first mid of its BUNDLE group, else the first
  // section), falling back to session-level lines.
  std::string iceUfrag, icePwd;
  std::string fingerprintAlgorithm;  // lowercase, e.g. "sha-256" (preferred when several)
  std::string fingerprint;           // "AB:CD:...", as offered
  std::string setup;                 // actpass|active|passive|holdconn; "active" when absent (RFC 4145 §4)
  std::vector<std::string> bundleMids;  // first a=group:BUNDLE, in order

  struct Media {
    std::string type;       // video|audio|application|...
    std::string mid;        // empty if the section has no a=mid
    std::string direction;  // sendrecv|sendonly|recvonly|inactive (session-level default, else sendrecv)
    std::vector<media::SdpCodec> codecs;
    bool rtcpMux = false;
    std::vector<std::string> extmaps;  // a=extmap values
    uint16_t port = 0;                 // 0: the offerer itself disabled the section
    std::string proto;
    std::vector<std::string> formats;  // the m= line formats, for echoing rejected sections
    std::string iceUfrag, icePwd;      // this section's, else the session's (aiortc differs per section)
  };
  std::vector<Media> media;
  std::vector<std::string> candidates;  // a=candidate values (without "candidate:"), all sections
  bool endOfCandidates = false;
};

// Parses and checks an offer. Errors: "invalid SDP: ..." (from media::parseSdp),
// "offer has no media sections", "offer has no ICE credentials", "offer has no DTLS
// fingerprint", and "offer has malformed ..." for credentials, fingerprint, setup, candidates.
std::optional<WhepOffer> parseWhepOffer(std::string_view sdp, std::string& error);

// Body of a PATCH with Content-Type application/trickle-ice-sdpfrag (RFC 8840).
struct TrickleFragment {
  std::string iceUfrag, icePwd;                                 // empty when the fragment carries none
  std::vector<std::pair<std::string, std::string>> candidates;  // (mid, a=candidate value)
  bool endOfCandidates = false;
};

// Accepts optional ice-ufrag/ice-pwd at session or media level, and m= lines each followed
// by a numeric a=mid (MediaMTX uses it as the m-line index) and a=candidate lines.
// Candidates outside any m= section are ignored, as MediaMTX does.
std::optional<TrickleFragment> parseTrickleFragment(std::string_view body, std::string& error);

}  // namespace sluice::webrtc
