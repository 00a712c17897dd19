#include "config/PathPattern.h"

#include <fmt/format.h>

namespace sluice::config {

std::shared_ptr<const PathPattern> PathPattern::compile(std::string_view re2Pattern, std::string& error) {
  if (re2Pattern.size() > kMaxPatternLength) {
    error = fmt::format("longer than {} characters", kMaxPatternLength);
    return nullptr;
  }
  auto syntax = regex::parseRegex(re2Pattern, error);
  if (!syntax) return nullptr;
  auto program = regex::RegexProgram::compile(*syntax, error);
  if (!program) return nullptr;
  return std::shared_ptr<const PathPattern>(new PathPattern(std::move(*program)));
}

bool PathPattern::search(std::string_view name, std::vector<std::string>* groups) const {
  if (name.size() > kMaxNameLength) return false;
  if (!groups) return program_.search(name, nullptr);
  std::vector<int> captures;
  if (!program_.search(name, &captures)) return false;
  groups->clear();
  for (size_t i = 0; i + 1 < captures.size(); i += 2) {
    const int start = captures[i], end = captures[i + 1];
    groups->push_back(start >= 0 && end >= start ? std::string(name.substr(static_cast<size_t>(start),
                                                                           static_cast<size_t>(end - start)))
                                                 : std::string());
  }
  return true;
}

}  // namespace sluice::config
