#include "core/HttpUrl.h"

#include <gtest/gtest.h>

namespace sluice::core {
namespace {

TEST(HttpUrl, SplitsWhatARequestNeeds) {
  std::string error;
  auto u = parseHttpUrl("http://auth.lan:9000/check?x=1", error);
  ASSERT_TRUE(u) << error;
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "auth.lan");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->target, "/check?x=1");
  EXPECT_EQ(u->hostHeader, "auth.lan:9000");
  EXPECT_EQ(u->userinfo, "");

  u = parseHttpUrl("https://user:p%40ss@[::1]", error);
  ASSERT_TRUE(u) << error;
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->userinfo, "user:p%40ss");
  EXPECT_EQ(u->hostHeader, "[::1]");

  u = parseHttpUrl("http://h?q=1#frag", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/?q=1");
}

TEST(HttpUrl, RefusesWhatIsNotOne) {
  for (const char* bad :
       {"", "ftp://h/", "http://", "http:///x", "http://h:0/", "http://h:65536/", "http://h:x/",
        "http://[::1/", "http://[::1]x/", "http://h /", "http://h/\r\nX: y", "h:80"}) {
    std::string error;
    EXPECT_FALSE(parseHttpUrl(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace sluice::core
