// loadConfigFile and the default file search.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

namespace fs = std::filesystem;

// Runs a test in a fresh temporary directory, restoring the working directory after.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = fs::current_path();
    directory_ = fs::temp_directory_path() / fmt::format("sluice-config-test-{}", ::getpid());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    fs::current_path(directory_);
  }
  void TearDown() override {
    fs::current_path(previous_);
    fs::remove_all(directory_);
  }
  static void write(const std::string& name, const std::string& text) { std::ofstream(name) << text; }
  static bool systemFileExists() {
    for (const char* file :
         {"/usr/local/etc/mediamtx.yml", "/usr/etc/mediamtx.yml", "/etc/mediamtx/mediamtx.yml"}) {
      if (fs::exists(file)) return true;
    }
    return false;
  }

  testing::ScopedEnvironment environment_;
  fs::path previous_, directory_;
};

TEST_F(ConfigFile, SearchOrderPrefersSluiceThenMediamtxNames) {
  if (systemFileExists()) GTEST_SKIP() << "a system-wide mediamtx.yml exists on this machine";
  EXPECT_EQ(findDefaultConfigFile(), std::nullopt);
  write("mediamtx.yml", "logLevel: warn\n");
  EXPECT_EQ(findDefaultConfigFile(), "mediamtx.yml");
  write("rtsp-simple-server.yml", "logLevel: warn\n");
  EXPECT_EQ(findDefaultConfigFile(), "rtsp-simple-server.yml");
  write("sluice.yml", "logLevel: debug\n");
  EXPECT_EQ(findDefaultConfigFile(), "sluice.yml");

  ConfigResult result = loadConfigFile("");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->logLevel, log::Level::Debug);
  EXPECT_EQ(result.config->sourceFile, "sluice.yml");
}

TEST_F(ConfigFile, WithoutAnyFileDefaultsAreUsed) {
  if (systemFileExists()) GTEST_SKIP() << "a system-wide mediamtx.yml exists on this machine";
  ConfigResult result = loadConfigFile("");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->sourceFile, "");
  EXPECT_EQ(result.config->writeQueueSize, 512);
}

TEST_F(ConfigFile, ExplicitFileMustExist) {
  ConfigResult result = loadConfigFile("missing.yml");
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.error, "cannot read configuration file 'missing.yml': No such file or directory");
}

TEST_F(ConfigFile, ErrorsNameTheFile) {
  write("site.yml", "\n\nwriteQueueSize: 3\n");
  EXPECT_EQ(loadConfigFile("site.yml").error,
            "site.yml:3: writeQueueSize: must be a power of two between 1 and 1048576, got 3");
}

TEST_F(ConfigFile, EncryptedFilesAreRefused) {
  write("mediamtx.yml", "not really encrypted");
  environment_.set("MTX_CONFKEY", "secret");
  ConfigResult result = loadConfigFile("mediamtx.yml");
  EXPECT_FALSE(result.config);
  EXPECT_TRUE(
      testing::contains(result.error, "encrypted configuration files (MTX_CONFKEY) are not supported"));
}

}  // namespace
}  // namespace sluice::config
