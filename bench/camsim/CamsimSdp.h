#pragma once
// The session description a stream answers DESCRIBE with: one H.264 track, its parameter
// sets and profile taken from the clip, so a reader knows the picture before the first IDR.
#include <string>
#include <string_view>

#include "camsim/CamsimClip.h"

namespace sluice::camsim {

inline constexpr std::string_view kTrackControl = "trackID=0";

// `address` goes into o=; `name` into s=.
std::string buildCamsimSdp(const CamsimClip& clip, std::string_view name, int fps, std::string_view address);

}  // namespace sluice::camsim
