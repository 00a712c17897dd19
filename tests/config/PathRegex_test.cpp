// PathPattern's own parser and matcher: Go's regexp (RE2) syntax, leftmost-first matches with
// Go's groups, Go's errors, and linear work on patterns a backtracking matcher explodes on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/PathPattern.h"

namespace sluice::config {
namespace {

using Groups = std::vector<std::string>;

std::shared_ptr<const PathPattern> compiled(const std::string& pattern) {
  std::string error;
  auto p = PathPattern::compile(pattern, error);
  EXPECT_NE(p, nullptr) << pattern << ": " << error;
  return p;
}

// The groups of the match (whole match first), or {"<no match>"}.
Groups find(const std::string& pattern, const std::string& name) {
  auto p = compiled(pattern);
  if (!p) return {"<no compile>"};
  Groups groups;
  if (!p->search(name, &groups)) return {"<no match>"};
  // Without groups asked for, the answer is the same.
  EXPECT_TRUE(p->search(name, nullptr)) << pattern << " on " << name;
  return groups;
}

bool matches(const std::string& pattern, const std::string& name) {
  auto p = compiled(pattern);
  return p && p->search(name, nullptr);
}

std::string errorOf(const std::string& pattern) {
  std::string error;
  auto p = PathPattern::compile(pattern, error);
  EXPECT_EQ(p, nullptr) << pattern;
  return error;
}

const Groups kNoMatch{"<no match>"};

TEST(PathRegex, LeftmostFirstAsGo) {
  EXPECT_EQ(find("a|ab", "ab"), Groups{"a"});  // first alternative, not longest
  EXPECT_EQ(find("(a+)(a*)", "aaa"), (Groups{"aaa", "aaa", ""}));
  EXPECT_EQ(find("(a+?)(a*)", "aaa"), (Groups{"aaa", "a", "aa"}));
  EXPECT_EQ(find("(a|ab)(c|bcd)", "abcd"), (Groups{"abcd", "a", "bcd"}));
  EXPECT_EQ(find("cam", "xcamy"), Groups{"cam"});           // unanchored
  EXPECT_EQ(find("a*", "baaa"), Groups{""});                // the leftmost match is the empty one
  EXPECT_EQ(find("(a)|(b)", "b"), (Groups{"b", "", "b"}));  // a group that took no part is ""
  EXPECT_EQ(find("", "anything"), Groups{""});
  EXPECT_EQ(find("(?U)a+", "aaa"), Groups{"a"});
  EXPECT_EQ(find("(?U)a+?", "aaa"), Groups{"aaa"});
}

TEST(PathRegex, CameraPatterns) {
  EXPECT_EQ(find("^cam(\\d+)$", "cam12"), (Groups{"cam12", "12"}));
  EXPECT_EQ(find("^(site)/(cam)(\\d{2})$", "site/cam07"), (Groups{"site/cam07", "site", "cam", "07"}));
  EXPECT_EQ(find("^(?P<zone>[a-z]+)/door$", "north/door"), (Groups{"north/door", "north"}));
  EXPECT_EQ(find("^(?<zone>[a-z]+)/door$", "north/door"), (Groups{"north/door", "north"}));
  EXPECT_EQ(find("^(?:cam)(?P<n>[0-9]+)?$", "cam"), (Groups{"cam", ""}));
  EXPECT_EQ(find("^cam(\\d+)$", "camera"), kNoMatch);
}

TEST(PathRegex, Repetitions) {
  EXPECT_FALSE(matches("^a{2,3}$", "a"));
  EXPECT_TRUE(matches("^a{2,3}$", "aa"));
  EXPECT_TRUE(matches("^a{2,3}$", "aaa"));
  EXPECT_FALSE(matches("^a{2,3}$", "aaaa"));
  EXPECT_TRUE(matches("^a{2,}$", "aaaaaa"));
  EXPECT_FALSE(matches("^a{2,}$", "a"));
  EXPECT_TRUE(matches("^(ab){2}$", "abab"));
  EXPECT_TRUE(matches("^a{0}$", ""));
  EXPECT_EQ(find("^(a){0}b", "b"), (Groups{"b", ""}));
  EXPECT_EQ(find("(a{2,3}?)", "aaa"), (Groups{"aa", "aa"}));
  // Braces that open no repetition are characters, as in Go (a count has no leading zero).
  EXPECT_TRUE(matches("^x{,5}$", "x{,5}"));
  EXPECT_TRUE(matches("^a{01}$", "a{01}"));
  EXPECT_TRUE(matches("^a{1,2$", "a{1,2"));
  EXPECT_TRUE(matches("^{$", "{"));
  // A repetition right after "(?i)" repeats what came before it, as Go's parser does.
  EXPECT_TRUE(matches("^a(?i)*$", "aaa"));
}

TEST(PathRegex, ClassesAndEscapes) {
  EXPECT_TRUE(matches("^[[:alpha:]]+[[:digit:]]$", "cam1"));
  EXPECT_FALSE(matches("^[[:^alpha:]]$", "a"));
  EXPECT_TRUE(matches("^[^a-z]$", "A"));
  EXPECT_TRUE(matches("^[a-]+$", "a-a"));
  EXPECT_TRUE(matches("^[]a]+$", "]a"));
  EXPECT_TRUE(matches("^[^]a]$", "b"));
  EXPECT_TRUE(matches("^[\\d_]+$", "1_2"));
  EXPECT_TRUE(matches("^[a-c-e]+$", "a-e"));
  EXPECT_FALSE(matches("^[a-c-e]+$", "d"));
  EXPECT_TRUE(matches("^\\w+\\s?\\W$", "ab_1 /"));
  EXPECT_TRUE(matches("^\\x41\\x{42}\\103$", "ABC"));
  EXPECT_TRUE(matches("^a\\.b\\-c$", "a.b-c"));
  EXPECT_FALSE(matches("^a\\.b$", "axb"));
  EXPECT_TRUE(matches("^\\Qa.b*\\E$", "a.b*"));
  EXPECT_FALSE(matches("^\\Qa.b\\E$", "axb"));
  EXPECT_TRUE(matches("^\\Qab\\E*$", "abbb"));  // the repetition takes the last character
  EXPECT_TRUE(matches("\\bcam\\b", "my/cam/1"));
  EXPECT_FALSE(matches("\\bcam\\b", "camera"));
  EXPECT_TRUE(matches("\\Bam", "camera"));
  EXPECT_TRUE(matches("\\Acam\\z", "cam"));
}

TEST(PathRegex, Flags) {
  EXPECT_TRUE(matches("(?i)^LOBBY$", "lobby"));
  EXPECT_TRUE(matches("^cam(?i)ERA$", "camera"));
  EXPECT_FALSE(matches("^CAM(?i)era$", "camera"));
  EXPECT_TRUE(matches("^(?i:CAM)era$", "camera"));
  EXPECT_FALSE(matches("^(?i:cam)ERA$", "camera"));
  EXPECT_TRUE(matches("(?i)^[A-C]+$", "abc"));
  EXPECT_TRUE(matches("^(?i)a(?-i)b$", "Ab"));
  EXPECT_FALSE(matches("^(?i)a(?-i)b$", "AB"));
  EXPECT_FALSE(matches("^a.b$", "a\nb"));
  EXPECT_TRUE(matches("(?s)^a.b$", "a\nb"));
  EXPECT_FALSE(matches("^b$", "a\nb"));
  EXPECT_TRUE(matches("(?m)^b$", "a\nb"));
  EXPECT_TRUE(matches("a(?i)b|c", "C"));  // a flag lasts to the end of its group, across '|'
}

TEST(PathRegex, ErrorsInGosWords) {
  EXPECT_EQ(errorOf("^cam(\\d+$"), "missing closing ): `^cam(\\d+$`");
  EXPECT_EQ(errorOf("cam)"), "unexpected ): `cam)`");
  EXPECT_EQ(errorOf("cam[0-9"), "missing closing ]: `[0-9`");
  EXPECT_EQ(errorOf("cam\\"), "trailing backslash at end of expression: ``");
  EXPECT_EQ(errorOf("cam\\y"), "invalid escape sequence: `\\y`");
  EXPECT_EQ(errorOf("cam\\x4"), "invalid escape sequence: `\\x4`");
  EXPECT_EQ(errorOf("cam\\x{110000}"), "invalid escape sequence: `\\x{110000}`");
  EXPECT_EQ(errorOf("*cam"), "missing argument to repetition operator: `*`");
  EXPECT_EQ(errorOf("a|+"), "missing argument to repetition operator: `+`");
  EXPECT_EQ(errorOf("(?i)*"), "missing argument to repetition operator: `*`");
  EXPECT_EQ(errorOf("a**"), "invalid nested repetition operator: `**`");
  EXPECT_EQ(errorOf("a*??"), "invalid nested repetition operator: `*??`");
  EXPECT_EQ(errorOf("a{1001}"), "invalid repeat count: `{1001}`");
  EXPECT_EQ(errorOf("a{3,2}"), "invalid repeat count: `{3,2}`");
  EXPECT_EQ(errorOf("a{99999999999}"), "invalid repeat count: `{99999999999}`");
  EXPECT_EQ(errorOf("(a{100}){11}"), "invalid repeat count: `{11}`");
  EXPECT_EQ(errorOf("[z-a]"), "invalid character class range: `z-a`");
  EXPECT_EQ(errorOf("[a-\\d]"), "invalid character class range: `a-\\d`");
  EXPECT_EQ(errorOf("[[:word2:]]"), "invalid character class range: `[:word2:]`");
  EXPECT_EQ(errorOf("(?=cam)"), "invalid or unsupported Perl syntax: `(?=`");
  EXPECT_EQ(errorOf("(?i-)cam"), "invalid or unsupported Perl syntax: `(?i-)`");
  EXPECT_EQ(errorOf("(?P<>cam)"), "invalid named capture: `(?P<>`");
  EXPECT_EQ(errorOf("(?P<a-b>cam)"), "invalid named capture: `(?P<a-b>`");
  EXPECT_EQ(errorOf("(?P<n>a)(?P<n>b)"), "duplicate capture group name: `(?P<n>`");
  EXPECT_EQ(errorOf("\\pL"), "Unicode classes are not supported in path patterns: `\\pL`");
  // RE2's bound on the program: eleven 1000-fold repetitions.
  std::string large;
  for (int i = 0; i < 11; ++i) large += "a{1000}";
  EXPECT_EQ(errorOf(large), "expression too large");
  EXPECT_EQ(errorOf(std::string(PathPattern::kMaxPatternLength + 1, 'a')), "longer than 1024 characters");
}

TEST(PathRegex, NoPatternMakesALookupBacktrack) {
  // Each of these takes a backtracking matcher (std::regex, PCRE) exponential time in the name's
  // length; config_fuzz found the last shape (a repeated group of empty and overlapping
  // alternatives) making std::regex run for minutes on one lookup. Here each search is at most
  // instructions x name length steps: the test finishes at once.
  const std::string name = std::string(PathPattern::kMaxNameLength - 1, 'a') + "!";
  for (const char* pattern :
       {"^(a|a?)+$", "^(a*)*$", "^(a|aa)+$", "^(|.||a|||a|)+b$", "^((a+)+)+$", "(x+x+)+y"}) {
    Groups groups;
    EXPECT_FALSE(compiled(pattern)->search(name, &groups)) << pattern;
  }
  EXPECT_EQ(find("^(|.||a|)+$", "aaaa").front(), "aaaa");
}

}  // namespace
}  // namespace sluice::config
