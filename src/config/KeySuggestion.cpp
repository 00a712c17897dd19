#include "config/KeySuggestion.h"

#include <algorithm>
#include <cctype>

#include "core/AsciiText.h"

namespace sluice::config {
namespace {

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution =
          previous[j - 1] + (core::asciiLower(a[i - 1]) == core::asciiLower(b[j - 1]) ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
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
    const size_t lengthGap = key.size() > candidate.size() ? key.size() - candidate.size() : candidate.size() - key.size();
    if (lengthGap >= bestDistance) continue;
    size_t distance = editDistance(key, candidate);
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
