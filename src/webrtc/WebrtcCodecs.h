#pragma once
// Which of a stream's tracks can go to a browser, and as what: H.264 and H.265 as they are
// shaped, G.711 at 8 kHz and Opus passed through, AAC as the stream's transcoded Opus track. Control plane
// (building an answer, checking it still holds when the viewer attaches).
#include <string>
#include <vector>

#include "stream/StreamFormat.h"
#include "webrtc/WhepAnswer.h"

namespace sluice::webrtc {

// "H264", "H265", "PCMU", "PCMA", "Opus", or "" when browsers cannot take the track as it is.
std::string webrtcCodecName(const media::TrackDescription& track);

// What stream track index `streamTrack` goes out as ("" if nothing): a source track's
// webrtcCodecName, or "Opus" for the transcoded track of one that AudioTranscoding needs.
std::string sendableCodec(const stream::StreamFormat& format, size_t streamTrack);

// The stream's tracks a WHEP viewer could receive, with their stream track indexes (for AAC,
// its transcoded Opus track's).
std::vector<SendableTrack> sendableTracks(const stream::StreamFormat& format);

// Why a viewer cannot have video track `streamTrack` (codec `codec`), which carries B-frames:
// browsers do not play frames out of presentation order over WebRTC (MediaMTX ends such
// sessions too). Says what to do about it.
std::string reorderedVideoReason(size_t streamTrack, const std::string& codec);

}  // namespace sluice::webrtc
