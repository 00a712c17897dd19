// findPath: MediaMTX's matching order and regex groups.
#include "ConfigTestSupport.h"
#include "config/PathPattern.h"

namespace sluice::config {
namespace {

class PathLookup : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::loadOk(R"(
paths:
  all_others:
  ~^cam(\d+)$:
    source: rtsp://10.0.0.$G1/stream
    sourceOnDemand: yes
  ~^cam:
  ~^(site)/(cam)(\d{2})$:
  cam7:
  ~(?i)^LOBBY$:
  ~^(?P<zone>[a-z]+)/door$:
)");
  }
  testing::ScopedEnvironment environment_;
  Config config_;
};

TEST_F(PathLookup, ExactNameWinsOverRegex) {
  const PathConfig* path = findPath(config_, "cam7");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->name, "cam7");
}

TEST_F(PathLookup, RegexPathsAreTriedSortedByNameWithAllOthersLast) {
  // "~^cam" sorts before "~^cam(\d+)$" and matches "cam12" first.
  std::vector<std::string> groups;
  const PathConfig* path = findPath(config_, "cam12", &groups);
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->name, "~^cam");
  EXPECT_EQ(groups, std::vector<std::string>{"cam"});

  path = findPath(config_, "somethingelse", &groups);
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->name, "all_others");
  EXPECT_EQ(groups, std::vector<std::string>{"somethingelse"});
}

TEST_F(PathLookup, CapturesRegexGroups) {
  std::vector<std::string> groups;
  const PathConfig* path = findPath(config_, "site/cam07", &groups);
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->name, "~^(site)/(cam)(\\d{2})$");
  EXPECT_EQ(groups, (std::vector<std::string>{"site/cam07", "site", "cam", "07"}));
}

TEST_F(PathLookup, Re2SyntaxIsTranslated) {
  std::vector<std::string> groups;
  const PathConfig* path = findPath(config_, "lobby", &groups);
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->name, "~(?i)^LOBBY$");
  path = findPath(config_, "north/door", &groups);
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->name, "~^(?P<zone>[a-z]+)/door$");
  EXPECT_EQ(groups, (std::vector<std::string>{"north/door", "north"}));
}

TEST_F(PathLookup, OctalEscapesAreCharactersAsInGo) {
  // "\101" is 'A'; "\1011" is 'A' then '1' (at most three octal digits), "[\060-\071]" a digit.
  const Config config = testing::loadOk("paths:\n  '~^oct\\101\\1011[\\060-\\071]$':\n");
  const PathConfig* path = findPath(config, "octAA17");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(findPath(config, "octAA1x"), nullptr);
}

TEST_F(PathLookup, BracesThatAreNoRepetitionAreLiteralAsInGo) {
  // config_fuzz: an unclosed "{" with twenty digits made libstdc++'s regex compiler overflow
  // (UBSan) reading them as a quantifier; RE2 reads such braces as characters.
  const Config config = testing::loadOk(
      "paths:\n  '~^d{018446744073709551615,0000000000000000922$':\n  '~^x{,5}y{z}$':\n  '~^n{2}$':\n");
  EXPECT_NE(findPath(config, "nn"), nullptr);  // a repetition still is one
  // (Path names cannot hold braces; the patterns themselves:)
  std::string error;
  auto pattern = PathPattern::compile("^d{018446744073709551615,0000000000000000922$", error);
  ASSERT_NE(pattern, nullptr) << error;
  EXPECT_TRUE(pattern->search("d{018446744073709551615,0000000000000000922", nullptr));
  pattern = PathPattern::compile("^x{,5}y{z}$", error);
  ASSERT_NE(pattern, nullptr) << error;
  EXPECT_TRUE(pattern->search("x{,5}y{z}", nullptr));
  EXPECT_FALSE(pattern->search("xy", nullptr));
}

TEST_F(PathLookup, OverlongNamesMatchNoRegex) {
  // A bound on a lookup's work (std::regex, the matcher before, overflowed the stack on 100,000).
  const Config config = testing::loadOk("paths:\n  '~^(a|b)*$':\n");
  EXPECT_NE(findPath(config, std::string(PathPattern::kMaxNameLength, 'a')), nullptr);
  EXPECT_EQ(findPath(config, std::string(PathPattern::kMaxNameLength + 1, 'a')), nullptr);
  EXPECT_EQ(findPath(config, std::string(100'000, 'a')), nullptr);
}

TEST_F(PathLookup, GroupsAreForTheRegexBehindG1) {
  Config config = testing::loadOk(R"(
paths:
  ~^cam(\d+)$:
    source: rtsp://10.0.0.$G1/stream
    sourceOnDemand: yes
)");
  std::vector<std::string> groups;
  const PathConfig* path = findPath(config, "cam42", &groups);
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->source, "rtsp://10.0.0.$G1/stream");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1], "42");
  EXPECT_EQ(findPath(config, "camera"), nullptr);
}

TEST_F(PathLookup, InvalidOrUnknownNamesMatchNothing) {
  Config config = testing::loadOk("paths:\n  cam1:\n  ~^cam:\n");
  EXPECT_EQ(findPath(config, "other"), nullptr);
  EXPECT_EQ(findPath(config, "/cam1"), nullptr);
  EXPECT_EQ(findPath(config, "cam/../x"), nullptr);
  EXPECT_EQ(findPath(config, "cam 1"), nullptr);
  EXPECT_EQ(findPath(config, ""), nullptr);
  EXPECT_EQ(findPath(config, "~^cam"), nullptr);  // a regex path is not a name
}

TEST_F(PathLookup, AllIsAnAliasOfEverything) {
  Config config = testing::loadOk("paths:\n  all:\n  ~^zzz:\n");
  const PathConfig* path = findPath(config, "zzz1");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->name, "~^zzz");
  path = findPath(config, "a/b/c");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->name, "all");
}

}  // namespace
}  // namespace sluice::config
