#pragma once
#include <chrono>
#include <optional>
#include <string_view>

namespace sluice::config {

// Parses a MediaMTX duration: a Go duration ("10s", "200ms", "1m30s", "1.5h", "0", units ns, us,
// µs, ms, s, m, h) optionally preceded by whole days ("1d", "1d12h"). nullopt if malformed or
// out of range.
std::optional<std::chrono::nanoseconds> parseDuration(std::string_view text);

}  // namespace sluice::config
