#pragma once
// The syntax of a '~' path name's regular expression, as Go's regexp (RE2) reads it, parsed into
// a tree that RegexProgram compiles. Sluice matches bytes: path names are ASCII (PathValidation),
// so "." and classes match one byte where Go matches one UTF-8 character. Unicode classes (\p)
// and \C are refused with a clear error rather than half-supported.
#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config::regex {

using ByteSet = std::bitset<256>;

struct Node {
  enum class Kind {
    Empty,           // matches the empty string
    Bytes,           // one byte in `bytes`
    BeginText,       // ^ (or \A)
    EndText,         // $ (or \z)
    BeginLine,       // ^ with the m flag
    EndLine,         // $ with the m flag
    WordBoundary,    // \b
    NoWordBoundary,  // \B
    Concat,          // children in order
    Alternate,       // children, the first that matches preferred (leftmost-first, as Go)
    Repeat,          // children[0], min..max times (max -1: unbounded)
    Capture,         // children[0] as group `capture`
  };
  Kind kind = Kind::Empty;
  ByteSet bytes;
  std::vector<Node> children;
  int min = 0;
  int max = -1;
  bool greedy = true;
  int capture = 0;
};

struct Syntax {
  Node root;
  int captures = 0;  // groups, not counting the whole match
};

// RE2's limits, as Go's regexp applies them: a repetition count (or nested counts multiplied)
// above 1000 is refused ("invalid repeat count"), and groups nest at most 1000 deep.
constexpr int kMaxRepeat = 1000;
constexpr int kMaxNesting = 1000;

// \w and the word boundaries' notion of a word character, as Go's: ASCII letters, digits, '_'.
inline bool isWordByte(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// The tree of `pattern`, or nullopt and `error` in Go's words ("missing closing ): `(a`").
std::optional<Syntax> parseRegex(std::string_view pattern, std::string& error);

}  // namespace sluice::config::regex
