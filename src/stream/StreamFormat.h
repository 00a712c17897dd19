#pragma once
// What a stream carries: its source's tracks, each described once when the source is
// (media::TrackDescription: codec, clock rate, channels, parameter sets, AAC config). Video
// tracks come first, in the source's order, then audio: a reader's track indexes then mean the
// same thing across a camera's restarts and the offline slate (video only), so readers can be
// kept when the source comes back. Control plane only.
#include <cstdint>
#include <string>
#include <vector>

#include "media/TrackCodec.h"

namespace sluice::stream {

using StreamFormat = std::vector<media::TrackDescription>;

// One H.264 video track (90 kHz, any payload type) with out-of-band SPS/PPS, which may be
// empty (in-band): the demo clip, the offline slate and tests.
media::TrackDescription h264Track(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps);

// "H264, G711": MediaMTX's names of the tracks, for logs and errors.
std::string describeFormat(const StreamFormat& format);

// Whether readers of `current` can go on with `next`: every track position both have carries
// the same codec at the same clock rate and channel count (new parameter sets are fine: they
// arrive before the keyframe that starts the segment). Tracks only one side has are no
// obstacle: a reader of a missing track just receives nothing on it, and a new track is
// offered to new readers. `why` names the first difference.
bool canContinue(const StreamFormat& current, const StreamFormat& next, std::string& why);

}  // namespace sluice::stream
