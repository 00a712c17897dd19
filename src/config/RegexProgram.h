#pragma once
// A compiled path-name regular expression and its matcher: a Pike VM (Thompson's simulation
// with capture slots), so a search costs at most instructions x name length steps whatever the
// pattern. std::regex backtracks and ran for minutes on patterns RE2 (MediaMTX) accepts, such as
// a repeated group of empty and overlapping alternatives (found by config_fuzz). Matching is
// leftmost-first, as Go's regexp: the leftmost match, and of those the one a backtracking
// matcher trying alternatives in order would find.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/RegexSyntax.h"

namespace sluice::config::regex {

class RegexProgram {
 public:
  // The work bound: a search steps at most kMaxInstructions threads per byte of the name, each
  // carrying its capture slots; larger programs are refused as RE2 refuses them ("expression
  // too large"), long before a search could take milliseconds.
  static constexpr size_t kMaxInstructions = 10000;
  static constexpr size_t kMaxThreadSlots = 100000;  // instructions x capture slots

  static std::optional<RegexProgram> compile(const Syntax& syntax, std::string& error);

  // Unanchored search. On a match, `captures` (if not null) holds 2 x (groups() + 1) offsets
  // into `text`, start and end of the whole match then of each group, -1 for a group that did
  // not take part.
  bool search(std::string_view text, std::vector<int>* captures) const;

  int groups() const { return groups_; }
  size_t size() const { return insts_.size(); }

 private:
  enum class Op : uint8_t { Byte, Split, Jump, Save, Assert, Match };
  struct Inst {
    Op op;
    Node::Kind assertion;  // Assert
    uint32_t x;            // Byte: index into sets_; Split: preferred; Jump: target; Save: slot
    uint32_t y;            // Split: the other branch
  };
  class Compiler;  // Syntax -> insts_
  class Search;    // one run of the VM

  std::vector<Inst> insts_;
  std::vector<ByteSet> sets_;
  int groups_ = 0;
};

}  // namespace sluice::config::regex
