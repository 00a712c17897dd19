// The configuration as MediaMTX's control API shows it, and the API's configuration changes.
#include "config/ConfigJson.h"

#include "ConfigTestSupport.h"
#include "config/Duration.h"
#include "config/KeyBindings.h"

namespace sluice::config {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::contains;
using testing::loadOk;
using testing::pathNamed;

class ConfigJsonTest : public ::testing::Test {
 protected:
  testing::ScopedEnvironment environment_;
};

// A configuration where (nearly) every key differs from its default.
constexpr std::string_view kRichYaml = R"(
logLevel: debug
logDestinations: [stdout, file]
logStructured: yes
logFile: /var/log/sluice.log
readTimeout: 1m30s
writeTimeout: 2500ms
writeQueueSize: 1024
udpMaxPayloadSize: 1400
udpReadBufferSize: 1048576
authInternalUsers:
  - user: admin
    pass: s3cret
    ips: [10.0.0.0/8]
    permissions: [{action: api}, {action: read, path: "~^cam"}]
  - user: any
    permissions: [{action: read}]
authHTTPExclude: [{action: api}]
api: yes
apiAddress: 127.0.0.1:9997
apiAllowOrigins: [http://ui.example]
apiTrustedProxies: [10.1.0.0/16]
metrics: yes
metricsAddress: :19998
metricsTrustedProxies: [10.2.0.1]
pprof: yes
pprofAddress: :19999
pprofAllowOrigins: []
webrtcAddress: :9889
webrtcAllowOrigins: [http://a.example, http://*.b.example]
webrtcLocalUDPAddress: :9189
webrtcLocalTCPAddress: :9190
webrtcIPsFromInterfaces: no
webrtcIPsFromInterfacesList: [eth0]
webrtcAdditionalHosts: [192.0.2.1, cam.example]
webrtcICEServers2:
  - url: stun:stun.example:3478
  - url: turn:turn.example:3478
    username: user
    password: "p\"ss: w"
    clientOnly: true
webrtcHandshakeTimeout: 1d12h
webrtcSTUNGatherTimeout: 1500ms
workerThreads: 3
workerBatchInterval: 5ms
webrtcSenderReportPeriod: 250ms
streamHistoryPackets: 1024
pathDefaults:
  rtspTransport: tcp
  maxReaders: 40
  sourceOnDemandStartTimeout: 20s
paths:
  zcam:
    source: rtsp://user:pass@10.0.0.11:554/Streaming/Channels/101
    sourceOnDemand: yes
    sourceOnDemandCloseAfter: 1h
    rtspAnyPort: yes
    rtspTransport: udp
  acam:
    source: rtsps://10.0.0.12/s
    maxReaders: 0
  pub:
  moved:
    source: redirect
    sourceRedirect: /pub
  ~^cam(\d+)$:
    source: rtsp://10.0.0.$G1/stream
    sourceOnDemand: yes
  all_others:
)";

void expectSamePath(const PathConfig& a, const PathConfig& b) {
  SCOPED_TRACE("path '" + a.name + "'");
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.regex, b.regex);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.rtspTransport, b.rtspTransport);
  EXPECT_EQ(a.sourceOnDemand, b.sourceOnDemand);
  EXPECT_EQ(a.sourceOnDemandStartTimeout, b.sourceOnDemandStartTimeout);
  EXPECT_EQ(a.sourceOnDemandCloseAfter, b.sourceOnDemandCloseAfter);
  EXPECT_EQ(a.maxReaders, b.maxReaders);
  EXPECT_EQ(a.rtspAnyPort, b.rtspAnyPort);
  EXPECT_EQ(a.sourceRedirect, b.sourceRedirect);
  EXPECT_EQ(a.sourceSupported, b.sourceSupported);
  EXPECT_EQ(a.pattern != nullptr, b.pattern != nullptr);
}

void expectSameConfig(const Config& a, const Config& b) {
  EXPECT_EQ(a.logLevel, b.logLevel);
  EXPECT_EQ(a.logDestinations, b.logDestinations);
  EXPECT_EQ(a.logStructured, b.logStructured);
  EXPECT_EQ(a.logFile, b.logFile);
  EXPECT_EQ(a.readTimeout, b.readTimeout);
  EXPECT_EQ(a.writeTimeout, b.writeTimeout);
  EXPECT_EQ(a.writeQueueSize, b.writeQueueSize);
  EXPECT_EQ(a.udpMaxPayloadSize, b.udpMaxPayloadSize);
  EXPECT_EQ(a.udpReadBufferSize, b.udpReadBufferSize);
  EXPECT_EQ(a.authMethod, b.authMethod);
  EXPECT_EQ(a.authInternalUsers, b.authInternalUsers);
  EXPECT_EQ(a.authHTTPExclude, b.authHTTPExclude);
  EXPECT_EQ(a.api, b.api);
  EXPECT_EQ(a.apiAddress, b.apiAddress);
  EXPECT_EQ(a.apiAllowOrigins, b.apiAllowOrigins);
  EXPECT_EQ(a.apiTrustedProxies, b.apiTrustedProxies);
  EXPECT_EQ(a.metrics, b.metrics);
  EXPECT_EQ(a.metricsAddress, b.metricsAddress);
  EXPECT_EQ(a.metricsAllowOrigins, b.metricsAllowOrigins);
  EXPECT_EQ(a.metricsTrustedProxies, b.metricsTrustedProxies);
  EXPECT_EQ(a.pprof, b.pprof);
  EXPECT_EQ(a.pprofAddress, b.pprofAddress);
  EXPECT_EQ(a.pprofAllowOrigins, b.pprofAllowOrigins);
  EXPECT_EQ(a.pprofTrustedProxies, b.pprofTrustedProxies);
  EXPECT_EQ(a.webrtc, b.webrtc);
  EXPECT_EQ(a.webrtcAddress, b.webrtcAddress);
  EXPECT_EQ(a.webrtcAllowOrigins, b.webrtcAllowOrigins);
  EXPECT_EQ(a.webrtcLocalUDPAddress, b.webrtcLocalUDPAddress);
  EXPECT_EQ(a.webrtcLocalTCPAddress, b.webrtcLocalTCPAddress);
  EXPECT_EQ(a.webrtcIPsFromInterfaces, b.webrtcIPsFromInterfaces);
  EXPECT_EQ(a.webrtcIPsFromInterfacesList, b.webrtcIPsFromInterfacesList);
  EXPECT_EQ(a.webrtcAdditionalHosts, b.webrtcAdditionalHosts);
  ASSERT_EQ(a.webrtcICEServers2.size(), b.webrtcICEServers2.size());
  for (size_t i = 0; i < a.webrtcICEServers2.size(); ++i) {
    EXPECT_EQ(a.webrtcICEServers2[i].url, b.webrtcICEServers2[i].url);
    EXPECT_EQ(a.webrtcICEServers2[i].username, b.webrtcICEServers2[i].username);
    EXPECT_EQ(a.webrtcICEServers2[i].password, b.webrtcICEServers2[i].password);
    EXPECT_EQ(a.webrtcICEServers2[i].clientOnly, b.webrtcICEServers2[i].clientOnly);
  }
  EXPECT_EQ(a.webrtcHandshakeTimeout, b.webrtcHandshakeTimeout);
  EXPECT_EQ(a.webrtcSTUNGatherTimeout, b.webrtcSTUNGatherTimeout);
  EXPECT_EQ(a.workerThreads, b.workerThreads);
  EXPECT_EQ(a.workerBatchInterval, b.workerBatchInterval);
  EXPECT_EQ(a.webrtcSenderReportPeriod, b.webrtcSenderReportPeriod);
  EXPECT_EQ(a.streamHistoryPackets, b.streamHistoryPackets);
  expectSamePath(a.pathDefaults, b.pathDefaults);
  // By name: documentOf() gives paths sorted by name (changes keep the order; tested apart).
  ASSERT_EQ(a.paths.size(), b.paths.size());
  for (const PathConfig& path : a.paths) {
    const PathConfig* other = pathNamed(b, path.name);
    ASSERT_NE(other, nullptr) << "path '" << path.name << "' is missing";
    expectSamePath(path, *other);
  }
}

Config richConfig() {
  Config config = loadOk(kRichYaml);
  config.sourceFile = "/etc/mediamtx/mediamtx.yml";
  return config;
}

// A successful change, failing the test (with the error) otherwise.
Config changed(const ConfigChangeResult& result) {
  EXPECT_EQ(result.status, 200) << result.error;
  EXPECT_TRUE(result.error.empty()) << result.error;
  EXPECT_TRUE(result.config.has_value());
  return result.config.value_or(Config{});
}

// The error of a rejected change, checking its status.
std::string rejected(const ConfigChangeResult& result, int status) {
  EXPECT_EQ(result.status, status);
  EXPECT_FALSE(result.config.has_value()) << "the change was accepted";
  EXPECT_FALSE(result.error.empty());
  return result.error;
}

// ---------------------------------------------------------------------------------------------
// JSON views

TEST_F(ConfigJsonTest, DurationsAreWrittenAsMediamtxDoes) {
  EXPECT_EQ(formatDuration(0ms), "0s");
  EXPECT_EQ(formatDuration(1ms), "1ms");
  EXPECT_EQ(formatDuration(200ms), "200ms");
  EXPECT_EQ(formatDuration(1s), "1s");
  EXPECT_EQ(formatDuration(1500ms), "1.5s");
  EXPECT_EQ(formatDuration(2250ms), "2.25s");
  EXPECT_EQ(formatDuration(10s), "10s");
  EXPECT_EQ(formatDuration(60s), "1m0s");
  EXPECT_EQ(formatDuration(90s), "1m30s");
  EXPECT_EQ(formatDuration(1h), "1h0m0s");
  EXPECT_EQ(formatDuration(1h + 1ms), "1h0m0.001s");
  EXPECT_EQ(formatDuration(24h), "1d");
  EXPECT_EQ(formatDuration(36h), "1d12h0m0s");
  EXPECT_EQ(formatDuration(48h + 250ms), "2d250ms");
  EXPECT_EQ(formatDuration(-1500ms), "-1.5s");
}

TEST_F(ConfigJsonTest, FormattedDurationsParseBackToTheSameValue) {
  for (std::chrono::milliseconds value :
       {0ms, 1ms, 999ms, 1000ms, 1001ms, 59999ms, 60000ms, 3599999ms, 3600000ms, 86399999ms, 86400000ms,
        86400001ms, 90061001ms, 31536000000ms}) {
    std::optional<std::chrono::nanoseconds> parsed = parseDuration(formatDuration(value));
    ASSERT_TRUE(parsed.has_value()) << formatDuration(value);
    EXPECT_EQ(*parsed, value) << formatDuration(value);
  }
}

TEST_F(ConfigJsonTest, GlobalJsonUsesMediamtxNamesAndFormats) {
  json global = globalToJson(Config{});
  EXPECT_EQ(global["logLevel"], "info");
  EXPECT_EQ(global["logDestinations"], json::array({"stdout"}));
  EXPECT_EQ(global["logStructured"], false);
  EXPECT_EQ(global["logFile"], "mediamtx.log");
  EXPECT_EQ(global["readTimeout"], "10s");
  EXPECT_EQ(global["writeTimeout"], "10s");
  EXPECT_EQ(global["writeQueueSize"], 512);
  EXPECT_EQ(global["udpMaxPayloadSize"], 1452);
  EXPECT_EQ(global["udpReadBufferSize"], 0);
  EXPECT_EQ(global["authMethod"], "internal");
  EXPECT_EQ(global["rtspAuthMethods"], json::array({"basic"}));
  EXPECT_EQ(global["authInternalUsers"], json::parse(R"([
      {"user":"any","pass":"","ips":[],
       "permissions":[{"action":"publish","path":""},{"action":"read","path":""},{"action":"playback","path":""}]},
      {"user":"any","pass":"","ips":["127.0.0.1","::1"],
       "permissions":[{"action":"api","path":""},{"action":"metrics","path":""},{"action":"pprof","path":""}]}])"));
  EXPECT_EQ(
      global["authHTTPExclude"],
      json::parse(
          R"([{"action":"api","path":""},{"action":"metrics","path":""},{"action":"pprof","path":""}])"));
  EXPECT_EQ(global["api"], false);
  EXPECT_EQ(global["apiAddress"], ":9997");
  EXPECT_EQ(global["apiAllowOrigins"], json::array({"*"}));
  EXPECT_EQ(global["apiTrustedProxies"], json::array());
  EXPECT_EQ(global["metrics"], false);
  EXPECT_EQ(global["metricsAddress"], ":9998");
  EXPECT_EQ(global["pprof"], false);
  EXPECT_EQ(global["pprofAddress"], ":9999");
  EXPECT_EQ(global["webrtc"], true);
  EXPECT_EQ(global["webrtcAddress"], ":8889");
  EXPECT_EQ(global["webrtcAllowOrigins"], json::array({"*"}));
  EXPECT_EQ(global["webrtcLocalUDPAddress"], ":8189");
  EXPECT_EQ(global["webrtcLocalTCPAddress"], "");
  EXPECT_EQ(global["webrtcIPsFromInterfaces"], true);
  EXPECT_EQ(global["webrtcIPsFromInterfacesList"], json::array());
  EXPECT_EQ(global["webrtcAdditionalHosts"], json::array());
  EXPECT_EQ(global["webrtcICEServers2"], json::array());
  EXPECT_EQ(global["webrtcHandshakeTimeout"], "10s");
  EXPECT_EQ(global["webrtcSTUNGatherTimeout"], "5s");
  EXPECT_EQ(global["workerThreads"], 0);
  EXPECT_EQ(global["workerBatchInterval"], "2ms");
  EXPECT_EQ(global["webrtcSenderReportPeriod"], "1s");
  EXPECT_EQ(global["streamHistoryPackets"], 4096);
  EXPECT_FALSE(global.contains("paths"));
  EXPECT_FALSE(global.contains("pathDefaults"));

  global = globalToJson(richConfig());
  EXPECT_EQ(global["logLevel"], "debug");
  EXPECT_EQ(global["readTimeout"], "1m30s");
  EXPECT_EQ(global["writeTimeout"], "2.5s");
  EXPECT_EQ(global["webrtcHandshakeTimeout"], "1d12h0m0s");
  EXPECT_EQ(global["webrtcICEServers2"],
            json::parse(R"([{"url":"stun:stun.example:3478","username":"","password":"","clientOnly":false},
                            {"url":"turn:turn.example:3478","username":"user","password":"p\"ss: w",
                             "clientOnly":true}])"));
}

TEST_F(ConfigJsonTest, GlobalJsonRedactsPasswordsUnlessAskedNotTo) {
  Config config = richConfig();
  json redacted = globalToJson(config)["authInternalUsers"];
  EXPECT_EQ(redacted[0]["user"], "admin");
  EXPECT_EQ(redacted[0]["pass"], "<redacted>");
  EXPECT_EQ(redacted[0]["ips"], json::array({"10.0.0.0/8"}));
  EXPECT_EQ(redacted[0]["permissions"],
            json::parse(R"([{"action":"api","path":""},{"action":"read","path":"~^cam"}])"));
  EXPECT_EQ(redacted[1]["pass"], "");  // empty stays empty, as in MediaMTX
  EXPECT_EQ(globalToJson(config, Secrets::Show)["authInternalUsers"][0]["pass"], "s3cret");
  EXPECT_EQ(documentOf(config)["authInternalUsers"][0]["pass"], "s3cret");
}

TEST_F(ConfigJsonTest, LogLevelNames) {
  EXPECT_EQ(logLevelName(log::Level::Debug), "debug");
  EXPECT_EQ(logLevelName(log::Level::Info), "info");
  EXPECT_EQ(logLevelName(log::Level::Warn), "warn");
  EXPECT_EQ(logLevelName(log::Level::Error), "error");
}

TEST_F(ConfigJsonTest, PathJsonHasItsNameAndEffectiveSettings) {
  Config config = richConfig();
  EXPECT_EQ(pathToJson(*pathNamed(config, "zcam")), json::parse(R"({
      "name": "zcam",
      "source": "rtsp://user:***@10.0.0.11:554/Streaming/Channels/101",
      "sourceOnDemand": true,
      "sourceOnDemandStartTimeout": "20s",
      "sourceOnDemandCloseAfter": "1h0m0s",
      "maxReaders": 40,
      "overridePublisher": true,
      "rtspTransport": "udp",
      "rtspAnyPort": true,
      "sourceRedirect": "",
      "sourceFingerprint": "",
      "fallback": "",
      "alwaysAvailable": false,
      "alwaysAvailableTracks": [],
      "alwaysAvailableFile": "",
      "runOnInit": "", "runOnInitRestart": false,
      "runOnDemand": "", "runOnDemandRestart": false,
      "runOnDemandStartTimeout": "10s", "runOnDemandCloseAfter": "10s", "runOnUnDemand": "",
      "runOnOnline": "", "runOnOnlineRestart": false, "runOnOffline": "",
      "runOnAvailable": "", "runOnAvailableRestart": false, "runOnUnavailable": "",
      "runOnRead": "", "runOnReadRestart": false, "runOnUnread": "",
      "sourceOfflineGrace": "10s"})"));
  json redirect = pathToJson(*pathNamed(config, "moved"));
  EXPECT_EQ(redirect["source"], "redirect");
  EXPECT_EQ(redirect["sourceRedirect"], "/pub");
  EXPECT_EQ(redirect["rtspTransport"], "tcp");  // from pathDefaults
  EXPECT_EQ(pathToJson(*pathNamed(config, "~^cam(\\d+)$"))["name"], "~^cam(\\d+)$");

  json defaults = pathDefaultsToJson(config);
  EXPECT_FALSE(defaults.contains("name"));
  EXPECT_EQ(defaults["source"], "publisher");
  EXPECT_EQ(defaults["rtspTransport"], "tcp");
  EXPECT_EQ(defaults["maxReaders"], 40);
  EXPECT_EQ(defaults["sourceOnDemandCloseAfter"], "10s");
}

// Keys missing from the JSON would be lost by every API change (documentOf rebuilds the whole
// configuration from it): each key Sluice implements must be there.
TEST_F(ConfigJsonTest, EveryImplementedKeyIsInTheJson) {
  json global = globalToJson(Config{});
  for (const GlobalKeyBinding& binding : globalKeyBindings()) {
    // Refused whenever it has a value, so it holds nothing.
    if (binding.key == "externalAuthenticationURL") continue;
    if (binding.replacement.empty()) {
      EXPECT_TRUE(global.contains(binding.key)) << "global key '" << binding.key << "' is missing";
    }
  }
  json defaults = pathDefaultsToJson(Config{});
  for (const PathKeyBinding& binding : pathKeyBindings()) {
    if (binding.replacement.empty()) {
      EXPECT_TRUE(defaults.contains(binding.key)) << "path key '" << binding.key << "' is missing";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The document

TEST_F(ConfigJsonTest, DocumentHasGlobalsPathDefaultsAndPathOverrides) {
  json document = documentOf(richConfig());
  EXPECT_EQ(document["webrtcAddress"], ":9889");
  EXPECT_EQ(document["pathDefaults"], pathDefaultsToJson(richConfig()));
  ASSERT_TRUE(document["paths"].is_object());
  EXPECT_EQ(document["paths"].size(), 6u);
  // Only what a path sets differently from pathDefaults.
  EXPECT_EQ(document["paths"]["pub"], json::object());
  EXPECT_EQ(document["paths"]["acam"], json::parse(R"({"source":"rtsps://10.0.0.12/s","maxReaders":0})"));
  EXPECT_FALSE(document["paths"]["zcam"].contains("sourceOnDemandStartTimeout"));
  EXPECT_EQ(document["paths"]["zcam"]["rtspTransport"], "udp");
}

TEST_F(ConfigJsonTest, DocumentRoundTripsThroughTheLoader) {
  for (const Config& original : {Config{}, loadOk(""), richConfig()}) {
    json document = documentOf(original);
    ConfigResult reloaded = loadConfigText(document.dump(2), "API");
    ASSERT_TRUE(reloaded.config.has_value()) << reloaded.error << "\n" << document.dump(2);
    expectSameConfig(original, *reloaded.config);
    EXPECT_EQ(documentOf(*reloaded.config), document);
  }
}

TEST_F(ConfigJsonTest, DocumentKeepsPathOrder) {
  Config config = richConfig();
  Config next = changed(patchGlobal(config, json::object()));
  ASSERT_EQ(next.paths.size(), config.paths.size());
  for (size_t i = 0; i < config.paths.size(); ++i) EXPECT_EQ(next.paths[i].name, config.paths[i].name);
}

// ---------------------------------------------------------------------------------------------
// Global patch

TEST_F(ConfigJsonTest, PatchGlobalChangesOnlyTheGivenKeys) {
  Config current = richConfig();
  ConfigChangeResult result = patchGlobal(
      current,
      json::parse(R"({"logLevel":"warn","readTimeout":"5s","webrtcAdditionalHosts":["198.51.100.7"]})"));
  Config next = changed(result);
  EXPECT_EQ(next.logLevel, log::Level::Warn);
  EXPECT_EQ(next.readTimeout, 5s);
  EXPECT_EQ(next.webrtcAdditionalHosts, std::vector<std::string>{"198.51.100.7"});

  Config expected = current;
  expected.logLevel = log::Level::Warn;
  expected.readTimeout = 5s;
  expected.webrtcAdditionalHosts = {"198.51.100.7"};
  expectSameConfig(expected, next);
  EXPECT_EQ(next.sourceFile, "/etc/mediamtx/mediamtx.yml");
}

TEST_F(ConfigJsonTest, PatchGlobalKeepsTheFileLinesOfPaths) {
  Config current = richConfig();
  Config next = changed(patchGlobal(current, json::parse(R"({"logLevel":"error"})")));
  EXPECT_EQ(next.pathDefaults.yamlLine, current.pathDefaults.yamlLine);
  ASSERT_EQ(next.paths.size(), current.paths.size());
  for (size_t i = 0; i < next.paths.size(); ++i) EXPECT_EQ(next.paths[i].yamlLine, current.paths[i].yamlLine);
  EXPECT_GT(pathNamed(next, "zcam")->yamlLine, 0);
}

TEST_F(ConfigJsonTest, PatchGlobalAcceptsYamlScalarsLikeTheFile) {
  Config next = changed(patchGlobal(Config{}, json::parse(R"({"webrtcIPsFromInterfaces":false,
      "webrtcAdditionalHosts":["192.0.2.9"],
      "udpMaxPayloadSize":1200,"logDestinations":["stdout","file"],"webrtcHandshakeTimeout":"1d"})")));
  EXPECT_FALSE(next.webrtcIPsFromInterfaces);
  EXPECT_EQ(next.udpMaxPayloadSize, 1200);
  EXPECT_EQ(next.logDestinations, (std::vector<std::string>{"stdout", "file"}));
  EXPECT_EQ(next.webrtcHandshakeTimeout, 24h);
}

TEST_F(ConfigJsonTest, PatchGlobalNullChangesNothing) {
  Config current = richConfig();
  Config next =
      changed(patchGlobal(current, json::parse(R"({"readTimeout":null,"webrtcAdditionalHosts":null})")));
  expectSameConfig(current, next);
  EXPECT_TRUE(contains(rejected(patchGlobal(current, json::parse(R"({"nonsense":null})")), 400),
                       "unknown key 'nonsense'"));
}

TEST_F(ConfigJsonTest, PatchGlobalBadValueNamesTheKey) {
  Config current = richConfig();
  EXPECT_EQ(rejected(patchGlobal(current, json::parse(R"({"logLevel":"verbose"})")), 400),
            "logLevel: invalid value 'verbose' (expected error, warn, info, debug)");
  EXPECT_EQ(rejected(patchGlobal(current, json::parse(R"({"readTimeout":"0s"})")), 400),
            "readTimeout: must be greater than zero, got 0s");
  EXPECT_EQ(rejected(patchGlobal(current, json::parse(R"({"writeQueueSize":1000})")), 400),
            "writeQueueSize: must be a power of two between 1 and 1048576, got 1000");
  EXPECT_EQ(rejected(patchGlobal(current, json::parse(R"({"webrtc":"maybe"})")), 400),
            "webrtc: invalid boolean 'maybe' (expected yes, no, true, false, on, off)");
  EXPECT_TRUE(contains(rejected(patchGlobal(current, json::parse(R"({"readTimeout":10})")), 400),
                       "readTimeout: invalid duration '10'"));
  EXPECT_EQ(rejected(patchGlobal(current, json::parse(R"({"webrtcAdditionalHosts":"a"})")), 400),
            "webrtcAdditionalHosts: expected a list, e.g. [a, b]");
}

TEST_F(ConfigJsonTest, PatchGlobalRunsTheCrossFieldChecks) {
  std::string error = rejected(
      patchGlobal(Config{}, json::parse(R"({"webrtcLocalUDPAddress":"","webrtcLocalTCPAddress":""})")), 400);
  EXPECT_EQ(
      error,
      "at least one of 'webrtcLocalUDPAddress', 'webrtcLocalTCPAddress' or 'webrtcICEServers2' must be set");
  EXPECT_TRUE(
      contains(rejected(patchGlobal(Config{}, json::parse(R"({"webrtcICEServers2":[{"url":"x"}]})")), 400),
               "invalid ICE server 'x'"));
}

TEST_F(ConfigJsonTest, PatchGlobalRejectsUnknownAndMisplacedKeys) {
  EXPECT_EQ(rejected(patchGlobal(Config{}, json::parse(R"({"webrtcAdress":":1"})")), 400),
            "unknown key 'webrtcAdress' (did you mean 'webrtcAddress'?)");
  EXPECT_TRUE(contains(rejected(patchGlobal(Config{}, json::parse(R"({"sourceOnDemand":true})")), 400),
                       "this is a path setting"));
  EXPECT_TRUE(contains(rejected(patchGlobal(Config{}, json::parse(R"({"paths":{"x":{}}})")), 400),
                       "unknown key 'paths'"));
  EXPECT_TRUE(contains(rejected(patchGlobal(Config{}, json::parse(R"({"pathDefaults":{}})")), 400),
                       "unknown key 'pathDefaults'"));
  EXPECT_EQ(rejected(patchGlobal(Config{}, json::array()), 400), "the request body must be a JSON object");
  EXPECT_EQ(rejected(patchGlobal(Config{}, json("logLevel")), 400), "the request body must be a JSON object");
}

TEST_F(ConfigJsonTest, PatchGlobalAcceptsDeprecatedAndMediamtxOnlyKeysWithWarnings) {
  ConfigChangeResult result = patchGlobal(Config{}, json::parse(R"({"readBufferCount":2048,"hls":false})"));
  Config next = changed(result);
  EXPECT_EQ(next.writeQueueSize, 2048);
  EXPECT_EQ(testing::countContaining(result.warnings, "'readBufferCount' is deprecated"), 1u);
  EXPECT_EQ(testing::countContaining(result.warnings, "'hls' is not supported by Sluice yet"), 1u);
  for (const std::string& warning : result.warnings) EXPECT_FALSE(contains(warning, "API:")) << warning;
}

// ---------------------------------------------------------------------------------------------
// pathDefaults patch

TEST_F(ConfigJsonTest, PatchPathDefaultsReachesPathsThatDoNotSetTheKey) {
  Config current = richConfig();
  Config next = changed(patchPathDefaults(current, json::parse(R"({"rtspTransport":"multicast",
      "maxReaders":5, "name":""})")));
  EXPECT_EQ(next.pathDefaults.rtspTransport, RtspTransport::Multicast);
  EXPECT_EQ(next.pathDefaults.maxReaders, 5);
  EXPECT_EQ(next.pathDefaults.sourceOnDemandStartTimeout, 20s);  // unchanged
  EXPECT_EQ(pathNamed(next, "acam")->rtspTransport, RtspTransport::Multicast);
  EXPECT_EQ(pathNamed(next, "acam")->maxReaders, 0);                      // set by the path
  EXPECT_EQ(pathNamed(next, "zcam")->rtspTransport, RtspTransport::Udp);  // set by the path
  EXPECT_EQ(pathNamed(next, "zcam")->maxReaders, 5);
  EXPECT_EQ(pathNamed(next, "pub")->maxReaders, 5);
  EXPECT_EQ(next.sourceFile, current.sourceFile);
}

TEST_F(ConfigJsonTest, PatchPathDefaultsErrors) {
  Config current = richConfig();
  EXPECT_EQ(rejected(patchPathDefaults(current, json::parse(R"({"rtspTransport":"quic"})")), 400),
            "pathDefaults.rtspTransport: invalid value 'quic' (expected automatic, udp, multicast, tcp)");
  EXPECT_EQ(rejected(patchPathDefaults(current, json::parse(R"({"rtspTransprot":"tcp"})")), 400),
            "unknown key 'pathDefaults.rtspTransprot' (did you mean 'rtspTransport'?)");
  EXPECT_TRUE(contains(rejected(patchPathDefaults(current, json::parse(R"({"logLevel":"info"})")), 400),
                       "this is a global setting"));
  // Valid for pathDefaults, invalid for the paths that inherit it.
  EXPECT_EQ(rejected(patchPathDefaults(current, json::parse(R"({"sourceOnDemand":true})")), 400),
            "paths.pub: 'sourceOnDemand' is useless when source is 'publisher'");
  EXPECT_EQ(rejected(patchPathDefaults(current, json(42)), 400), "the request body must be a JSON object");
}

// ---------------------------------------------------------------------------------------------
// Paths

TEST_F(ConfigJsonTest, AddPathAppendsAValidatedPath) {
  Config current = richConfig();
  ConfigChangeResult result = addPath(current, "cam/new", json::parse(R"({"name":"ignored",
      "source":"rtsp://10.0.0.99/s","rtspTransport":"udp"})"));
  Config next = changed(result);
  ASSERT_EQ(next.paths.size(), current.paths.size() + 1);
  const PathConfig& added = next.paths.back();
  EXPECT_EQ(added.name, "cam/new");
  EXPECT_EQ(added.source, "rtsp://10.0.0.99/s");
  EXPECT_EQ(added.rtspTransport, RtspTransport::Udp);
  EXPECT_EQ(added.maxReaders, 40);  // from pathDefaults
  EXPECT_EQ(added.yamlLine, 0);     // not in the file
  EXPECT_EQ(pathNamed(next, "zcam")->yamlLine, pathNamed(current, "zcam")->yamlLine);
  EXPECT_EQ(next.sourceFile, current.sourceFile);

  Config empty = changed(addPath(current, "blank", json()));
  EXPECT_EQ(pathNamed(empty, "blank")->source, "publisher");
}

TEST_F(ConfigJsonTest, AddPathErrors) {
  Config current = richConfig();
  EXPECT_EQ(rejected(addPath(current, "zcam", json::object()), 400), "path already exists");
  EXPECT_EQ(
      rejected(addPath(current, "cam1", json::parse(R"({"source":"publisher","sourceOnDemand":true})")), 400),
      "paths.cam1: 'sourceOnDemand' is useless when source is 'publisher'");
  EXPECT_TRUE(contains(rejected(addPath(current, "bad name", json::object()), 400),
                       "paths.bad name: invalid path name 'bad name'"));
  EXPECT_EQ(rejected(addPath(current, "cam1", json::parse(R"({"sorce":"publisher"})")), 400),
            "unknown key 'paths.cam1.sorce' (did you mean 'source'?)");
  EXPECT_EQ(rejected(addPath(current, "cam1", json::parse(R"({"maxReaders":-1})")), 400),
            "paths.cam1.maxReaders: must be 0 or more, got -1");
  EXPECT_TRUE(contains(rejected(addPath(current, "all", json::object()), 400), "both match every path"));
  EXPECT_EQ(rejected(addPath(current, "cam1", json::array()), 400), "the request body must be a JSON object");
}

TEST_F(ConfigJsonTest, PatchPathMergesIntoThePathsOwnKeys) {
  Config current = richConfig();
  Config next = changed(patchPath(current, "zcam", json::parse(R"({"maxReaders":2,"rtspAnyPort":null})")));
  const PathConfig& zcam = *pathNamed(next, "zcam");
  EXPECT_EQ(zcam.maxReaders, 2);
  EXPECT_TRUE(zcam.rtspAnyPort);                                   // null: unchanged
  EXPECT_EQ(zcam.source, pathNamed(current, "zcam")->source);      // kept
  EXPECT_EQ(zcam.rtspTransport, RtspTransport::Udp);               // kept
  EXPECT_EQ(zcam.sourceOnDemandCloseAfter, 1h);                    // kept
  EXPECT_EQ(zcam.yamlLine, pathNamed(current, "zcam")->yamlLine);  // kept
  for (const PathConfig& path : current.paths) {
    if (path.name != "zcam") expectSamePath(path, *pathNamed(next, path.name));
  }

  // A paths/get item sent back as it is changes nothing.
  Config same = changed(patchPath(current, "acam", pathToJson(*pathNamed(current, "acam"))));
  expectSameConfig(current, same);
}

TEST_F(ConfigJsonTest, PatchPathErrors) {
  Config current = richConfig();
  EXPECT_EQ(rejected(patchPath(current, "nope", json::object()), 404), "path configuration not found");
  EXPECT_EQ(rejected(patchPath(current, "zcam", json::parse(R"({"maxReaders":"many"})")), 400),
            "paths.zcam.maxReaders: invalid integer 'many'");
  EXPECT_EQ(rejected(patchPath(current, "zcam", json::parse(R"({"source":"publisher"})")), 400),
            "paths.zcam: 'sourceOnDemand' is useless when source is 'publisher'");
  EXPECT_EQ(rejected(patchPath(current, "acam", json::parse(R"({"writeQueueSize":1})")), 400),
            "unknown key 'paths.acam.writeQueueSize' (this is a global setting: put it at the top level of "
            "the file)");
}

TEST_F(ConfigJsonTest, ReplacePathReplacesAllOfThePathsKeys) {
  Config current = richConfig();
  Config next = changed(replacePath(current, "zcam", json::parse(R"({"source":"rtsp://10.0.0.50/x"})")));
  const PathConfig& zcam = *pathNamed(next, "zcam");
  EXPECT_EQ(zcam.source, "rtsp://10.0.0.50/x");
  EXPECT_FALSE(zcam.sourceOnDemand);                  // back to pathDefaults
  EXPECT_EQ(zcam.rtspTransport, RtspTransport::Tcp);  // back to pathDefaults
  EXPECT_EQ(zcam.sourceOnDemandCloseAfter, 10s);      // back to pathDefaults
  EXPECT_EQ(next.paths.size(), current.paths.size());
  EXPECT_EQ(next.paths[0].name, "zcam");  // in place

  Config created = changed(replacePath(current, "fresh", json::object()));
  EXPECT_EQ(created.paths.size(), current.paths.size() + 1);
  EXPECT_EQ(created.paths.back().name, "fresh");

  EXPECT_TRUE(contains(rejected(replacePath(current, "zcam", json::parse(R"({"source":"ftp://x"})")), 400),
                       "paths.zcam: invalid source 'ftp://x'"));
  EXPECT_EQ(rejected(replacePath(current, "zcam", json(true)), 400),
            "the request body must be a JSON object");
}

TEST_F(ConfigJsonTest, DeletePath) {
  Config current = richConfig();
  Config next = changed(deletePath(current, "acam"));
  EXPECT_EQ(next.paths.size(), current.paths.size() - 1);
  EXPECT_EQ(pathNamed(next, "acam"), nullptr);
  EXPECT_NE(pathNamed(next, "zcam"), nullptr);
  EXPECT_EQ(rejected(deletePath(current, "nope"), 404), "path configuration not found");
  EXPECT_EQ(rejected(deletePath(next, "acam"), 404), "path configuration not found");

  // A redirect's target may be deleted: the redirect is only checked for its form, as in MediaMTX.
  Config withoutTarget = changed(deletePath(current, "pub"));
  EXPECT_EQ(pathNamed(withoutTarget, "moved")->sourceRedirect, "/pub");
}

TEST_F(ConfigJsonTest, LegacyPathCredentialsSurviveApiChanges) {
  Config current = loadOk("paths:\n  cam:\n    readUser: viewer\n    readPass: secret1\n");
  Config next = changed(patchGlobal(current, json::parse(R"({"logLevel":"warn"})")));
  EXPECT_EQ(next.authInternalUsers, current.authInternalUsers);
  EXPECT_NE(next.authInternalUsers, defaultAuthInternalUsers());
}

TEST_F(ConfigJsonTest, AuthChangesAreValidatedLikeTheFile) {
  Config next = changed(patchGlobal(Config{}, json::parse(R"({"authInternalUsers":[
      {"user":"ops","pass":"pw","permissions":[{"action":"api"}]}]})")));
  ASSERT_EQ(next.authInternalUsers.size(), 1u);
  EXPECT_EQ(next.authInternalUsers[0].user, "ops");
  EXPECT_EQ(next.authInternalUsers[0].pass, "pw");
  EXPECT_TRUE(contains(rejected(patchGlobal(Config{}, json::parse(R"({"authInternalUsers":[
      {"user":"ops","permissions":[{"action":"fly"}]}]})")),
                                400),
                       "invalid action 'fly'"));
  EXPECT_TRUE(
      contains(rejected(patchGlobal(Config{}, json::parse(R"({"authMethod":"jwt"})")), 400), "authMethod"));
}

// ---------------------------------------------------------------------------------------------
// The environment

TEST_F(ConfigJsonTest, EnvironmentIsNotAppliedAgainOverApiChanges) {
  environment_.set("MTX_LOGLEVEL", "debug");
  environment_.set("MTX_PATHS_ENVCAM_SOURCE", "rtsp://10.0.0.77/s");
  Config current = loadOk("paths:\n  cam1:\n");
  ASSERT_EQ(current.logLevel, log::Level::Debug);
  ASSERT_NE(pathNamed(current, "envcam"), nullptr);

  Config patched = changed(patchGlobal(current, json::parse(R"({"logLevel":"warn"})")));
  EXPECT_EQ(patched.logLevel, log::Level::Warn);
  EXPECT_EQ(pathNamed(patched, "envcam")->source, "rtsp://10.0.0.77/s");  // still there
  EXPECT_EQ(pathNamed(patched, "envcam")->yamlLine, 0);

  Config deleted = changed(deletePath(current, "envcam"));
  EXPECT_EQ(pathNamed(deleted, "envcam"), nullptr);
  EXPECT_EQ(deleted.logLevel, log::Level::Debug);  // the value the environment gave is kept
}

}  // namespace
}  // namespace sluice::config
