// module: config
// Feeds a '~' path name's regular expression and a name to PathPattern (our RE2-syntax parser
// and linear-time matcher). Input: the pattern, a NUL, the name. Compiling ends in a pattern or
// a non-empty error; a search with groups and one without agree; the groups are the whole match
// then one per group, each a piece of the name. Work per search is bounded by construction, so a
// slow input here (libFuzzer's -timeout) is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "config/PathPattern.h"

using sluice::config::PathPattern;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view pattern = input.substr(0, split);
  const std::string_view name =
      split == std::string_view::npos ? std::string_view("cam1") : input.substr(split + 1);
  std::string error;
  auto compiled = PathPattern::compile(pattern, error);
  if (!compiled) {
    if (error.empty()) std::abort();
    return 0;
  }
  std::vector<std::string> groups;
  const bool matched = compiled->search(name, &groups);
  if (matched != compiled->search(name, nullptr)) std::abort();
  if (!matched) return 0;
  if (groups.empty() || name.find(groups[0]) == std::string_view::npos) std::abort();
  for (const std::string& group : groups)
    if (group.size() > name.size()) std::abort();
  return 0;
}
