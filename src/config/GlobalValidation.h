#pragma once
#include <string>
#include <vector>

#include "config/Config.h"
#include "config/InputValue.h"

namespace sluice::config {

// Rules that involve several top-level keys (MediaMTX's Conf.Validate), checked once the file and
// the environment have been applied. Throws ConfigError naming `where`.
void validateGlobals(const Config& config, const Origin& where, std::vector<std::string>& warnings);

}  // namespace sluice::config
