#pragma once
// Every key name a scope accepts (implemented by Sluice or only known from MediaMTX), for
// suggestions and for matching environment variable names.
#include <optional>
#include <string_view>
#include <vector>

namespace sluice::config {

const std::vector<std::string_view>& knownGlobalKeys();  // without pathDefaults and paths
const std::vector<std::string_view>& knownPathKeys();

// The key whose upper-case spelling is `upperName` (environment variables are upper case).
std::optional<std::string_view> findKeyByUpperCase(const std::vector<std::string_view>& keys,
                                                   std::string_view upperName);

}  // namespace sluice::config
