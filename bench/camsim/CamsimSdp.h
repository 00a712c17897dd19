#pragma once
// The session description a stream answers DESCRIBE with: one video track (H.264 or H.265,
// as the clip), its parameter sets (and H.264 profile) taken from the clip, so a reader knows
// the picture before the first keyframe.
#include <string>
#include <string_view>

#include "camsim/CamsimClip.h"

namespace sluice::camsim {

inline constexpr std::string_view kTrackControl = "trackID=0";

// `address` goes into o=; `name` into s=.
std::string buildCamsimSdp(const CamsimClip& clip, std::string_view name, int fps, std::string_view address);

}  // namespace sluice::camsim
