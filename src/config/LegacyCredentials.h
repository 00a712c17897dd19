#pragma once
#include "config/Config.h"
#include "config/InputValue.h"

namespace sluice::config {

// MediaMTX's handling of the deprecated per-path credentials (publishUser, publishPass,
// publishIPs, readUser, readPass, readIPs), run once paths are final. When pathDefaults or any
// path sets one of them, authInternalUsers must still be MediaMTX's default (else ConfigError
// naming `where`) and is replaced by: anyone may play back, api/metrics/pprof from localhost,
// plus a publish and a read entry for every path. The legacy values are then cleared.
void convertLegacyCredentials(Config& config, const Origin& where);

}  // namespace sluice::config
