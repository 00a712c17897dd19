#pragma once
// The regular expression of a '~' path name. MediaMTX uses Go's RE2; Sluice compiles the pattern
// as an ECMAScript std::regex, which agrees on the patterns used for camera paths once RE2's
// named groups, "(?i)" and \A \z are rewritten.
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

class PathPattern {
 public:
  // nullptr and `error` set when `re2Pattern` does not compile or is too large (RE2 caps a
  // repetition at 1000; here the product of all repetition counts is capped there too, because
  // std::regex expands repetitions into states).
  static std::shared_ptr<const PathPattern> compile(std::string_view re2Pattern, std::string& error);

  // std::regex's matcher recurses per character: a name of 100,000 characters overflowed the
  // stack, so a longer name than this matches no pattern (no real path name comes near it).
  static constexpr size_t kMaxNameLength = 1024;

  // Unanchored search, like Go's FindStringSubmatch: true on a match, with `groups` (if not null)
  // receiving the whole match, then each group. False for names over kMaxNameLength.
  bool search(std::string_view name, std::vector<std::string>* groups) const;

 private:
  explicit PathPattern(std::regex regex) : regex_(std::move(regex)) {}
  std::regex regex_;
};

}  // namespace sluice::config
