// Hostile configuration documents: alias and merge-key bombs, deep nesting, huge values, too many
// paths, files too large. Each is rejected with a message naming the limit and where it was hit,
// and quickly: the bound of 1 s is generous (the work is bounded by the limits, not by the file).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

#include "ConfigTestSupport.h"
#include "config/ConfigJson.h"
#include "config/YamlLimits.h"

namespace sluice::config {
namespace {

using namespace testing;

class ConfigLimitsTest : public ::testing::Test {
 protected:
  ScopedEnvironment environment_;
};

// Each level merges the previous one `fan` times: fan^levels mappings to walk.
std::string mergeBomb(int levels, int fan = 10) {
  std::string yaml = "paths:\n  l0: &l0 {source: publisher}\n";
  for (int i = 1; i <= levels; ++i) {
    std::string refs;
    for (int j = 0; j < fan; ++j) refs += fmt::format("{}*l{}", j ? ", " : "", i - 1);
    yaml += fmt::format("  l{}: &l{} {{<<: [{}]}}\n", i, i, refs);
  }
  return yaml;
}

// The classic "billion laughs" with lists: each level is a list of ten aliases of the previous.
std::string listBomb(int levels) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= levels; ++i) {
    yaml += fmt::format("a{}: &a{} [", i, i);
    for (int j = 0; j < 10; ++j) yaml += fmt::format("{}*a{}", j ? ", " : "", i - 1);
    yaml += "]\n";
  }
  return yaml;
}

// CPU time of this thread, in milliseconds: what loading costs, whatever else the (shared,
// possibly overloaded) machine is doing.
double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Loads `yaml` and returns its error, checking that it cost under a second of CPU (the bombs
// below cost minutes to hours without the limits).
std::string rejectedQuickly(std::string_view yaml) {
  const double start = threadCpuMs();
  ConfigResult result = load(yaml);
  const double elapsed = threadCpuMs() - start;
  EXPECT_FALSE(result.config.has_value()) << "loaded, but it must be rejected";
  EXPECT_LT(elapsed, 1000) << "took " << elapsed << " ms of CPU";
  return result.error;
}

TEST_F(ConfigLimitsTest, MergeKeyBombIsRejectedQuicklyNamingTheLimit) {
  for (int levels : {8, 20, 60}) {
    std::string error = rejectedQuickly(mergeBomb(levels));
    EXPECT_TRUE(contains(error, "sluice.yml:")) << error;
    EXPECT_TRUE(contains(error, "once aliases ('*') and merge keys ('<<') are expanded")) << error;
    EXPECT_TRUE(contains(error, fmt::format("limit {}", kMaxYamlValues))) << error;
  }
}

TEST_F(ConfigLimitsTest, MergeKeyBombPointsAtTheLineWhereTheLimitIsReached) {
  // l4 expands to 10^4 mappings of 3 values: over the limit on its line (line 6).
  std::string error = rejectedQuickly(mergeBomb(5));
  EXPECT_TRUE(contains(error, "sluice.yml:6:")) << error;
}

TEST_F(ConfigLimitsTest, ModestMergesStillWork) {
  // Merges are legitimate: four levels of ten is 10,000 mappings, well inside the limit.
  Config config = loadOk(mergeBomb(3));
  EXPECT_EQ(config.paths.size(), 4u);
  std::string yaml = R"(
pathDefaults: &defaults
  rtspTransport: tcp
paths:
  base: &base {<<: *defaults, maxReaders: 3}
  cam1: {<<: *base, source: "rtsp://10.0.0.1/x"}
)";
  Config merged = loadOk(yaml);
  EXPECT_EQ(pathNamed(merged, "cam1")->maxReaders, 3);
  EXPECT_EQ(pathNamed(merged, "cam1")->rtspTransport, RtspTransport::Tcp);
}

TEST_F(ConfigLimitsTest, ListAliasBombIsRejectedQuickly) {
  // Its keys are unknown too, but the limit is checked first, before any key is looked at: a bomb
  // cannot hide under a key that is ignored or rejected later.
  std::string error = rejectedQuickly(listBomb(9));
  EXPECT_TRUE(contains(error, "once aliases ('*') and merge keys ('<<') are expanded")) << error;
}

TEST_F(ConfigLimitsTest, AValueContainingItselfIsRejected) {
  std::string error = rejectedQuickly("paths:\n  cam: &a {<<: *a}\n");
  EXPECT_TRUE(contains(error, "sluice.yml:2: alias '*a' refers to a value that contains it")) << error;
  error = rejectedQuickly("webrtcAdditionalHosts: &h [*h]\n");
  EXPECT_TRUE(contains(error, "refers to a value that contains it")) << error;
}

TEST_F(ConfigLimitsTest, DeepNestingIsRejected) {
  std::string deep = "webrtcAdditionalHosts: " + std::string(10000, '[') + std::string(10000, ']') + "\n";
  std::string error = rejectedQuickly(deep);
  EXPECT_TRUE(contains(error, "sluice.yml:1: lists and mappings nested more than 32 levels deep")) << error;

  std::string blocks = "paths:\n";
  for (int i = 0; i < 40; ++i) blocks += std::string(2 * (i + 1), ' ') + fmt::format("k{}:\n", i);
  error = rejectedQuickly(blocks);
  EXPECT_TRUE(contains(error, "nested more than 32 levels deep")) << error;
}

TEST_F(ConfigLimitsTest, BracketsInQuotesCommentsAndValuesAreNotNesting) {
  // The nesting of flow brackets is checked on the text before yaml-cpp reads it (its scanner
  // would hold every token of a deep flow collection in memory); brackets that are not flow
  // collections must not count.
  const std::string many(40, '[');
  std::string yaml = "# " + many + "\n" + "logFile: '" + many + "'\n" + "webrtcAdditionalHosts: [\"" + many +
                     "\", 'it''s " + many + "']\n" +
                     "paths:\n"
                     "  cam:\n"
                     "    source: rtsp://u:p@[fe80::1]:554/x  # " +
                     many +
                     "\n"
                     "  \"~^cam[0-9]{1,3}$\":\n";
  Config config = loadOk(yaml);
  EXPECT_EQ(config.logFile, many);
  EXPECT_EQ(config.webrtcAdditionalHosts.size(), 2u);

  std::string error =
      rejectedQuickly("logFile: x\nwebrtcAdditionalHosts: " + std::string(1 << 20, '[') + "\n");
  EXPECT_TRUE(contains(error, "sluice.yml:2: lists and mappings nested more than 32 levels deep (limit 32)"))
      << error;
  // A quote inside a plain value does not hide what follows it.
  error = rejectedQuickly("logFile: a 'b\nwebrtcAdditionalHosts: " + std::string(1000, '[') + "\nx: 'c'\n");
  EXPECT_TRUE(contains(error, "sluice.yml:2: lists and mappings nested more than 32 levels deep")) << error;
  EXPECT_TRUE(contains(error, "sluice.yml:2: lists and mappings nested more than 32 levels deep (limit 32)"))
      << error;
}

TEST_F(ConfigLimitsTest, HugeScalarIsRejected) {
  std::string yaml = "logFile: " + std::string(kMaxYamlScalarBytes + 1, 'a') + "\n";
  std::string error = rejectedQuickly(yaml);
  EXPECT_TRUE(contains(error, fmt::format("sluice.yml:1: a value of {} bytes (limit {} bytes per value)",
                                          kMaxYamlScalarBytes + 1, kMaxYamlScalarBytes)))
      << error;
  std::string ok = "logFile: " + std::string(kMaxYamlScalarBytes, 'a') + "\n";
  EXPECT_EQ(loadOk(ok).logFile.size(), kMaxYamlScalarBytes);
}

TEST_F(ConfigLimitsTest, LongLineIsRejectedBeforeYamlScansIt) {
  // Blanks after a value: yaml-cpp scans them at about 3 MiB/s.
  std::string error = rejectedQuickly("logLevel: info" + std::string(400 * 1024, ' ') + "\nx: 1\n");
  EXPECT_TRUE(contains(error, fmt::format("sluice.yml:1: a line of {} bytes (limit {} bytes per line)",
                                          14 + 400 * 1024, kMaxYamlLineBytes)))
      << error;
  // A comment, and a long line after a quoted value spanning lines, count the same way.
  error = rejectedQuickly("a: 1\n#" + std::string(kMaxYamlLineBytes, 'c') + "\n");
  EXPECT_TRUE(contains(error, "sluice.yml:2: a line of")) << error;
  error = rejectedQuickly("a: \"x\ny\"\nb: " + std::string(kMaxYamlLineBytes, 'c') + "\n");
  EXPECT_TRUE(contains(error, "sluice.yml:3: a line of")) << error;
  // The longest value still fits on its line, quoted.
  std::string ok = "logFile: \"" + std::string(kMaxYamlScalarBytes, 'a') + "\"\n";
  EXPECT_EQ(loadOk(ok).logFile.size(), kMaxYamlScalarBytes);
}

TEST_F(ConfigLimitsTest, HugeListIsRejected) {
  std::string yaml = "webrtcAdditionalHosts: [";
  for (size_t i = 0; i < kMaxYamlValues; ++i) yaml += (i % 1000 == 999) ? "h,\n" : "h,";
  yaml += "h]\n";
  EXPECT_TRUE(contains(rejectedQuickly(yaml), fmt::format("more than {} values", kMaxYamlValues)))
      << yaml.size();
}

std::string manyPaths(size_t count) {
  std::string yaml = "paths:\n";
  for (size_t i = 0; i < count; ++i) yaml += fmt::format("  cam{}:\n", i);
  return yaml;
}

TEST_F(ConfigLimitsTest, PathCountIsLimited) {
  EXPECT_EQ(loadOk(manyPaths(kMaxPaths)).paths.size(), kMaxPaths);
  std::string error = rejectedQuickly(manyPaths(kMaxPaths + 1));
  EXPECT_TRUE(contains(error, fmt::format("sluice.yml:{}: paths.cam{}: more than {} paths (limit {})",
                                          kMaxPaths + 2, kMaxPaths, kMaxPaths, kMaxPaths)))
      << error;
}

TEST_F(ConfigLimitsTest, HundredThousandPathsAreRejectedBeforeBuildingThem) {
  std::string yaml = "paths:\n";
  for (int i = 0; i < 100000; ++i) yaml += fmt::format("  cam{}: {{source: publisher}}\n", i);
  std::string error = rejectedQuickly(yaml);
  EXPECT_TRUE(contains(error, fmt::format("sluice.yml:{}: more than {} lines (limit {})",
                                          kMaxConfigFileLines + 1, kMaxConfigFileLines, kMaxConfigFileLines)))
      << error;
  // The same paths one flow mapping per line: the values are counted.
  yaml = "paths: {";
  for (int i = 0; i < 10000; ++i) yaml += fmt::format("c{}: {{a: b}},{}", i, i % 100 == 99 ? "\n" : "");
  yaml += "}\n";
  error = rejectedQuickly(yaml);
  EXPECT_TRUE(contains(error, fmt::format("more than {} values", kMaxYamlValues))) << error;
}

TEST_F(ConfigLimitsTest, LineCountIsLimited) {
  const std::string lines(kMaxConfigFileLines - 1, '\n');
  EXPECT_EQ(loadOk(lines + "logFile: w").logFile, "w");  // the last line without its newline
  EXPECT_EQ(loadOk(lines + "logFile: w\n").logFile, "w");
  EXPECT_TRUE(contains(rejectedQuickly(lines + "\nlogFile: w\n"),
                       fmt::format("sluice.yml:{}: more than {} lines (limit {})", kMaxConfigFileLines + 1,
                                   kMaxConfigFileLines, kMaxConfigFileLines)));
}

TEST_F(ConfigLimitsTest, PathsCreatedByTheEnvironmentCountToo) {
  std::string yaml = manyPaths(kMaxPaths);
  environment_.set("MTX_PATHS_EXTRA_SOURCE", "publisher");
  std::string error = rejectedQuickly(yaml);
  EXPECT_TRUE(contains(error, "environment variable MTX_PATHS_EXTRA_SOURCE")) << error;
  EXPECT_TRUE(contains(error, fmt::format("more than {} paths", kMaxPaths))) << error;
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    char name[] = "/tmp/sluice-limits-XXXXXX";
    int fd = mkstemp(name);
    path_ = name;
    ::close(fd);
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_F(ConfigLimitsTest, FileLargerThanTheLimitIsRejectedUnread) {
  // Comments only: valid YAML, but too large.
  std::string text;
  while (text.size() <= kMaxConfigFileBytes) text += "# " + std::string(78, 'c') + "\n";
  TempFile file(text);
  const double start = threadCpuMs();
  ConfigResult result = loadConfigFile(file.path());
  EXPECT_LT(threadCpuMs() - start, 1000);
  ASSERT_FALSE(result.config.has_value());
  EXPECT_EQ(result.error, fmt::format("{}: the file is larger than {} bytes (limit 256 KiB)", file.path(),
                                      kMaxConfigFileBytes));
}

TEST_F(ConfigLimitsTest, EndlessFileIsRejected) {
  ConfigResult result = loadConfigFile("/dev/zero");
  ASSERT_FALSE(result.config.has_value());
  EXPECT_TRUE(contains(result.error, "/dev/zero: the file is larger than")) << result.error;
}

TEST_F(ConfigLimitsTest, ApiChangesAreBoundedByTheSameLimits) {
  Config current = loadOk(manyPaths(kMaxPaths));
  ConfigChangeResult result = addPath(current, "onemore", nlohmann::json::object());
  EXPECT_EQ(result.status, 400);
  EXPECT_TRUE(contains(result.error, fmt::format("more than {} paths", kMaxPaths))) << result.error;

  // A value nested too deeply, in a patch.
  nlohmann::json deep = "x";
  for (int i = 0; i < 40; ++i) deep = nlohmann::json::array({deep});
  result = patchGlobal(Config{}, {{"webrtcAdditionalHosts", deep}});
  EXPECT_EQ(result.status, 400);
  EXPECT_TRUE(contains(result.error, "nested more than 32 levels deep")) << result.error;
}

TEST_F(ConfigLimitsTest, DeeplyNestedApiBodyIsRejectedBeforeItIsCopied) {
  // Parsing and destroying such a body is iterative in nlohmann::json, copying and dumping it are
  // not: a million levels would overflow the stack.
  const size_t levels = 1000000;
  const std::string text =
      R"({"webrtcAdditionalHosts":)" + std::string(levels, '[') + std::string(levels, ']') + "}";
  const nlohmann::json body = nlohmann::json::parse(text);
  Config current = loadOk("paths:\n  cam:\n");
  for (const ConfigChangeResult& result :
       {patchGlobal(current, body), patchPathDefaults(current, body), addPath(current, "new", body),
        patchPath(current, "cam", body), replacePath(current, "cam", body)}) {
    EXPECT_EQ(result.status, 400);
    EXPECT_EQ(result.error, "the request body is nested more than 32 levels deep (limit 32)");
  }
}

}  // namespace
}  // namespace sluice::config
