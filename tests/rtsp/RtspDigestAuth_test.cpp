#include "rtsp/RtspDigestAuth.h"

#include <gtest/gtest.h>

#include "core/Base64.h"

namespace sluice::rtsp {
namespace {

TEST(RtspDigestAuth, Rfc2617WithQopAuth) {
  RtspDigestInput in;
  in.user = "Mufasa";
  in.password = "Circle Of Life";
  in.realm = "testrealm@host.com";
  in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.qopAuth = true;
  in.nc = 1;
  in.cnonce = "0a4f113b";
  EXPECT_EQ(digestResponse(in), "6629fae49393a05397450978507c4ef1");
}

TEST(RtspDigestAuth, Rfc2069WithoutQop) {
  // RFC 2069 §2.4's example; its printed response is known to be wrong (errata), this is
  // the value of H(H(A1):nonce:H(A2)) for the example's inputs.
  RtspDigestInput in;
  in.user = "Mufasa";
  in.password = "CircleOfLife";
  in.realm = "testrealm@host.com";
  in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  in.method = "GET";
  in.uri = "/dir/index.html";
  EXPECT_EQ(digestResponse(in), "1949323746fe6a43ef61f9606e7febea");
}

TEST(RtspDigestAuth, Rfc7616Md5AndSha256) {
  RtspDigestInput in;
  in.user = "Mufasa";
  in.password = "Circle of Life";
  in.realm = "http-auth@example.org";
  in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.qopAuth = true;
  in.nc = 1;
  in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  EXPECT_EQ(digestResponse(in), "8ca523f5e9506fed4657c9700eebdbec");
  in.algorithm = RtspDigestAlgorithm::Sha256;
  EXPECT_EQ(digestResponse(in), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(RtspDigestAuth, BasicHeader) {
  EXPECT_EQ(basicAuthorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(RtspDigestAuth, AuthorizationHeaderWithoutQop) {
  RtspAuthenticator auth("Mufasa", "CircleOfLife");
  std::string err;
  ASSERT_TRUE(auth.acceptChallenges(
      {"Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
       "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""},
      &err));
  EXPECT_EQ(auth.authorize("GET", "/dir/index.html"),
            "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
            "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
            "uri=\"/dir/index.html\", response=\"1949323746fe6a43ef61f9606e7febea\", "
            "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
}

TEST(RtspDigestAuth, AuthorizationHeaderWithQopCountsNc) {
  RtspAuthenticator auth("u", "p");
  ASSERT_TRUE(
      auth.acceptChallenges({"Digest realm=\"r\", nonce=\"n\", qop=\"auth\", algorithm=MD5"}, nullptr));
  std::string a1 = auth.authorize("DESCRIBE", "rtsp://h/x");
  std::string a2 = auth.authorize("SETUP", "rtsp://h/x/trackID=0");
  EXPECT_NE(a1.find("qop=auth, nc=00000001, cnonce=\""), std::string::npos) << a1;
  EXPECT_NE(a2.find("nc=00000002"), std::string::npos) << a2;
  EXPECT_NE(a1.find("algorithm=MD5"), std::string::npos);
  // The response in the header matches an independent computation with its cnonce.
  size_t c = a1.find("cnonce=\"") + 8;
  std::string cnonce = a1.substr(c, a1.find('"', c) - c);
  RtspDigestInput in;
  in.user = "u";
  in.password = "p";
  in.realm = "r";
  in.nonce = "n";
  in.method = "DESCRIBE";
  in.uri = "rtsp://h/x";
  in.qopAuth = true;
  in.nc = 1;
  in.cnonce = cnonce;
  EXPECT_NE(a1.find("response=\"" + digestResponse(in) + "\""), std::string::npos);
}

TEST(RtspDigestAuth, PrefersDigestOverBasic) {
  RtspAuthenticator auth("u", "p");
  ASSERT_TRUE(auth.acceptChallenges({"Basic realm=\"r\"", "Digest realm=\"r\", nonce=\"n\""}, nullptr));
  EXPECT_EQ(auth.authorize("OPTIONS", "rtsp://h/").rfind("Digest ", 0), 0u);
  RtspAuthenticator sha("u", "p");
  ASSERT_TRUE(sha.acceptChallenges(
      {"Digest realm=\"r\", nonce=\"n\"", "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256"}, nullptr));
  EXPECT_NE(sha.authorize("OPTIONS", "rtsp://h/").find("algorithm=SHA-256"), std::string::npos);
}

TEST(RtspDigestAuth, BasicOnly) {
  RtspAuthenticator auth("user", "pass");
  ASSERT_TRUE(auth.acceptChallenges({"Basic realm=\"ipcam\""}, nullptr));
  EXPECT_EQ(auth.authorize("DESCRIBE", "rtsp://h/"), "Basic " + core::base64Encode("user:pass"));
}

TEST(RtspDigestAuth, RejectsUnusableChallenges) {
  RtspAuthenticator auth("u", "p");
  std::string err;
  EXPECT_FALSE(auth.acceptChallenges({}, &err));
  EXPECT_FALSE(auth.acceptChallenges({"Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess"}, &err));
  EXPECT_NE(err.find("algorithm"), std::string::npos);
  EXPECT_FALSE(auth.acceptChallenges({"Negotiate abc"}, &err));
  EXPECT_FALSE(auth.active());
  EXPECT_EQ(auth.authorize("OPTIONS", "rtsp://h/"), "");
}

}  // namespace
}  // namespace sluice::rtsp
