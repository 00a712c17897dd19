#pragma once
// MediaMTX's alwaysAvailable keys: reading alwaysAvailableTracks, and the checks of a path
// that sets alwaysAvailable (MediaMTX's rules, plus what Sluice can play: an H264 slate).
#include <string>
#include <vector>

#include "config/Config.h"
#include "config/InputValue.h"

namespace sluice::config {

// A list of {codec, sampleRate, channelCount, muLaw} mappings, each checked as MediaMTX does.
void parseValue(const InputValue& in, std::vector<AlwaysAvailableTrack>& out);

// Throws ConfigError naming `where`; appends warnings for tracks Sluice leaves out.
void validateAlwaysAvailable(const PathConfig& path, const Origin& where, std::vector<std::string>& warnings);

}  // namespace sluice::config
