#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sluice::config {

// MediaMTX's rules for a static path name (and for a name a client asks for): only
// [0-9a-zA-Z_-/.], no leading or trailing '/', no '.' or '..' segment. Returns why `name` is
// invalid, or nullopt if it is valid.
std::optional<std::string> pathNameProblem(std::string_view name);

// 'all' and 'all_others' are MediaMTX's aliases of '~^.*$'.
bool isAllPathsAlias(std::string_view name);

}  // namespace sluice::config
