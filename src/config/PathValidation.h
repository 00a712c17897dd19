#pragma once
#include <string>
#include <vector>

#include "config/Config.h"
#include "config/InputValue.h"

namespace sluice::config {

// Checks an effective path (pathDefaults overlaid with the path's keys) against MediaMTX's rules
// and fills regex, pattern and sourceSupported. Throws ConfigError naming `where`; appends a
// warning when the source is a MediaMTX scheme Sluice cannot pull yet.
void validatePath(PathConfig& path, const Origin& where, std::vector<std::string>& warnings);

}  // namespace sluice::config
