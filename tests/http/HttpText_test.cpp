#include "http/HttpText.h"

#include <gtest/gtest.h>

#include "http/CorsOrigin.h"
#include "http/HttpMessage.h"
#include "http/HttpServer.h"
#include "http/WebrtcRoutes.h"

using namespace sluice::http;

TEST(HttpText, SplitsOriginFormTargets) {
  std::string path, query;
  ASSERT_TRUE(splitRequestTarget("/cam/whep?token=a%20b&x=1", path, query));
  EXPECT_EQ(path, "/cam/whep");
  EXPECT_EQ(query, "token=a%20b&x=1");  // query stays raw: it is forwarded as-is
  ASSERT_TRUE(splitRequestTarget("/a%2Fb%20c/", path, query));
  EXPECT_EQ(path, "/a/b c/");
  EXPECT_EQ(query, "");
  ASSERT_TRUE(splitRequestTarget("/x?", path, query));
  EXPECT_EQ(path, "/x");
  EXPECT_EQ(query, "");
  ASSERT_TRUE(splitRequestTarget("/plus+sign", path, query));
  EXPECT_EQ(path, "/plus+sign");
}

TEST(HttpText, SplitsAbsoluteFormAndRejectsBadEscapes) {
  std::string path, query;
  ASSERT_TRUE(splitRequestTarget("http://example.com:8889/cam/?q=1", path, query));
  EXPECT_EQ(path, "/cam/");
  EXPECT_EQ(query, "q=1");
  ASSERT_TRUE(splitRequestTarget("http://example.com", path, query));
  EXPECT_EQ(path, "");  // answered with 400 by the server
  ASSERT_TRUE(splitRequestTarget("*", path, query));
  EXPECT_EQ(path, "*");
  EXPECT_FALSE(splitRequestTarget("/a%zz", path, query));
  EXPECT_FALSE(splitRequestTarget("/a%2", path, query));
  EXPECT_FALSE(splitRequestTarget("/a%", path, query));
}

TEST(HttpText, PercentEncodingRoundTripsAndNeverEmitsControlCharacters) {
  std::string raw = "a b/c?d#e%f\r\nX: y\x01\xff~-._:@!$&'()*+,;=";
  std::string encoded = percentEncodePath(raw);
  EXPECT_EQ(encoded.find_first_of("\r\n ?#"), std::string::npos);
  std::string decoded;
  ASSERT_TRUE(percentDecode(encoded, decoded));
  EXPECT_EQ(decoded, raw);
  EXPECT_EQ(percentEncodePath("floor/1/cam-2_x.y~z"), "floor/1/cam-2_x.y~z");
}

TEST(HttpText, MediaTypeIgnoresParametersAndCase) {
  EXPECT_EQ(mediaType("application/sdp"), "application/sdp");
  EXPECT_EQ(mediaType(" Application/SDP ; charset=utf-8"), "application/sdp");
  EXPECT_EQ(mediaType(""), "");
}

TEST(HttpText, CanonicalUuidAcceptsGoForms) {
  std::string out;
  ASSERT_TRUE(canonicalUuid("0F8FAD5B-D9CB-469F-A165-70867728950E", out));
  EXPECT_EQ(out, "0f8fad5b-d9cb-469f-a165-70867728950e");
  ASSERT_TRUE(canonicalUuid("{0f8fad5b-d9cb-469f-a165-70867728950e}", out));
  EXPECT_EQ(out, "0f8fad5b-d9cb-469f-a165-70867728950e");
  ASSERT_TRUE(canonicalUuid("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", out));
  ASSERT_TRUE(canonicalUuid("0f8fad5bd9cb469fa16570867728950e", out));
  EXPECT_EQ(out, "0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_FALSE(canonicalUuid("0f8fad5b-d9cb-469f-a165-70867728950", out));
  EXPECT_FALSE(canonicalUuid("0f8fad5b_d9cb-469f-a165-70867728950e", out));
  EXPECT_FALSE(canonicalUuid("0f8fad5b-d9cb-469f-a165-70867728950g", out));
  EXPECT_FALSE(canonicalUuid("not-a-uuid", out));
  EXPECT_FALSE(canonicalUuid("", out));
}

TEST(HttpText, JsonAndHtmlEscaping) {
  EXPECT_EQ(jsonErrorBody("path 'x' is not \"configured\"\n"),
            "{\"status\":\"error\",\"error\":\"path 'x' is not \\\"configured\\\"\\n\"}");
  EXPECT_EQ(jsonEscape("<a&b>\x01"), "\\u003ca\\u0026b\\u003e\\u0001");
  EXPECT_EQ(htmlEscape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(HttpText, HttpDateIsImfFixdate) { EXPECT_EQ(httpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT"); }

TEST(CorsOrigin, MatchesMediaMtxRules) {
  const std::vector<std::string> any{"*"};
  EXPECT_EQ(allowedOrigin("", any), "*");
  EXPECT_EQ(allowedOrigin("http://a.com", any), "*");
  EXPECT_EQ(allowedOrigin("http://a.com", {}), "");
  EXPECT_EQ(allowedOrigin("http://another.com", {"http://example.com"}), "");
  EXPECT_EQ(allowedOrigin("https://example.org", {"http://example.com", "https://example.org"}),
            "https://example.org");
  EXPECT_EQ(allowedOrigin("https://test.example.org", {"https://*.example.org"}), "https://test.example.org");
  // A listed origin is echoed even when "*" is allowed too: "*" is the last resort.
  EXPECT_EQ(allowedOrigin("https://example.org", {"*", "https://example.org"}), "https://example.org");
  EXPECT_EQ(allowedOrigin("https://other.org", {"https://example.org", "*"}), "*");
}

TEST(CorsOrigin, WildcardsAndPorts) {
  EXPECT_TRUE(originMatches("http://a.example.com", "http://*.example.com"));
  EXPECT_TRUE(originMatches("http://a.b.example.com", "http://*.example.com"));
  EXPECT_TRUE(originMatches("http://example.com", "http://*.example.com"));
  EXPECT_TRUE(originMatches("HTTP://A.Example.COM", "http://*.example.com"));
  EXPECT_FALSE(originMatches("http://evilexample.com", "http://*.example.com"));
  EXPECT_FALSE(originMatches("http://a.exampleXcom", "http://*.example.com"));  // dots are literal
  EXPECT_FALSE(originMatches("https://a.example.com", "http://*.example.com"));
  EXPECT_FALSE(originMatches("http://a.example.com:8080", "http://*.example.com"));
  EXPECT_TRUE(originMatches("http://example.com:80", "http://example.com"));
  EXPECT_TRUE(originMatches("https://example.com", "https://example.com:443"));
  EXPECT_FALSE(originMatches("http://example.com:8080", "http://example.com"));
  EXPECT_TRUE(originMatches("http://localhost:5173", "http://localhost:*"));
  EXPECT_TRUE(originMatches("http://[::1]:8080", "http://[::1]:8080"));
  EXPECT_FALSE(originMatches("null", "http://*"));
  EXPECT_FALSE(originMatches("", "http://*.example.com"));
  EXPECT_FALSE(originMatches("http://a.com", "not an origin"));
}

TEST(WebrtcRoute, MatchesLikeMediaMtxRegexes) {
  WebrtcRoute r = matchWebrtcRoute("/cam/whep");
  EXPECT_EQ(r.kind, WebrtcRouteKind::WhepEndpoint);
  EXPECT_EQ(r.pathName, "cam");

  r = matchWebrtcRoute("/floor/1/cam/whep");
  EXPECT_EQ(r.kind, WebrtcRouteKind::WhepEndpoint);
  EXPECT_EQ(r.pathName, "floor/1/cam");

  r = matchWebrtcRoute("/cam/whep/whep");  // the endpoint regex is tried first
  EXPECT_EQ(r.kind, WebrtcRouteKind::WhepEndpoint);
  EXPECT_EQ(r.pathName, "cam/whep");

  r = matchWebrtcRoute("/floor/1/whep/0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_EQ(r.kind, WebrtcRouteKind::WhepSession);
  EXPECT_EQ(r.pathName, "floor/1");
  EXPECT_EQ(r.secret, "0f8fad5b-d9cb-469f-a165-70867728950e");

  r = matchWebrtcRoute("/a/whep/b/whep/c");  // lazy: the first "/whep/" wins
  EXPECT_EQ(r.kind, WebrtcRouteKind::WhepSession);
  EXPECT_EQ(r.pathName, "a");
  EXPECT_EQ(r.secret, "b/whep/c");

  EXPECT_EQ(matchWebrtcRoute("/whep").kind, WebrtcRouteKind::Other);
  EXPECT_EQ(matchWebrtcRoute("//whep").kind, WebrtcRouteKind::Other);
  EXPECT_EQ(matchWebrtcRoute("/cam/whep/").kind, WebrtcRouteKind::Other);
  EXPECT_EQ(matchWebrtcRoute("/cam/").kind, WebrtcRouteKind::Other);
  EXPECT_EQ(matchWebrtcRoute("/cam/whepx").kind, WebrtcRouteKind::Other);
  EXPECT_EQ(matchWebrtcRoute("/ca\nm/whep").kind, WebrtcRouteKind::Other);
  EXPECT_EQ(matchWebrtcRoute("").kind, WebrtcRouteKind::Other);
}

TEST(HttpResponder, AnswersOnceAndSends500WhenDropped) {
  std::vector<int> sent;
  {
    HttpResponder r([&](HttpResponse res) { sent.push_back(res.status); });
    HttpResponder copy = r;
    copy(textResponse(201, "text/plain", "x"));
    r(textResponse(202, "text/plain", "y"));
    EXPECT_TRUE(r.responded());
  }
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], 201);
  {
    HttpResponder dropped([&](HttpResponse res) { sent.push_back(res.status); });
  }
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1], 500);
}
