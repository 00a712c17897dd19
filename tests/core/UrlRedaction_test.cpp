#include "core/UrlRedaction.h"

#include <gtest/gtest.h>

namespace sluice::core {
namespace {

TEST(UrlRedaction, HidesThePasswordOnly) {
  EXPECT_EQ(redactUrlPassword("rtsp://admin:secret@10.0.0.5:554/Streaming/101"),
            "rtsp://admin:***@10.0.0.5:554/Streaming/101");
  EXPECT_EQ(redactUrlPassword("rtsps://u:p@cam.example/x?a=b#frag"), "rtsps://u:***@cam.example/x?a=b#frag");
  EXPECT_EQ(redactUrlPassword("rtmp://u:p@host/app"), "rtmp://u:***@host/app");
  EXPECT_EQ(redactUrlPassword("rtsp://u:p@host"), "rtsp://u:***@host");
}

TEST(UrlRedaction, AtSignInThePassword) {
  // Unencoded '@' in a password: the userinfo ends at the last '@' of the authority.
  EXPECT_EQ(redactUrlPassword("rtsp://admin:p@ss@w0rd@10.0.0.5/live"), "rtsp://admin:***@10.0.0.5/live");
  // An '@' in the path is not a credential.
  EXPECT_EQ(redactUrlPassword("rtsp://10.0.0.5/live@main"), "rtsp://10.0.0.5/live@main");
  EXPECT_EQ(redactUrlPassword("rtsp://u:p@10.0.0.5/live@main"), "rtsp://u:***@10.0.0.5/live@main");
}

TEST(UrlRedaction, ColonInThePassword) {
  EXPECT_EQ(redactUrlPassword("rtsp://u:a:b:c@host/x"), "rtsp://u:***@host/x");
}

TEST(UrlRedaction, Ipv6Host) {
  EXPECT_EQ(redactUrlPassword("rtsp://u:p@[fe80::1]:8554/x"), "rtsp://u:***@[fe80::1]:8554/x");
  EXPECT_EQ(redactUrlPassword("rtsp://[fe80::1]:8554/x"), "rtsp://[fe80::1]:8554/x");
}

TEST(UrlRedaction, PercentEncodedCredentials) {
  EXPECT_EQ(redactUrlPassword("rtsp://us%40er:p%3As%2Fs@host/x"), "rtsp://us%40er:***@host/x");
}

TEST(UrlRedaction, NothingToHide) {
  EXPECT_EQ(redactUrlPassword("rtsp://user@host/x"), "rtsp://user@host/x");  // no password
  EXPECT_EQ(redactUrlPassword("rtsp://user:@host/x"), "rtsp://user:@host/x");  // empty password
  EXPECT_EQ(redactUrlPassword("rtsp://host:554/x"), "rtsp://host:554/x");
  EXPECT_EQ(redactUrlPassword("publisher"), "publisher");
  EXPECT_EQ(redactUrlPassword("/other/path"), "/other/path");
  EXPECT_EQ(redactUrlPassword(""), "");
  EXPECT_EQ(redactUrlPassword("rtsp://"), "rtsp://");
  EXPECT_FALSE(hasUrlPassword("rtsp://user@host/x"));
  EXPECT_TRUE(hasUrlPassword("rtsp://user:p@host/x"));
}

TEST(UrlRedaction, EmptyUserWithPassword) {
  EXPECT_EQ(redactUrlPassword("rtsp://:p@host/x"), "rtsp://:***@host/x");
}

TEST(UrlRedaction, RedactedFormIsRecognized) {
  const std::string stored = "rtsp://admin:secret@10.0.0.5/live";
  EXPECT_TRUE(isRedactedFormOf("rtsp://admin:***@10.0.0.5/live", stored));
  EXPECT_FALSE(isRedactedFormOf("rtsp://admin:***@10.0.0.6/live", stored));   // another host
  EXPECT_FALSE(isRedactedFormOf("rtsp://admin:secret@10.0.0.5/live", stored));  // the real one
  EXPECT_FALSE(isRedactedFormOf("rtsp://10.0.0.5/live", "rtsp://10.0.0.5/live"));  // nothing was hidden
}

}  // namespace
}  // namespace sluice::core
