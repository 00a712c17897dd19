#include "auth/Credential.h"

#include <gtest/gtest.h>

namespace sluice::auth {
namespace {

// base64(sha256("secret")), as `echo -n secret | openssl dgst -binary -sha256 | openssl base64` gives.
constexpr const char* kSecretSha256 = "sha256:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=";

Credential parsed(std::string_view text) {
  std::string error;
  std::optional<Credential> credential = Credential::parse(text, &error);
  EXPECT_TRUE(credential) << text << ": " << error;
  return credential.value_or(*Credential::parse(""));
}

TEST(Credential, PlainTextMatchesOnlyItself) {
  Credential c = parsed("s3cr3t!");
  EXPECT_FALSE(c.empty());
  EXPECT_FALSE(c.hashed());
  EXPECT_TRUE(c.matches("s3cr3t!"));
  EXPECT_FALSE(c.matches("s3cr3t"));
  EXPECT_FALSE(c.matches("s3cr3t!!"));
  EXPECT_FALSE(c.matches("S3CR3T!"));
  EXPECT_FALSE(c.matches(""));
}

TEST(Credential, Sha256MatchesTheHashedText) {
  Credential c = parsed(kSecretSha256);
  EXPECT_TRUE(c.hashed());
  EXPECT_TRUE(c.matches("secret"));
  EXPECT_FALSE(c.matches("Secret"));
  EXPECT_FALSE(c.matches(kSecretSha256));  // the hash itself is not the password
  EXPECT_TRUE(c.matchesDigest(sha256("secret")));
}

TEST(Credential, EmptyAcceptsAnything) {
  Credential c = parsed("");
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(c.matches(""));
  EXPECT_TRUE(c.matches("whatever"));
}

TEST(Credential, RejectsWhatTheConfigurationRejects) {
  for (std::string_view bad : {"with space", "colon:inside", "quote\"", "sha256:", "sha256:c2hvcnQ=",
                               "sha256:not base64", "argon2:$argon2id$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA"}) {
    std::string error;
    EXPECT_FALSE(Credential::parse(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string error;
  Credential::parse("argon2:$argon2id$x", &error);
  EXPECT_NE(error.find("argon2 hashes are not supported by Sluice yet"), std::string::npos) << error;
}

TEST(Credential, AcceptsMediamtxPlainCharacters) {
  EXPECT_TRUE(Credential::parse("AZaz09!$()*+.;<=>[]^_-{}@#&"));
}

TEST(Credential, Sha256OfKnownValues) {
  const Sha256Digest empty = sha256("");
  EXPECT_EQ(empty[0], 0xe3);  // e3b0c442...
  EXPECT_EQ(empty[31], 0x55);
}

}  // namespace
}  // namespace sluice::auth
