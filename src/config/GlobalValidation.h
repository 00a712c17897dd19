#pragma once
#include <string>
#include <vector>

#include "config/Config.h"
#include "config/InputValue.h"

namespace sluice::config {

// Rules that involve several top-level keys (MediaMTX's Conf.Validate), checked once the file and
// the environment have been applied. Throws ConfigError naming `where`.
void validateGlobals(const Config& config, const Origin& where, std::vector<std::string>& warnings);

// rtspAuthMethods with digest: the server must know every plain-text password (as MediaMTX,
// hashed credentials are refused). Checked once the legacy path credentials are users too.
void validateRtspDigest(const Config& config, const Origin& where);

}  // namespace sluice::config
