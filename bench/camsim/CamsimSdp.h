#pragma once
// The session description a stream answers DESCRIBE with: the video track (H.264 or H.265,
// as the clip) with its parameter sets (and H.264 profile) taken from the clip, so a reader
// knows the picture before the first keyframe; then, if the stream has audio, the audio
// track (PCMU/8000, or mpeg4-generic AAC-hbr with the clip's AudioSpecificConfig).
#include <string>
#include <string_view>

#include "camsim/CamsimAudioClip.h"
#include "camsim/CamsimClip.h"

namespace sluice::camsim {

// Track controls, relative to the stream's URL (Content-Base): index 0 video, 1 audio.
inline constexpr std::string_view kTrackControls[] = {"trackID=0", "trackID=1"};

// `address` goes into o=; `name` into s=. `audio` may be null (video only).
std::string buildCamsimSdp(const CamsimClip& clip, const CamsimAudioClip* audio, std::string_view name,
                           int fps, std::string_view address);

}  // namespace sluice::camsim
