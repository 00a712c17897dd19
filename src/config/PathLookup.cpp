#include <algorithm>

#include "config/Config.h"
#include "config/PathName.h"
#include "config/PathPattern.h"

namespace sluice::config {

const PathConfig* findPath(const Config& config, std::string_view name,
                           std::vector<std::string>* regexGroups) {
  if (regexGroups) regexGroups->clear();
  for (const PathConfig& path : config.paths) {
    if (!path.regex && path.name == name) return &path;
  }
  if (pathNameProblem(name)) return nullptr;

  std::vector<const PathConfig*> candidates;
  for (const PathConfig& path : config.paths) {
    if (path.regex && path.pattern) candidates.push_back(&path);
  }
  // MediaMTX's order: by name, with all/all_others last.
  std::sort(candidates.begin(), candidates.end(), [](const PathConfig* a, const PathConfig* b) {
    const bool aLast = isAllPathsAlias(a->name), bLast = isAllPathsAlias(b->name);
    if (aLast != bLast) return bLast;
    return a->name < b->name;
  });
  for (const PathConfig* path : candidates) {
    if (path->pattern->search(name, regexGroups)) return path;
  }
  return nullptr;
}

}  // namespace sluice::config
