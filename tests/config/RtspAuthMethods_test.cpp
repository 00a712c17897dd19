// rtspAuthMethods (and its deprecated name authMethods): basic and digest, in order, at least
// one; with digest, hashed credentials are refused as MediaMTX refuses them.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using testing::countContaining;
using testing::load;
using testing::loadOk;

class RtspAuthMethods : public ::testing::Test {
 protected:
  testing::ScopedEnvironment environment_;
};

TEST_F(RtspAuthMethods, DefaultIsBasicAndTheListKeepsItsOrder) {
  EXPECT_EQ(loadOk("logLevel: info\n").rtspAuthMethods, std::vector<std::string>{"basic"});
  EXPECT_EQ(loadOk("rtspAuthMethods: [digest]\n").rtspAuthMethods, std::vector<std::string>{"digest"});
  EXPECT_EQ(loadOk("rtspAuthMethods: [digest, basic]\n").rtspAuthMethods,
            (std::vector<std::string>{"digest", "basic"}));
  ConfigResult r = load("rtspAuthMethods: [basic, digest]\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(countContaining(r.warnings, "rtspAuthMethods"), 0u);  // no longer "not supported"
}

TEST_F(RtspAuthMethods, DeprecatedNameIsMappedWithAWarning) {
  ConfigResult r = load("authMethods: [digest]\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->rtspAuthMethods, std::vector<std::string>{"digest"});
  EXPECT_EQ(countContaining(r.warnings,
                            "configuration key 'authMethods' is deprecated and has been replaced by "
                            "'rtspAuthMethods'"),
            1u);
}

TEST_F(RtspAuthMethods, EnvironmentOverride) {
  environment_.set("MTX_RTSPAUTHMETHODS", "digest,basic");
  EXPECT_EQ(loadOk("logLevel: info\n").rtspAuthMethods, (std::vector<std::string>{"digest", "basic"}));
}

TEST_F(RtspAuthMethods, BadValuesAreRefused) {
  ConfigResult unknown = load("rtspAuthMethods: [basic, ntlm]\n");
  ASSERT_FALSE(unknown.config);
  EXPECT_EQ(unknown.error, "sluice.yml:1: rtspAuthMethods: invalid value 'ntlm' (expected basic, digest)");
  ConfigResult empty = load("rtspAuthMethods: []\n");
  ASSERT_FALSE(empty.config);
  EXPECT_EQ(empty.error,
            "sluice.yml:1: rtspAuthMethods: at least one method is needed (expected basic, digest)");
  EXPECT_FALSE(load("rtspAuthMethods: digest\n").config);  // a list, as in MediaMTX
  EXPECT_FALSE(load("rtspAuthMethods: [Digest]\n").config);
}

TEST_F(RtspAuthMethods, DigestRefusesHashedCredentials) {
  const char* hashed =
      "authInternalUsers:\n"
      "- user: viewer\n"
      "  pass: sha256:E9JJ8stBJ7QM+nV4ZoUCeHk/gU3tPFh/5YieiJp6n2w=\n"
      "  permissions: [{action: read}]\n";
  // Fine with basic only ...
  EXPECT_TRUE(load(std::string(hashed)).config);
  // ... refused with digest, as MediaMTX refuses it.
  ConfigResult r = load(std::string(hashed) + "rtspAuthMethods: [basic, digest]\n");
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.error.find("when RTSP digest is enabled (rtspAuthMethods), hashed credentials cannot be used "
                         "(authInternalUsers[0])"),
            std::string::npos)
      << r.error;
  // A hashed user name too.
  EXPECT_FALSE(load("authInternalUsers:\n- user: sha256:E9JJ8stBJ7QM+nV4ZoUCeHk/gU3tPFh/5YieiJp6n2w=\n"
                    "  pass: x\n  permissions: [{action: read}]\nrtspAuthMethods: [digest]\n")
                   .config);
  // Plain credentials are fine, and the RTSP server off makes digest moot.
  EXPECT_TRUE(load("authInternalUsers:\n- user: viewer\n  pass: s3cret\n  permissions: [{action: read}]\n"
                   "rtspAuthMethods: [digest]\n")
                  .config);
  EXPECT_TRUE(load(std::string(hashed) + "rtspAuthMethods: [digest]\nrtsp: no\n").config);
}

TEST_F(RtspAuthMethods, DigestRefusesHashedLegacyPathCredentials) {
  ConfigResult r = load(
      "rtspAuthMethods: [digest]\npaths:\n  cam:\n    readUser: viewer\n"
      "    readPass: sha256:E9JJ8stBJ7QM+nV4ZoUCeHk/gU3tPFh/5YieiJp6n2w=\n");
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.error.find("hashed credentials cannot be used"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace sluice::config
