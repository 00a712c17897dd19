#pragma once
// Files of src/http/assets/ (player page, camera wall, reader.js), compiled into the
// binary by cmake/embed.cmake so that the server needs no files at run time.
#include <optional>
#include <string_view>

namespace sluice::http {

// Contents of the embedded file `name` (e.g. "reader.js"), or nullopt.
std::optional<std::string_view> findWebAsset(std::string_view name);

}  // namespace sluice::http
