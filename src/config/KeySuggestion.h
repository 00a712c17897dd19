#pragma once
// "Did you mean ...?" for misspelt configuration keys.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

// The candidate closest to `key` by case-insensitive edit distance, if it is close enough to be a
// typo of it (at most 2 edits, or a quarter of the key's length for long keys).
std::optional<std::string_view> closestKey(std::string_view key,
                                           const std::vector<std::string_view>& candidates);

// " (did you mean 'webrtcAddress'?)", or "" when nothing is close.
std::string didYouMean(std::string_view key, const std::vector<std::string_view>& candidates);

}  // namespace sluice::config
