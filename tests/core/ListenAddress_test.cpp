// One host:port parser for every listener (HTTP, RTSP, RTSP's UDP pair, WebRTC).
#include "core/ListenAddress.h"

#include <gtest/gtest.h>

using sluice::core::splitListenAddress;

TEST(ListenAddress, ParsesMediaMtxSyntax) {
  std::string host, error;
  uint16_t port = 0;
  ASSERT_TRUE(splitListenAddress(":8889", host, port, error));
  EXPECT_EQ(host, "");
  EXPECT_EQ(port, 8889);
  ASSERT_TRUE(splitListenAddress("127.0.0.1:0", host, port, error));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(splitListenAddress("[::]:8889", host, port, error));
  EXPECT_EQ(host, "::");
  ASSERT_TRUE(splitListenAddress("localhost:80", host, port, error));
  EXPECT_EQ(host, "localhost");
  EXPECT_FALSE(splitListenAddress("8889", host, port, error));
  EXPECT_FALSE(splitListenAddress("::1:8889", host, port, error));
  EXPECT_FALSE(splitListenAddress(":99999", host, port, error));
  EXPECT_FALSE(splitListenAddress(":", host, port, error));
  EXPECT_FALSE(splitListenAddress(":http", host, port, error));
  EXPECT_FALSE(splitListenAddress("[::1:80", host, port, error));
  EXPECT_EQ(error, "address [::1:80: missing ']' in address");
  EXPECT_FALSE(splitListenAddress("[:80", host, port, error));
  EXPECT_FALSE(splitListenAddress("8889", host, port, error));
  EXPECT_EQ(error, "address 8889: missing port in address");
  EXPECT_FALSE(splitListenAddress("::1:8889", host, port, error));
  EXPECT_EQ(error, "address ::1:8889: too many colons in address");
  EXPECT_FALSE(splitListenAddress("127.0.0.1:-1", host, port, error));
  EXPECT_EQ(error, "address 127.0.0.1:-1: invalid port");
  EXPECT_FALSE(splitListenAddress("127.0.0.1:000080", host, port, error));  // longer than a port
  ASSERT_TRUE(splitListenAddress("[::1]:8554", host, port, error));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8554);
}
