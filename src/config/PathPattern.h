#pragma once
// The regular expression of a '~' path name. MediaMTX uses Go's regexp (RE2 syntax, matching in
// time linear in the name); Sluice parses the same syntax (RegexSyntax) and matches with its own
// linear-time VM (RegexProgram), so no pattern can make a lookup backtrack.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/RegexProgram.h"

namespace sluice::config {

class PathPattern {
 public:
  // Longer patterns are refused: a path name is a YAML key, and the matcher's work grows with
  // the program.
  static constexpr size_t kMaxPatternLength = 1024;

  // nullptr and `error` set (in Go's words) when `re2Pattern` does not compile or is too large
  // (RE2's limits: counts up to 1000, and a program bound; RegexProgram).
  static std::shared_ptr<const PathPattern> compile(std::string_view re2Pattern, std::string& error);

  // Names longer than this match no pattern: no real path name comes near it, and it bounds a
  // lookup's work (instructions x name length).
  static constexpr size_t kMaxNameLength = 1024;

  // Unanchored search, like Go's FindStringSubmatch: true on a match, with `groups` (if not null)
  // receiving the whole match, then each group ("" for a group that took no part). False for
  // names over kMaxNameLength.
  bool search(std::string_view name, std::vector<std::string>* groups) const;

 private:
  explicit PathPattern(regex::RegexProgram program) : program_(std::move(program)) {}
  regex::RegexProgram program_;
};

}  // namespace sluice::config
