#include "core/Base64.h"

#include <gtest/gtest.h>

using namespace sluice::core;

TEST(Base64, RoundTripsRfc4648Vectors) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  auto d = base64Decode("Zm9vYmE=");
  ASSERT_TRUE(d);
  EXPECT_EQ(std::string(d->begin(), d->end()), "fooba");
}

TEST(Base64, DecodesSpropWithoutPadding) {
  auto d = base64Decode("Z0LAHtkAUAW7ARAAAAMAEAAAAwPA8WLkgA");
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)[0], 0x67);
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64Decode("Zm9v!"));
  EXPECT_FALSE(base64Decode("Z"));
  EXPECT_FALSE(base64Decode("Zm=v"));
}
