#pragma once
// MediaMTX's environment grammar for the global keys whose value is a list of structures
// (webrtcICEServers2, authInternalUsers, authHTTPExclude): <BASE>="" empties the list, and
// <BASE>_<i>_<FIELD>=value sets a field of item i, updating an item of the file in place or
// appending one. Indexes must be contiguous, as in MediaMTX. A list field of an item is given
// comma-separated (<BASE>_0_IPS=10.0.0.0/8,::1) and a nested list of structures with the same
// grammar one level down (<BASE>_0_PERMISSIONS_1_ACTION=read).
#include <string>
#include <string_view>

#include "config/ConfigBuilder.h"
#include "config/EnvironmentOverrides.h"

namespace sluice::config {

bool isStructListKey(std::string_view key);

// Applies the variables named `base` ("MTX_AUTHINTERNALUSERS") and `base`_... to global key `key`
// (one for which isStructListKey is true). The result goes through the same reader as the file's
// list, so it is checked the same way.
void applyStructListVariables(const Environment& environment, const std::string& base, std::string_view key,
                              ConfigBuilder& builder);

}  // namespace sluice::config
