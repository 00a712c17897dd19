#pragma once
// The server's SDP answer to a WHEP offer: ICE-lite, complete (all host candidates, no
// trickle), DTLS server, at most one video track (H.265 or H.264) and one audio track (Opus
// or G.711, else MediaMTX's dummy PCMU track) out of a stream's tracks
// (MEDIAMTX-COMPAT §2.2, §2.6, §2.8).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "webrtc/WhepOffer.h"

namespace sluice::webrtc {

// One stream track the server could deliver over WebRTC. Entries with another codec, or
// with a clock rate / channel count WebRTC cannot carry as such, are never chosen (they
// still appear in the "codecs not supported" error).
struct SendableTrack {
  size_t streamTrack = 0;  // the stream's track index: opaque here, copied into the choice
  std::string codec;       // "H264", "H265", "PCMU", "PCMA", "Opus" (ASCII case-insensitive)
  uint32_t clockRate = 0;  // 90000 for video, 8000 for G.711, 48000 for Opus
  uint32_t channels = 0;   // audio: 1 or 2 (Opus: the source's; its SDP always says opus/48000/2)
  bool video() const;
};

// streamTrack of MediaMTX's dummy PCMU audio track: negotiated so that Chrome and Firefox
// show the video of a stream without deliverable audio; nothing is ever sent on it.
inline constexpr size_t kDummyAudioTrack = SIZE_MAX;

// One accepted offer section and what it carries.
struct WhepTrackChoice {
  size_t streamTrack = 0;  // from SendableTrack; kDummyAudioTrack for the dummy PCMU track
  size_t offerIndex = 0;   // the offer's m= section
  int payloadType = 0;     // the client's payload type for the codec
  std::string codec;       // "H264", "H265", "Opus", "PCMU", "PCMA"
  uint32_t clockRate = 0;  // of the RTP stream: 90000, 48000 (Opus), 8000 (G.711)
  uint32_t channels = 0;   // the source's channels (audio); the dummy track: 1
  bool video = false;
  bool dummy() const { return streamTrack == kDummyAudioTrack; }
};

struct WhepMediaChoice {
  std::vector<WhepTrackChoice> tracks;  // one or two, in offer order

  // The first accepted section: its transport (ICE credentials, candidates) carries the
  // bundled session, so its WhepOffer::Media::iceUfrag/icePwd are the remote credentials.
  size_t transportIndex() const { return tracks.empty() ? 0 : tracks.front().offerIndex; }
  const WhepTrackChoice* video() const;  // nullptr when no video is sent
  const WhepTrackChoice* audio() const;  // nullptr when no audio section is accepted (may be the dummy)
};

// The browser's H.264 payload type to send a camera stream with. packetization-mode=1 is
// required; profile-level-id 42e01f is preferred, then 42001f, then other 42xxxx
// (constrained) baseline, then 4dxxxx main, then any H.264. Chromium offers no High profile
// but decodes High streams, so answering with its 42e01f works for any camera profile (as
// MediaMTX does). nullopt when the section has no usable H.264.
std::optional<int> chooseH264PayloadType(const WhepOffer::Media& media);

// The browser's H.265 payload type (RFC 7798, H265/90000). profile-id 1 (Main) or no
// profile-id is preferred, then 2 (Main 10, which decodes Main too), then any other; any
// tier and level (the browser decodes what it offers). A tx-mode other than SRST is skipped:
// the stream is sent as one RTP stream. nullopt when the section has no usable H.265.
std::optional<int> chooseH265PayloadType(const WhepOffer::Media& media);

// Chooses what to send, MediaMTX-style: at most one video and one audio track, each the
// first match in priority order whose codec the offer can receive (a section that is
// recvonly/sendrecv, has rtcp-mux and a non-zero port).
// - Video: H.265, then H.264, in the first such video section offering the codec.
// - Audio: Opus (offered opus/48000/2), then G.711 (offered PCMU/8000 resp. PCMA/8000, with
//   the source's channel count), among the stream's audio tracks in stream order. When video
//   is sent, the audio section must share the offer's BUNDLE group with it (the session runs
//   one ICE/DTLS transport); an audio-only answer needs no BUNDLE.
// - Video sent but no stream audio accepted: MediaMTX's dummy PCMU/8000 track, in the first
//   audio section that qualifies as above, if any.
// Fails with "codecs not supported by client: the stream has ...; the offer has ..." when
// the stream has video and the offer can take none of its video codecs (a camera viewer
// getting only its sound would be a surprise), or when an audio-only stream's audio cannot
// be taken; with "the stream doesn't contain any supported codec, which are currently
// H265, H264, Opus, G711" when `tracks` holds no codec of those.
std::optional<WhepMediaChoice> chooseWhepMedia(const WhepOffer& offer, std::span<const SendableTrack> tracks,
                                               std::string& error);

struct WhepAnswerParams {
  std::string iceUfrag, icePwd;
  std::string fingerprintSha256;                                 // "AB:CD:..."
  std::vector<std::pair<std::string, uint16_t>> hostCandidates;  // (ip, port), most preferred first
  // ICE-TCP passive host candidates (RFC 6544), always ranked below every UDP candidate.
  std::vector<std::pair<std::string, uint16_t>> tcpCandidates;
  std::vector<uint32_t> ssrcs;  // ssrcs[i]: the SSRC of choice.tracks[i]; one per track
  std::string cname;            // empty: streamId
  std::string streamId = "sluice";
  std::string setup = "passive";  // we are the DTLS server; the browser offers actpass
  uint64_t sessionId = 0;         // o= sess-id; 0 picks a random one
};

// Builds the answer: one m= line per offered one, in offer order (RFC 3264). Accepted
// sections are sendonly with rtcp-mux, msid "<streamId> video|audio" and their own SSRC,
// the chosen codec's rtpmap/fmtp copied from the offer (Opus from a stereo source adds
// stereo=1;sprop-stereo=1, as MediaMTX does) and, for video only, the rtcp-fb nack /
// nack pli / ccm fir the offer listed for it (no RTX, no transport-cc, no extmaps; audio
// gets no feedback: no NACK for audio, as in MediaMTX). Every other section is rejected with
// port 0, keeping its mid; rejected sections are left out of a=group:BUNDLE. Candidates go
// in the first accepted section only. A choice whose payload type the offer lacks, or that
// has no SSRC (params.ssrcs needs one per track; asserted in debug builds), rejects its
// section rather than answering something the client never offered.
std::string buildWhepAnswer(const WhepOffer& offer, const WhepMediaChoice& choice,
                            const WhepAnswerParams& params);

}  // namespace sluice::webrtc
