#include "core/CommandLine.h"

#include <gtest/gtest.h>

#include <map>

using namespace sluice::core;

namespace {

std::vector<std::string> split(std::string_view line) {
  std::string error;
  auto words = splitCommandLine(line, error);
  EXPECT_TRUE(words.has_value()) << error;
  return words.value_or(std::vector<std::string>{});
}

std::string splitError(std::string_view line) {
  std::string error;
  EXPECT_FALSE(splitCommandLine(line, error).has_value());
  return error;
}

using Words = std::vector<std::string>;

}  // namespace

TEST(CommandLine, SplitsLikeAShell) {
  EXPECT_EQ(split("ffmpeg -i  in.mp4\t-c copy"), (Words{"ffmpeg", "-i", "in.mp4", "-c", "copy"}));
  EXPECT_EQ(split("  "), Words{});
  EXPECT_EQ(split("sh -c 'echo $MTX_PATH > /tmp/x'"), (Words{"sh", "-c", "echo $MTX_PATH > /tmp/x"}));
  EXPECT_EQ(split(R"(a "b c" d\ e "x\"y\\z" 'it''s')"), (Words{"a", "b c", "d e", "x\"y\\z", "its"}));
  EXPECT_EQ(split(R"("keep \n as is")"), (Words{"keep \\n as is"}));
  EXPECT_EQ(split("a''b \"\""), (Words{"ab", ""}));
  EXPECT_EQ(split("a\\\nb"), (Words{"ab"}));
}

TEST(CommandLine, MalformedLinesAreRefusedWithTheReason) {
  EXPECT_EQ(splitError("echo 'open"), "unterminated single quote in the command");
  EXPECT_EQ(splitError("echo \"open"), "unterminated double quote in the command");
  EXPECT_EQ(splitError("echo \"a\\\""), "unterminated double quote in the command");
  EXPECT_EQ(splitError("echo \\"), "the command ends with a backslash");
}

TEST(CommandLine, ExpandsVariablesOfTheHookThenTheEnvironment) {
  std::map<std::string, std::string> vars{{"MTX_PATH", "cam1"}, {"RTSP_PORT", "8554"}, {"G1", "7"}};
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  EXPECT_EQ(expandVariables("rtsp://localhost:$RTSP_PORT/$MTX_PATH", lookup), "rtsp://localhost:8554/cam1");
  EXPECT_EQ(expandVariables("${MTX_PATH}_${G1}.mp4", lookup), "cam1_7.mp4");
  EXPECT_EQ(expandVariables("$UNKNOWN-x", lookup), "-x");
  EXPECT_EQ(expandVariables("cost $5 $ and ${ and $", lookup), "cost  $ and ${ and $");
  EXPECT_EQ(expandVariables("$MTX_PATH$RTSP_PORT", lookup), "cam18554");
}
