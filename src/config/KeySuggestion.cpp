#include "config/KeySuggestion.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/AsciiText.h"

namespace sluice::config {
namespace {

// The edit distance of `a` and `b` (ASCII case ignored) if it is at most `bound`, else bound + 1:
// a row whose smallest entry already exceeds the bound ends the search (config_fuzz spends much
// of its time here on unknown keys). Keys are at most 64 characters (closestKey).
size_t editDistanceWithin(std::string_view a, std::string_view b, size_t bound) {
  constexpr size_t kMaxKey = 64;
  if (b.size() > kMaxKey) return bound + 1;
  std::array<size_t, kMaxKey + 1> previous{}, current{};
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    size_t rowMin = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution =
          previous[j - 1] + (core::asciiLower(a[i - 1]) == core::asciiLower(b[j - 1]) ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      rowMin = std::min(rowMin, current[j]);
    }
    if (rowMin > bound) return bound + 1;
    std::swap(previous, current);
  }
  return std::min(previous[b.size()], bound + 1);
}

}  // namespace

std::optional<std::string_view> closestKey(std::string_view key,
                                           const std::vector<std::string_view>& candidates) {
  // Keys are short; very long input (garbage, fuzzing) cannot be a typo worth the quadratic cost.
  if (key.empty() || key.size() > 64) return std::nullopt;
  const size_t limit = std::max<size_t>(2, key.size() / 4);
  std::optional<std::string_view> best;
  size_t bestDistance = limit + 1;
  for (std::string_view candidate : candidates) {
    // The length difference is a lower bound of the distance: most candidates end here.
    const size_t lengthGap =
        key.size() > candidate.size() ? key.size() - candidate.size() : candidate.size() - key.size();
    if (lengthGap >= bestDistance) continue;
    const size_t distance = editDistanceWithin(key, candidate, bestDistance - 1);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best;
}

std::string didYouMean(std::string_view key, const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best = closestKey(key, candidates);
  return best ? " (did you mean '" + std::string(*best) + "'?)" : std::string();
}

}  // namespace sluice::config
