#pragma once
// MediaMTX's environment overrides: RTSP_<KEY> (legacy) then MTX_<KEY>, where KEY is a
// configuration key in upper case; MTX_PATHDEFAULTS_<KEY>; MTX_PATHS_<NAME>_<KEY>, which creates
// path <name> (lower-cased); and <KEY>_<i>_<FIELD> for the lists of structures (EnvironmentLists.h).
#include <map>
#include <string>

#include "config/ConfigBuilder.h"

namespace sluice::config {

using Environment = std::map<std::string, std::string>;

// A snapshot of the process environment.
Environment processEnvironment();

void applyEnvironment(const Environment& environment, ConfigBuilder& builder);

}  // namespace sluice::config
