#pragma once
// JSON string escaping shared by the structured log and the HTTP error bodies. Like Go's
// encoding/json (what MediaMTX emits), it also escapes <, > and & so that the text is
// safe inside HTML.
#include <string>
#include <string_view>

namespace sluice::core {

std::string jsonEscape(std::string_view text);

}  // namespace sluice::core
