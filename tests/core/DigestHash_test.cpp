// The hashes of Digest authentication (core/DigestHash), shared by the RTSP client and the
// server side, and the auth-param pieces (core/AuthParams) both parsers are made of.
#include "core/DigestHash.h"

#include <gtest/gtest.h>

#include "core/AuthParams.h"

namespace sluice::core {
namespace {

TEST(DigestHash, Rfc2617StyleVectors) {
  // RFC 2617 §3.5's example without qop parts: HA1 and HA2 as the RFC computes them.
  EXPECT_EQ(digestHash(DigestAlgorithm::Md5, "Mufasa:testrealm@host.com:Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9");
  EXPECT_EQ(digestHash(DigestAlgorithm::Md5, "GET:/dir/index.html"),
            "39aff3a2bab6126f332b942af96d3366");
  EXPECT_EQ(digestHash(DigestAlgorithm::Sha256, "").substr(0, 16), "e3b0c44298fc1c14");
}

TEST(DigestHash, ResponseWithoutQopIsRfc2069s) {
  // H(H(user:realm:pass):nonce:H(method:uri)), computed step by step.
  const std::string ha1 = digestHash(DigestAlgorithm::Md5, "u:ipcam:p");
  const std::string ha2 = digestHash(DigestAlgorithm::Md5, "DESCRIBE:rtsp://h/cam");
  EXPECT_EQ(digestResponseWithoutQop(DigestAlgorithm::Md5, "u", "ipcam", "p", "n", "DESCRIBE", "rtsp://h/cam"),
            digestHash(DigestAlgorithm::Md5, ha1 + ":n:" + ha2));
  EXPECT_EQ(digestResponseWithoutQop(DigestAlgorithm::Sha256, "u", "ipcam", "p", "n", "DESCRIBE", "x").size(), 64u);
  EXPECT_EQ(digestAlgorithmFromName(""), DigestAlgorithm::Md5);
  EXPECT_EQ(digestAlgorithmFromName("md5"), DigestAlgorithm::Md5);
  EXPECT_EQ(digestAlgorithmFromName("sha-256"), DigestAlgorithm::Sha256);
  EXPECT_FALSE(digestAlgorithmFromName("MD5-sess"));
}

TEST(AuthParams, TokensAndQuotedStrings) {
  std::string_view s = "  Digest realm=\"a\\\"b\", x";
  skipBlanks(s);
  EXPECT_EQ(takeToken(s), "Digest");
  skipBlanks(s);
  EXPECT_EQ(takeToken(s), "realm");
  s.remove_prefix(1);  // '='
  std::string value;
  EXPECT_TRUE(takeQuotedString(s, value));
  EXPECT_EQ(value, "a\"b");
  EXPECT_EQ(s, ", x");
  std::string_view open = "\"never closed";
  EXPECT_FALSE(takeQuotedString(open, value));
  std::string_view escapeAtEnd = "\"x\\";
  EXPECT_FALSE(takeQuotedString(escapeAtEnd, value));
  EXPECT_FALSE(isTokenChar('"'));
  EXPECT_FALSE(isTokenChar(','));
  EXPECT_TRUE(isTokenChar('~'));
}

}  // namespace
}  // namespace sluice::core
