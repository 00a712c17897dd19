#include "http/TrustedProxies.h"

#include <gtest/gtest.h>

namespace sluice::http {
namespace {

TrustedProxies proxies(std::vector<std::string> entries) {
  std::string error;
  std::optional<TrustedProxies> p = TrustedProxies::parse(entries, error);
  EXPECT_TRUE(p) << error;
  return p ? *p : TrustedProxies();
}

std::optional<std::string> client(std::vector<std::string_view> xff, const TrustedProxies& trusted,
                                  std::string_view realIp = {}) {
  return forwardedClientIp(xff, realIp, trusted);
}

TEST(TrustedProxies, AddressesAndRanges) {
  TrustedProxies p = proxies({"127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "192.168.1.0/25"});
  EXPECT_TRUE(p.contains("127.0.0.1"));
  EXPECT_TRUE(p.contains("::ffff:127.0.0.1"));  // IPv4-mapped counts as IPv4
  EXPECT_FALSE(p.contains("127.0.0.2"));
  EXPECT_TRUE(p.contains("10.255.0.1"));
  EXPECT_FALSE(p.contains("11.0.0.1"));
  EXPECT_TRUE(p.contains("::1"));
  EXPECT_TRUE(p.contains("fd12:3456::1"));
  EXPECT_FALSE(p.contains("fe80::1"));
  EXPECT_TRUE(p.contains("192.168.1.127"));
  EXPECT_FALSE(p.contains("192.168.1.128"));
  EXPECT_FALSE(p.contains("not an ip"));
  EXPECT_FALSE(p.contains("[::1]"));
  EXPECT_TRUE(proxies({"0.0.0.0/0"}).contains("8.8.8.8"));
  EXPECT_FALSE(proxies({"0.0.0.0/0"}).contains("2001:db8::1"));
  EXPECT_TRUE(TrustedProxies().empty());
}

TEST(TrustedProxies, BadEntriesAreNamed) {
  for (const char* bad :
       {"nginx.local", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/1013159994",
        "1.2.3.4:80", "", "[::1]", " 10.0.0.1", "::ffff:10.0.0.0/104"}) {
    std::string error;
    EXPECT_FALSE(TrustedProxies::parse({bad}, error)) << bad;
    EXPECT_NE(error.find(std::string("'") + bad + "'"), std::string::npos) << error;
  }
}

TEST(ForwardedClientIp, RightMostUntrustedAddress) {
  TrustedProxies p = proxies({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(client({"203.0.113.7"}, p), "203.0.113.7");
  // A client may write anything at the left: only what trusted proxies appended counts.
  EXPECT_EQ(client({"6.6.6.6, 203.0.113.7, 10.1.2.3"}, p), "203.0.113.7");
  EXPECT_EQ(client({"6.6.6.6,203.0.113.7"}, p), "203.0.113.7");
  // Every hop trusted: the left-most one is the client (gin).
  EXPECT_EQ(client({"10.0.0.5, 127.0.0.1"}, p), "10.0.0.5");
}

TEST(ForwardedClientIp, SpacesAndTabsAroundEntries) {
  TrustedProxies p = proxies({"127.0.0.1"});
  EXPECT_EQ(client({"  198.51.100.1 ,\t127.0.0.1  "}, p), "198.51.100.1");
  EXPECT_EQ(client({" 198.51.100.1"}, p), "198.51.100.1");
}

TEST(ForwardedClientIp, SeveralHeadersFormOneList) {
  TrustedProxies p = proxies({"127.0.0.1"});
  // The last header is the one the nearest proxy wrote.
  EXPECT_EQ(client({"6.6.6.6", "198.51.100.1"}, p), "198.51.100.1");
  EXPECT_EQ(client({"6.6.6.6", "198.51.100.1, 127.0.0.1"}, p), "198.51.100.1");
  EXPECT_EQ(client({"198.51.100.1", "127.0.0.1"}, p), "198.51.100.1");
}

TEST(ForwardedClientIp, Ipv6) {
  TrustedProxies p = proxies({"::1", "fd00::/8"});
  EXPECT_EQ(client({"2001:db8::1, fd00::5"}, p), "2001:db8::1");
  EXPECT_EQ(client({"2001:DB8:0:0::1"}, p), "2001:db8::1");  // canonical form
  EXPECT_EQ(client({"::ffff:192.0.2.1"}, p), "192.0.2.1");   // mapped shown as IPv4
  // Brackets, ports and zones are not bare addresses: the header is not used.
  EXPECT_EQ(client({"[2001:db8::1]"}, p), std::nullopt);
  EXPECT_EQ(client({"[2001:db8::1]:443"}, p), std::nullopt);
  EXPECT_EQ(client({"fe80::1%eth0"}, p), std::nullopt);
}

TEST(ForwardedClientIp, MalformedHeadersAreIgnored) {
  TrustedProxies p = proxies({"127.0.0.1"});
  for (std::string_view bad :
       {"", " ", ",", "unknown", "1.2.3.4:5678", "1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4 5.6.7.8",
        "1.2.3.4;", "_hidden", "1.2.3.4\r\nX: y", "::::", "1.2.3.4,"}) {
    EXPECT_EQ(client({bad}, p), std::nullopt) << bad;
  }
  // A bad entry stops the walk before any untrusted address is found.
  EXPECT_EQ(client({"198.51.100.1, garbage, 127.0.0.1"}, p), std::nullopt);
  // ... but not when an untrusted one comes first from the right.
  EXPECT_EQ(client({"garbage, 198.51.100.1"}, p), "198.51.100.1");
  EXPECT_EQ(client({}, p), std::nullopt);
}

TEST(ForwardedClientIp, RealIpWhenNoUsableForwardedFor) {
  TrustedProxies p = proxies({"127.0.0.1"});
  EXPECT_EQ(client({}, p, "198.51.100.9"), "198.51.100.9");
  EXPECT_EQ(client({"garbage"}, p, "198.51.100.9"), "198.51.100.9");
  EXPECT_EQ(client({"198.51.100.1"}, p, "198.51.100.9"), "198.51.100.1");
  EXPECT_EQ(client({}, p, "198.51.100.9:80"), std::nullopt);
}

TEST(CanonicalIp, BareAddressesOnly) {
  EXPECT_EQ(canonicalIp("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(canonicalIp("::1"), "::1");
  EXPECT_EQ(canonicalIp(""), std::nullopt);
  EXPECT_EQ(canonicalIp(std::string(100, '1')), std::nullopt);
  EXPECT_EQ(canonicalIp("localhost"), std::nullopt);
}

}  // namespace
}  // namespace sluice::http
