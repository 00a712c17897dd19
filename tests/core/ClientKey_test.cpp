// Per-client identity (IPv4 address or IPv6 /64) and the per-client log limit.
#include "core/ClientKey.h"

#include <gtest/gtest.h>

#include "core/KeyedRateLimit.h"

namespace sluice::core {
namespace {

using namespace std::chrono_literals;

TEST(ClientKey, Ipv4AndMappedIpv4AreTheAddress) {
  EXPECT_EQ(clientKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(clientKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(clientKey("[::ffff:192.0.2.7]"), "192.0.2.7");
}

TEST(ClientKey, Ipv6IsItsSlash64) {
  EXPECT_EQ(clientKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(clientKey("[2001:db8:1:2::9]"), "2001:db8:1:2::/64");
  EXPECT_EQ(clientKey("2001:DB8:1:2::9%eth0"), "2001:db8:1:2::/64");
  EXPECT_EQ(clientKey("::1"), "::/64");
  EXPECT_NE(clientKey("2001:db8:1:2::1"), clientKey("2001:db8:1:3::1"));
}

TEST(ClientKey, NonAddressesAreTheirOwnKey) {
  EXPECT_EQ(clientKey("garbage"), "garbage");
  EXPECT_EQ(clientKey(""), "");
  EXPECT_EQ(clientKey("1.2.3.4.5"), "1.2.3.4.5");
}

TEST(ClientKey, OfRemoteAddresses) {
  EXPECT_EQ(clientKeyOfAddress("192.0.2.7:5000"), "192.0.2.7");
  EXPECT_EQ(clientKeyOfAddress("[2001:db8:1:2::9]:443"), "2001:db8:1:2::/64");
  EXPECT_EQ(clientKeyOfAddress("[::ffff:10.0.0.1]:1"), "10.0.0.1");
  EXPECT_EQ(clientKeyOfAddress("2001:db8::1"), "2001:db8::/64");  // bare IPv6, no port
  EXPECT_EQ(clientKeyOfAddress("10.0.0.1"), "10.0.0.1");
}

TEST(ClientKey, LocalHostIsOnly127001AndIpv6Loopback) {
  EXPECT_TRUE(isLocalHostKey(clientKey("127.0.0.1")));
  EXPECT_TRUE(isLocalHostKey(clientKey("::1")));
  EXPECT_TRUE(isLocalHostKey(clientKey("::ffff:127.0.0.1")));
  EXPECT_FALSE(isLocalHostKey(clientKey("127.0.0.2")));
  EXPECT_FALSE(isLocalHostKey(clientKey("10.0.0.1")));
  EXPECT_FALSE(isLocalHostKey(clientKey("2001:db8::1")));
}

TEST(KeyedRateLimit, OncePerKeyPerInterval) {
  KeyedRateLimit limit(10s, 100);
  const auto t0 = KeyedRateLimit::Clock::now();
  uint64_t suppressed = 99;
  EXPECT_TRUE(limit.allow("a", suppressed, t0));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(limit.allow("a", suppressed, t0 + 1s));
  EXPECT_FALSE(limit.allow("a", suppressed, t0 + 2s));
  EXPECT_TRUE(limit.allow("b", suppressed, t0 + 2s));  // another key is logged at once
  EXPECT_TRUE(limit.allow("a", suppressed, t0 + 10s));
  EXPECT_EQ(suppressed, 2u);
}

TEST(KeyedRateLimit, BoundedKeys) {
  KeyedRateLimit limit(10s, 3);
  const auto t0 = KeyedRateLimit::Clock::now();
  uint64_t suppressed = 0;
  for (const char* k : {"a", "b", "c"}) EXPECT_TRUE(limit.allow(k, suppressed, t0));
  EXPECT_FALSE(limit.allow("d", suppressed, t0 + 1s));  // full: not tracked, counted
  EXPECT_EQ(limit.overflowSuppressed(), 1u);
  EXPECT_EQ(limit.trackedKeys(), 3u);
  EXPECT_TRUE(limit.allow("d", suppressed, t0 + 11s));  // idle keys were forgotten
  EXPECT_EQ(suppressed, 1u);
  EXPECT_EQ(limit.trackedKeys(), 1u);
}

}  // namespace
}  // namespace sluice::core
