#include "auth/IpNetworks.h"

#include <gtest/gtest.h>

namespace sluice::auth {
namespace {

IpNetworks networks(const std::vector<std::string>& texts) {
  std::string error;
  std::optional<IpNetworks> parsed = IpNetworks::parse(texts, &error);
  EXPECT_TRUE(parsed) << error;
  return parsed.value_or(IpNetworks{});
}

TEST(IpNetworks, SingleAddresses) {
  IpNetworks n = networks({"127.0.0.1", "::1"});
  EXPECT_TRUE(n.contains("127.0.0.1"));
  EXPECT_TRUE(n.contains("::1"));
  EXPECT_TRUE(n.contains("[::1]"));
  EXPECT_TRUE(n.contains("::ffff:127.0.0.1"));  // IPv4-mapped client
  EXPECT_TRUE(n.contains("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(n.contains("127.0.0.2"));
  EXPECT_FALSE(n.contains("::2"));
  EXPECT_FALSE(n.contains("10.0.0.5"));
}

TEST(IpNetworks, Ipv4Ranges) {
  IpNetworks n = networks({"10.0.0.0/8", "192.168.1.128/25", "172.16.5.4/12"});
  EXPECT_TRUE(n.contains("10.255.1.2"));
  EXPECT_FALSE(n.contains("11.0.0.1"));
  EXPECT_TRUE(n.contains("192.168.1.128"));
  EXPECT_TRUE(n.contains("192.168.1.255"));
  EXPECT_FALSE(n.contains("192.168.1.127"));
  EXPECT_TRUE(n.contains("172.31.0.1"));  // host bits of the range are ignored, as in Go
  EXPECT_FALSE(n.contains("172.32.0.1"));
  EXPECT_FALSE(n.contains("::ffff:11.0.0.1"));
  EXPECT_TRUE(n.contains("::ffff:10.1.2.3"));
}

TEST(IpNetworks, Ipv6Ranges) {
  IpNetworks n = networks({"2001:db8::/32", "fe80::/10"});
  EXPECT_TRUE(n.contains("2001:db8:1234::1"));
  EXPECT_FALSE(n.contains("2001:db9::1"));
  EXPECT_TRUE(n.contains("fe80::1%eth0"));  // zone dropped
  EXPECT_TRUE(n.contains("febf::1"));
  EXPECT_FALSE(n.contains("fec0::1"));
  EXPECT_FALSE(n.contains("10.0.0.1"));
}

TEST(IpNetworks, AllAndNone) {
  IpNetworks all = networks({"0.0.0.0/0", "::/0"});
  EXPECT_TRUE(all.contains("1.2.3.4"));
  EXPECT_TRUE(all.contains("2001:db8::1"));
  IpNetworks v4only = networks({"0.0.0.0/0"});
  EXPECT_FALSE(v4only.contains("2001:db8::1"));
  IpNetworks none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.contains("1.2.3.4"));
}

TEST(IpNetworks, MappedRangeIsIpv4) {
  IpNetworks n = networks({"::ffff:10.0.0.0/104"});  // = 10.0.0.0/8
  EXPECT_TRUE(n.contains("10.9.8.7"));
  EXPECT_FALSE(n.contains("11.0.0.1"));
  EXPECT_EQ(IpNetwork::parse("::ffff:10.0.0.0/104")->toString(), "10.0.0.0/8");
}

TEST(IpNetworks, ClientAddressesThatAreNotAddresses) {
  IpNetworks n = networks({"0.0.0.0/0"});
  for (std::string_view bad : {"", "1.2.3.4:5", "localhost", "1.2.3", "[::1", "1.2.3.4/32", "::1::2"}) {
    EXPECT_FALSE(n.contains(bad)) << bad;
  }
}

TEST(IpNetworks, Rejected) {
  for (std::string bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/a",
                          "host.example", "1.2.3.4.5", "01.2.3.4", "fe80::1%eth0", "10.0.0.0/8/8"}) {
    std::string error;
    EXPECT_FALSE(IpNetworks::parse({"127.0.0.1", bad}, &error)) << bad;
    EXPECT_EQ(error, "invalid IP address or CIDR range '" + bad + "'");
  }
}

TEST(IpNetworks, CanonicalText) {
  EXPECT_EQ(IpNetwork::parse("192.168.1.77/24")->toString(), "192.168.1.0/24");
  EXPECT_EQ(IpNetwork::parse("::1")->toString(), "::1/128");
  EXPECT_EQ(IpNetwork::parse("1.2.3.4")->toString(), "1.2.3.4/32");
}

// Found by auth_header_fuzz: inet_pton stops at a NUL, so "10.0.0.1\0junk" used to read as
// 10.0.0.1 (and a network with a NUL in its address as the part before it).
TEST(IpNetworks, EmbeddedNulIsNotAnAddress) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(IpAddress::parse("10.0.0.1\0junk"sv));
  EXPECT_FALSE(IpAddress::parse("::ffff:09:f\0\0fff:09.0.0.0.0/014"sv));
  EXPECT_FALSE(IpNetwork::parse("10.0.0.0\0junk/8"sv));
  EXPECT_FALSE(IpNetwork::parse("::ffff:09:f\0\0fff:09.0.0.0.0/014"sv));
  EXPECT_FALSE(networks({"10.0.0.0/8"}).contains("10.0.0.1\0junk"sv));
}

}  // namespace
}  // namespace sluice::auth
