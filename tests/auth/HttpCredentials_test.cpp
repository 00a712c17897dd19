#include "auth/HttpCredentials.h"

#include <gtest/gtest.h>

#include "core/Base64.h"

namespace sluice::auth {
namespace {

std::string basic(std::string_view userColonPass) { return "Basic " + core::base64Encode(userColonPass); }

TEST(HttpCredentials, Basic) {
  std::optional<BasicCredentials> c = parseBasicAuthorization(basic("admin:pa:ss"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "admin");
  EXPECT_EQ(c->pass, "pa:ss");  // everything after the first ':'
  EXPECT_TRUE(parseBasicAuthorization("basic " + core::base64Encode("u:p")));  // scheme in any case
  EXPECT_TRUE(parseBasicAuthorization("BASIC " + core::base64Encode("u:p")));
  std::optional<BasicCredentials> empty = parseBasicAuthorization(basic(":"));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->user, "");
  EXPECT_EQ(empty->pass, "");
}

TEST(HttpCredentials, MalformedBasic) {
  for (std::string header : {std::string(""), std::string("Basic"), std::string("Basic "),
                             std::string("Basic !!!!"), basic("nocolon"), std::string("BasicdXNlcjpwYXNz"),
                             std::string("Digest username=\"u\""), std::string("Basic dXNlcjpwYXNz=")}) {
    EXPECT_FALSE(parseBasicAuthorization(header)) << header;
  }
}

TEST(HttpCredentials, BearerUserPass) {
  Credentials c = parseHttpAuthorization("Bearer admin:secret");
  EXPECT_EQ(c.user, "admin");
  EXPECT_EQ(c.pass, "secret");
  EXPECT_EQ(c.token, "");
  Credentials emptyPass = parseHttpAuthorization("Bearer admin:");
  EXPECT_EQ(emptyPass.user, "admin");
  EXPECT_EQ(emptyPass.pass, "");
}

TEST(HttpCredentials, BearerTokenIsNotUserPass) {
  Credentials jwt = parseHttpAuthorization("Bearer eyJhbGciOi.eyJzdWIi.c2ln");
  EXPECT_EQ(jwt.token, "eyJhbGciOi.eyJzdWIi.c2ln");
  EXPECT_EQ(jwt.user, "");
  Credentials twoColons = parseHttpAuthorization("Bearer a:b:c");  // MediaMTX: exactly two parts
  EXPECT_EQ(twoColons.token, "a:b:c");
  EXPECT_EQ(twoColons.user, "");
  EXPECT_FALSE(jwt.empty());
}

TEST(HttpCredentials, BearerSchemeIsCaseSensitive) {
  Credentials c = parseHttpAuthorization("bearer admin:secret");
  EXPECT_TRUE(c.empty());
}

TEST(HttpCredentials, BasicThroughTheGeneralParser) {
  Credentials c = parseHttpAuthorization("  " + basic("viewer:pw") + " ");
  EXPECT_EQ(c.user, "viewer");
  EXPECT_EQ(c.pass, "pw");
  EXPECT_TRUE(c.token.empty());
}

TEST(HttpCredentials, MalformedGivesNothing) {
  for (std::string_view header :
       {"", "Bearer", "Bearer ", "Basic", "Basic ???", "Negotiate abc", "garbage"}) {
    EXPECT_TRUE(parseHttpAuthorization(header).empty()) << header;
  }
}

}  // namespace
}  // namespace sluice::auth
