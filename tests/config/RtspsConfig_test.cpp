// RTSPS keys: rtspEncryption, rtspsAddress, rtspServerKey, rtspServerCert (and their deprecated
// names encryption, serverKey, serverCert).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "ConfigTestSupport.h"
#include "config/ConfigJson.h"

namespace sluice::config {
namespace {

using testing::contains;
using testing::countContaining;
using testing::load;
using testing::loadError;
using testing::loadOk;

// Two readable PEM-named files in a fresh directory (their content is checked only when the
// listener opens).
class RtspsConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sluice-rtsps-config-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    key_ = dir_ + "/server.key";
    cert_ = dir_ + "/server.crt";
    std::ofstream(key_) << "key\n";
    std::ofstream(cert_) << "cert\n";
  }
  void TearDown() override {
    std::remove(key_.c_str());
    std::remove(cert_.c_str());
    rmdir(dir_.c_str());
  }
  std::string files() const { return "rtspServerKey: " + key_ + "\nrtspServerCert: " + cert_ + "\n"; }

  testing::ScopedEnvironment environment_;
  std::string dir_, key_, cert_;
};

TEST_F(RtspsConfig, DefaultsAreMediamtxs) {
  Config c = loadOk("");
  EXPECT_EQ(c.rtspEncryption, RtspEncryption::No);
  EXPECT_EQ(c.rtspsAddress, ":8322");
  EXPECT_EQ(c.rtspServerKey, "server.key");
  EXPECT_EQ(c.rtspServerCert, "server.crt");
}

TEST_F(RtspsConfig, ValidValues) {
  Config c = loadOk("rtspEncryption: strict\nrtspsAddress: 127.0.0.1:9322\n" + files());
  EXPECT_EQ(c.rtspEncryption, RtspEncryption::Strict);
  EXPECT_EQ(c.rtspsAddress, "127.0.0.1:9322");
  EXPECT_EQ(c.rtspServerKey, key_);
  EXPECT_EQ(c.rtspServerCert, cert_);
  EXPECT_EQ(loadOk("rtspEncryption: optional\n" + files()).rtspEncryption, RtspEncryption::Optional);
  EXPECT_EQ(loadOk("rtspEncryption: \"no\"\n").rtspEncryption, RtspEncryption::No);
  // MediaMTX's other spellings: false is no, true and yes are strict.
  EXPECT_EQ(loadOk("rtspEncryption: no\n").rtspEncryption, RtspEncryption::No);
  EXPECT_EQ(loadOk("rtspEncryption: false\n").rtspEncryption, RtspEncryption::No);
  EXPECT_EQ(loadOk("rtspEncryption: yes\n" + files()).rtspEncryption, RtspEncryption::Strict);
  EXPECT_EQ(loadOk("rtspEncryption: true\n" + files()).rtspEncryption, RtspEncryption::Strict);
  // Without encryption the files are not needed.
  EXPECT_EQ(loadOk("rtspServerKey: /nowhere/k.pem\n").rtspServerKey, "/nowhere/k.pem");
  // With rtsp off, neither.
  EXPECT_FALSE(loadOk("rtsp: no\nrtspEncryption: strict\nrtspServerKey: /nowhere/k.pem\n").rtsp);
}

TEST_F(RtspsConfig, InvalidValues) {
  EXPECT_TRUE(contains(loadError("rtspEncryption: sometimes\n"),
                       "invalid encryption 'sometimes' (expected no, strict, optional)"));
  EXPECT_TRUE(contains(loadError("rtspEncryption: [strict]\n"), "rtspEncryption"));
  EXPECT_TRUE(contains(loadError("rtspsAddress: nowhere\n"), "rtspsAddress"));
  EXPECT_TRUE(contains(loadError("rtspEncryption: optional\nrtspsAddress: ''\n" + files()),
                       "'rtspsAddress' must be set when 'rtspEncryption' is strict or optional"));
  EXPECT_TRUE(contains(loadError("rtspEncryption: strict\nrtspServerKey: ''\n"),
                       "'rtspServerKey' must be set when 'rtspEncryption' is strict or optional"));
}

TEST_F(RtspsConfig, RtspsNeedsTcp) {
  EXPECT_TRUE(contains(loadError("rtspEncryption: strict\nrtspTransports: [udp]\n" + files()),
                       "'tcp' must be in 'rtspTransports' when 'rtspEncryption' is strict or optional"));
  EXPECT_EQ(loadOk("rtspTransports: [udp]\n").rtspTransports, std::vector<std::string>{"udp"});
}

TEST_F(RtspsConfig, MissingFilesAreNamed) {
  const std::string missing = dir_ + "/absent.crt";
  std::string error =
      loadError("rtspEncryption: optional\nrtspServerKey: " + key_ + "\nrtspServerCert: " + missing + "\n");
  EXPECT_TRUE(
      contains(error, "cannot read 'rtspServerCert' file '" + missing + "': No such file or directory"))
      << error;
  error = loadError("rtspEncryption: strict\nrtspServerCert: " + cert_ + "\nrtspServerKey: " + dir_ + "/k\n");
  EXPECT_TRUE(contains(error, "cannot read 'rtspServerKey' file '" + dir_ + "/k'")) << error;
  // The defaults (server.key in the working directory) are checked the same way.
  if (access("server.key", R_OK) != 0) {
    EXPECT_TRUE(
        contains(loadError("rtspEncryption: strict\n"), "cannot read 'rtspServerKey' file 'server.key'"));
  }
}

TEST_F(RtspsConfig, StrictNeedsNoUdpPair) {
  // Under strict no plain listener opens: the UDP pair's rules (even RTP port) do not apply.
  Config c = loadOk("rtspEncryption: strict\nrtspTransports: [udp, tcp]\nrtpAddress: :8001\n" + files());
  EXPECT_EQ(c.rtspEncryption, RtspEncryption::Strict);
  EXPECT_TRUE(contains(
      loadError("rtspEncryption: optional\nrtspTransports: [udp, tcp]\nrtpAddress: :8001\n" + files()),
      "must be even"));
}

TEST_F(RtspsConfig, DeprecatedNamesAreRead) {
  ConfigResult result = load("encryption: optional\nserverKey: " + key_ + "\nserverCert: " + cert_ + "\n");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->rtspEncryption, RtspEncryption::Optional);
  EXPECT_EQ(result.config->rtspServerKey, key_);
  EXPECT_EQ(result.config->rtspServerCert, cert_);
  EXPECT_EQ(countContaining(result.warnings,
                            "'encryption' is deprecated and has been replaced by 'rtspEncryption'"),
            1u);
  EXPECT_EQ(
      countContaining(result.warnings, "'serverKey' is deprecated and has been replaced by 'rtspServerKey'"),
      1u);
  EXPECT_EQ(countContaining(result.warnings, "not supported"), 0u);
}

TEST_F(RtspsConfig, FromTheEnvironment) {
  environment_.set("MTX_RTSPENCRYPTION", "optional");
  environment_.set("MTX_RTSPSADDRESS", ":9322");
  environment_.set("MTX_RTSPSERVERKEY", key_);
  environment_.set("MTX_RTSPSERVERCERT", cert_);
  Config c = loadOk("");
  EXPECT_EQ(c.rtspEncryption, RtspEncryption::Optional);
  EXPECT_EQ(c.rtspsAddress, ":9322");
  EXPECT_EQ(c.rtspServerKey, key_);
}

}  // namespace
}  // namespace sluice::config
