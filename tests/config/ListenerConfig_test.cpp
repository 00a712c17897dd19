// The control API, metrics and pprof listener keys.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using testing::contains;
using testing::countContaining;
using testing::load;
using testing::loadError;
using testing::loadOk;

class ListenerConfig : public ::testing::Test {
 protected:
  testing::ScopedEnvironment environment_;
};

TEST_F(ListenerConfig, Defaults) {
  Config c = loadOk("");
  EXPECT_FALSE(c.api);
  EXPECT_EQ(c.apiAddress, ":9997");
  EXPECT_EQ(c.apiAllowOrigins, std::vector<std::string>{"*"});
  EXPECT_TRUE(c.apiTrustedProxies.empty());
  EXPECT_FALSE(c.metrics);
  EXPECT_EQ(c.metricsAddress, ":9998");
  EXPECT_EQ(c.metricsAllowOrigins, std::vector<std::string>{"*"});
  EXPECT_TRUE(c.metricsTrustedProxies.empty());
  EXPECT_FALSE(c.pprof);
  EXPECT_EQ(c.pprofAddress, ":9999");
  EXPECT_EQ(c.pprofAllowOrigins, std::vector<std::string>{"*"});
  EXPECT_TRUE(c.pprofTrustedProxies.empty());
}

TEST_F(ListenerConfig, ReadsEveryKey) {
  ConfigResult result = load(R"(
api: yes
apiAddress: 127.0.0.1:9997
apiAllowOrigins: ['https://dash.example']
apiTrustedProxies: [10.0.0.1, '10.1.0.0/16']
metrics: true
metricsAddress: :19998
metricsAllowOrigins: []
metricsTrustedProxies: ['::1']
pprof: on
pprofAddress: unix:///run/sluice-pprof.sock
pprofAllowOrigins: ['*']
pprofTrustedProxies: ['fd00::/8']
)");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_TRUE(result.warnings.empty());
  const Config& c = *result.config;
  EXPECT_TRUE(c.api);
  EXPECT_EQ(c.apiAddress, "127.0.0.1:9997");
  EXPECT_EQ(c.apiAllowOrigins, std::vector<std::string>{"https://dash.example"});
  EXPECT_EQ(c.apiTrustedProxies, (std::vector<std::string>{"10.0.0.1", "10.1.0.0/16"}));
  EXPECT_TRUE(c.metrics);
  EXPECT_EQ(c.metricsAddress, ":19998");
  EXPECT_TRUE(c.metricsAllowOrigins.empty());
  EXPECT_EQ(c.metricsTrustedProxies, std::vector<std::string>{"::1"});
  EXPECT_TRUE(c.pprof);
  EXPECT_EQ(c.pprofAddress, "unix:///run/sluice-pprof.sock");
  EXPECT_EQ(c.pprofTrustedProxies, std::vector<std::string>{"fd00::/8"});
}

TEST_F(ListenerConfig, AddressIsRequiredOnlyWhenEnabled) {
  EXPECT_EQ(loadError("api: yes\napiAddress: ''\n"),
            "sluice.yml: 'apiAddress' must be set when the API is enabled");
  EXPECT_EQ(loadError("metrics: yes\nmetricsAddress: ''\n"),
            "sluice.yml: 'metricsAddress' must be set when metrics are enabled");
  EXPECT_EQ(loadError("pprof: yes\npprofAddress: ''\n"),
            "sluice.yml: 'pprofAddress' must be set when pprof is enabled");
  EXPECT_TRUE(load("apiAddress: ''\nmetricsAddress: ''\npprofAddress: ''\n").config);
}

TEST_F(ListenerConfig, TrustedProxiesMustBeAddressesOrRanges) {
  EXPECT_EQ(loadError("apiTrustedProxies: [proxy.example]\n"),
            "sluice.yml:1: apiTrustedProxies: invalid IP address or CIDR range 'proxy.example'");
  EXPECT_TRUE(contains(loadError("metricsTrustedProxies: ['::1/129']\n"), "'::1/129'"));
  EXPECT_TRUE(contains(loadError("pprofTrustedProxies: ['10.0.0.1/']\n"), "'10.0.0.1/'"));
  EXPECT_TRUE(contains(loadError("webrtcTrustedProxies: [nginx.local]\n"), "'nginx.local'"));
}

TEST_F(ListenerConfig, BadBoolean) {
  EXPECT_EQ(loadError("api: maybe\n"),
            "sluice.yml:1: api: invalid boolean 'maybe' (expected yes, no, true, false, on, off)");
}

TEST_F(ListenerConfig, DeprecatedSingleOrigins) {
  ConfigResult result = load(
      "apiAllowOrigin: https://a.example\nmetricsAllowOrigin: https://b.example\npprofAllowOrigin: '*'\n");
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->apiAllowOrigins, std::vector<std::string>{"https://a.example"});
  EXPECT_EQ(result.config->metricsAllowOrigins, std::vector<std::string>{"https://b.example"});
  EXPECT_EQ(result.config->pprofAllowOrigins, std::vector<std::string>{"*"});
  EXPECT_EQ(countContaining(result.warnings,
                            "'apiAllowOrigin' is deprecated and has been replaced by 'apiAllowOrigins'"),
            1u);
  EXPECT_EQ(result.warnings.size(), 3u);
}

TEST_F(ListenerConfig, TlsAndTrustedProxyKeysAreBound) {
  Config c = loadOk(
      "api: yes\napiEncryption: yes\nmetricsServerKey: k.pem\npprofServerCert: c.pem\n"
      "webrtcEncryption: yes\nwebrtcServerKey: /etc/sluice/key.pem\nwebrtcServerCert: /etc/sluice/cert.pem\n"
      "webrtcTrustedProxies: [127.0.0.1, 10.0.0.0/8, '::1']\n");
  EXPECT_TRUE(c.apiEncryption);
  EXPECT_EQ(c.apiServerKey, "server.key");
  EXPECT_EQ(c.apiServerCert, "server.crt");
  EXPECT_EQ(c.metricsServerKey, "k.pem");
  EXPECT_EQ(c.pprofServerCert, "c.pem");
  EXPECT_TRUE(c.webrtcEncryption);
  EXPECT_EQ(c.webrtcServerKey, "/etc/sluice/key.pem");
  EXPECT_EQ(c.webrtcServerCert, "/etc/sluice/cert.pem");
  EXPECT_EQ(c.webrtcTrustedProxies, (std::vector<std::string>{"127.0.0.1", "10.0.0.0/8", "::1"}));
}

TEST_F(ListenerConfig, TlsNeedsItsFilesNamed) {
  ConfigResult result = load("webrtcEncryption: yes\nwebrtcServerKey: ''\n");
  ASSERT_FALSE(result.config);
  EXPECT_TRUE(
      testing::contains(result.error, "'webrtcServerKey' must be set when 'webrtcEncryption' is enabled"))
      << result.error;
}

TEST_F(ListenerConfig, FromTheEnvironment) {
  environment_.set("MTX_API", "yes");
  environment_.set("MTX_APIADDRESS", ":7000");
  environment_.set("MTX_APITRUSTEDPROXIES", "10.0.0.1,10.0.0.2");
  environment_.set("MTX_METRICSALLOWORIGINS", "");
  environment_.set("MTX_PPROF", "true");
  Config c = loadOk("api: no\n");
  EXPECT_TRUE(c.api);
  EXPECT_EQ(c.apiAddress, ":7000");
  EXPECT_EQ(c.apiTrustedProxies, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_TRUE(c.metricsAllowOrigins.empty());
  EXPECT_TRUE(c.pprof);
}

}  // namespace
}  // namespace sluice::config
