// Each class of error: what it says and where it points.
#include "ConfigTestSupport.h"

namespace sluice::config {
namespace {

using testing::contains;
using testing::loadError;

class ConfigErrors : public ::testing::Test {
  testing::ScopedEnvironment environment_;
};

TEST_F(ConfigErrors, UnknownKeyNamesLineAndSuggestsTheNearestKey) {
  EXPECT_EQ(loadError("logLevel: info\nreadTimeout: 10s\nwebrtcAdress: :8889\n"),
            "sluice.yml:3: unknown key 'webrtcAdress' (did you mean 'webrtcAddress'?)");
  EXPECT_EQ(loadError("LogLevel: info\n"), "sluice.yml:1: unknown key 'LogLevel' (did you mean 'logLevel'?)");
  EXPECT_EQ(loadError("paths:\n  cam1:\n    sorce: publisher\n"),
            "sluice.yml:3: unknown key 'paths.cam1.sorce' (did you mean 'source'?)");
  EXPECT_EQ(loadError("pathDefaults:\n  rtspTransprot: tcp\n"),
            "sluice.yml:2: unknown key 'pathDefaults.rtspTransprot' (did you mean 'rtspTransport'?)");
  EXPECT_EQ(loadError("completelyUnrelated: 1\n"), "sluice.yml:1: unknown key 'completelyUnrelated'");
}

TEST_F(ConfigErrors, KeyInTheWrongScopeSaysWhereItBelongs) {
  EXPECT_TRUE(contains(loadError("sourceOnDemand: yes\n"), "this is a path setting"));
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    writeQueueSize: 1024\n"), "this is a global setting"));
}

TEST_F(ConfigErrors, BadEnumValue) {
  EXPECT_EQ(loadError("paths:\n  cam1:\n    source: rtsp://10.0.0.1/s\n    rtspTransport: foo\n"),
            "sluice.yml:4: paths.cam1.rtspTransport: invalid value 'foo' (expected automatic, udp, "
            "multicast, tcp)");
  EXPECT_EQ(loadError("logLevel: verbose\n"),
            "sluice.yml:1: logLevel: invalid value 'verbose' (expected error, warn, info, debug)");
  EXPECT_EQ(loadError("logDestinations: [stdout, journald]\n"),
            "sluice.yml:1: logDestinations: invalid value 'journald' (expected stdout, file, syslog)");
}

TEST_F(ConfigErrors, BadDuration) {
  EXPECT_EQ(loadError("\nreadTimeout: 10 seconds\n"),
            "sluice.yml:2: readTimeout: invalid duration '10 seconds' (expected a duration such as 10s, "
            "200ms, 1m30s, 1h, 1d12h)");
  EXPECT_TRUE(contains(loadError("pathDefaults:\n  sourceOnDemandCloseAfter: 10\n"),
                       "sluice.yml:2: pathDefaults.sourceOnDemandCloseAfter: invalid duration '10'"));
  EXPECT_EQ(loadError("writeTimeout: -1s\n"),
            "sluice.yml:1: writeTimeout: duration '-1s' must not be negative");
}

TEST_F(ConfigErrors, DurationsThatMustBePositive) {
  EXPECT_EQ(loadError("readTimeout: 0s\n"), "sluice.yml:1: readTimeout: must be greater than zero, got 0s");
  EXPECT_EQ(loadError("writeTimeout: 0\n"), "sluice.yml:1: writeTimeout: must be greater than zero, got 0s");
  EXPECT_EQ(loadError("webrtcSenderReportPeriod: 0s\n"),
            "sluice.yml:1: webrtcSenderReportPeriod: must be greater than zero and at most 1m0s, got 0s");
}

TEST_F(ConfigErrors, BadBoolean) {
  EXPECT_EQ(loadError("webrtc: maybe\n"),
            "sluice.yml:1: webrtc: invalid boolean 'maybe' (expected yes, no, true, false, on, off)");
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    rtspAnyPort: 1\n"),
                       "sluice.yml:3: paths.cam.rtspAnyPort: invalid boolean '1'"));
}

TEST_F(ConfigErrors, BadInteger) {
  EXPECT_EQ(loadError("workerThreads: four\n"), "sluice.yml:1: workerThreads: invalid integer 'four'");
  EXPECT_EQ(loadError("workerThreads: 99999999999\n"),
            "sluice.yml:1: workerThreads: invalid integer '99999999999'");
  EXPECT_EQ(loadError("workerThreads: -1\n"),
            "sluice.yml:1: workerThreads: must be between 0 and 256 (0 = one per core), got -1");
}

TEST_F(ConfigErrors, PowersOfTwoAndLimits) {
  EXPECT_EQ(loadError("writeQueueSize: 500\n"),
            "sluice.yml:1: writeQueueSize: must be a power of two between 1 and 1048576, got 500");
  EXPECT_TRUE(contains(loadError("writeQueueSize: 0\n"), "must be a power of two"));
  for (const char* bad : {"100", "3000", "131072", "128"}) {
    EXPECT_EQ(loadError(std::string("streamHistoryPackets: ") + bad),
              std::string(
                  "sluice.yml:1: streamHistoryPackets: must be a power of two between 256 and 65536, got ") +
                  bad);
  }
  EXPECT_EQ(loadError("udpMaxPayloadSize: 1500\n"),
            "sluice.yml:1: udpMaxPayloadSize: must be between 13 and 1472, got 1500");
}

TEST_F(ConfigErrors, WrongShapeOfValue) {
  EXPECT_EQ(loadError("webrtcAddress: [a, b]\n"),
            "sluice.yml:1: webrtcAddress: expected a single value, got a list");
  EXPECT_EQ(loadError("webrtcAdditionalHosts: host\n"),
            "sluice.yml:1: webrtcAdditionalHosts: expected a list, e.g. [a, b]");
  EXPECT_EQ(loadError("paths: [cam1]\n"),
            "sluice.yml:1: paths: expected a mapping of path names to path settings");
  EXPECT_EQ(loadError("paths:\n  cam1: rtsp://x\n"),
            "sluice.yml:2: paths.cam1: expected a mapping of path settings, or nothing for all defaults");
  EXPECT_EQ(loadError("- a\n- b\n"), "sluice.yml:1: the configuration must be a mapping of keys to values");
  EXPECT_EQ(loadError("webrtcICEServers2:\n  - url: stun:a:1\n    usrname: x\n"),
            "sluice.yml:3: unknown key 'webrtcICEServers2[0].usrname' (did you mean 'username'?)");
}

TEST_F(ConfigErrors, DuplicateKeys) {
  EXPECT_EQ(loadError("logLevel: info\nlogLevel: debug\n"),
            "sluice.yml:2: key 'logLevel' is given twice (first at line 1)");
  EXPECT_EQ(loadError("paths:\n  cam1:\n  cam2:\n  cam1:\n"),
            "sluice.yml:4: paths: key 'cam1' is given twice (first at line 2)");
}

TEST_F(ConfigErrors, InvalidYaml) {
  std::string error = loadError("logLevel: info\nwebrtcAddress: [unclosed\n");
  EXPECT_TRUE(contains(error, "sluice.yml:")) << error;
  EXPECT_TRUE(contains(error, "invalid YAML")) << error;
}

TEST_F(ConfigErrors, BadPathNames) {
  EXPECT_EQ(loadError("paths:\n  cam 1:\n"),
            "sluice.yml:2: paths.cam 1: invalid path name 'cam 1': can contain only alphanumeric characters, "
            "underscore, dot, minus or slash");
  EXPECT_EQ(loadError("paths:\n  /cam:\n"),
            "sluice.yml:2: paths./cam: invalid path name '/cam': can't begin with a slash");
  EXPECT_EQ(loadError("paths:\n  cam/:\n"),
            "sluice.yml:2: paths.cam/: invalid path name 'cam/': can't end with a slash");
  EXPECT_TRUE(contains(loadError("paths:\n  a/../b:\n"), "can't contain '.' or '..' segments"));
  EXPECT_TRUE(contains(loadError("paths:\n  a/./b:\n"), "can't contain '.' or '..' segments"));
  EXPECT_TRUE(contains(loadError("paths:\n  '':\n"), "invalid path name '': cannot be empty"));
}

TEST_F(ConfigErrors, BadRegularExpression) {
  std::string error = loadError("paths:\n  ~^cam(\\d+$:\n    source: publisher\n");
  EXPECT_TRUE(contains(error, "sluice.yml:2: paths.~^cam(\\d+$: invalid regular expression '^cam(\\d+$': "))
      << error;
  // RE2's limits: a count (or nested counts multiplied) up to 1000, and a program bound.
  EXPECT_TRUE(contains(loadError("paths:\n  ~(a{100}){11}:\n"), "invalid repeat count: `{11}`"));
  EXPECT_TRUE(contains(
      loadError(
          "paths:\n  ~a{1000}b{1000}c{1000}d{1000}e{1000}f{1000}g{1000}h{1000}i{1000}j{1000}k{1000}:\n"),
      "expression too large"));
  // Nested repetition operators are refused as Go's regexp (RE2) refuses them (config_fuzz found
  // them making std::regex, the matcher then, backtrack for minutes on a 4-character name).
  EXPECT_TRUE(contains(loadError("paths:\n  ~N**f:\n"), "invalid nested repetition operator: `**`"));
  EXPECT_TRUE(contains(loadError("paths:\n  ~a+*:\n"), "invalid nested repetition operator: `+*`"));
  EXPECT_TRUE(contains(loadError("paths:\n  ~a{2}*:\n"), "invalid nested repetition operator: `{2}*`"));
  EXPECT_TRUE(contains(loadError("paths:\n  ~a*??:\n"), "invalid nested repetition operator: `*??`"));
  // Digit escapes are octal codes or nothing, as in Go's regexp: RE2 has no backreferences (a
  // long one overflowed std::regex, the matcher then; found by config_fuzz, UBSan).
  EXPECT_TRUE(contains(loadError("paths:\n  '~^cam(a)\\1$':\n"), "invalid escape sequence: `\\1`"));
  EXPECT_TRUE(contains(loadError("paths:\n  '~^cam\\9$':\n"), "invalid escape sequence: `\\9`"));
  EXPECT_TRUE(contains(loadError("paths:\n  '~^cam\\777$':\n"), "octal escape beyond one byte: `\\777`"));
  // Lazy operators, escaped operators, operators in a class and group flags stay valid.
  for (const char* ok :
       {"~^cam[0-9]*?$", "~^a\\*+$", "~^[*+?]+$", "~^(?:cam)(?P<n>[0-9]+)?$", "~(?i)^cam$"}) {
    const ConfigResult r = testing::load(std::string("paths:\n  '") + ok + "':\n");
    EXPECT_TRUE(r.config.has_value()) << ok << ": " << r.error;
  }
}

TEST_F(ConfigErrors, OnlyOneOfAllAndAllOthers) {
  EXPECT_EQ(loadError("paths:\n  all:\n  cam1:\n  all_others:\n"),
            "sluice.yml:4: paths.all_others: 'all' and 'all_others' both match every path ('all', "
            "'all_others' and '~^.*$' are aliases); keep only one of them");
  EXPECT_TRUE(contains(loadError("paths:\n  all:\n  ~^.*$:\n"), "keep only one of them"));
}

TEST_F(ConfigErrors, MediamtxPathRules) {
  EXPECT_EQ(loadError("paths:\n  cam:\n    sourceOnDemand: yes\n"),
            "sluice.yml:2: paths.cam: 'sourceOnDemand' is useless when source is 'publisher'");
  EXPECT_EQ(loadError("paths:\n  ~^cam(\\d+)$:\n    source: rtsp://10.0.0.$G1/stream\n"),
            "sluice.yml:2: paths.~^cam(\\d+)$: a path with a regular expression (or path 'all') and a static "
            "source must have 'sourceOnDemand' set to true");
  EXPECT_EQ(loadError("paths:\n  all_others:\n    source: demo\n"),
            "sluice.yml:2: paths.all_others: a path with a regular expression (or path 'all') and a static "
            "source must have 'sourceOnDemand' set to true");
  EXPECT_EQ(loadError("paths:\n  cam:\n    source: rtsp://admin@10.0.0.1/stream\n"),
            "sluice.yml:2: paths.cam: username and password must be both provided in the source URL");
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    source: rtsp://:pass@10.0.0.1/stream\n"),
                       "username and password must be both provided"));
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    source: rtsp:///stream\n"), "no host"));
  EXPECT_EQ(loadError("paths:\n  cam:\n    source: camera1\n"),
            "sluice.yml:2: paths.cam: invalid source 'camera1' (expected publisher, redirect, demo or an "
            "rtsp:// or rtsps:// URL)");
  // sourceFingerprint: a SHA-256 in hex, 64 digits, colons between bytes allowed.
  const std::string fingerprintError =
      "paths.cam.sourceFingerprint: invalid fingerprint: expected the certificate's SHA-256 in hex (64 "
      "digits";
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    sourceFingerprint: abcd\n"), fingerprintError));
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    sourceFingerprint: '" + std::string(63, 'a') + "g'\n"),
                       fingerprintError));
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    sourceFingerprint: '" + std::string(66, 'a') + "'\n"),
                       fingerprintError));
  EXPECT_EQ(loadError("paths:\n  cam:\n    fallback: http://other/x\n"),
            "sluice.yml:2: paths.cam: invalid 'fallback' 'http://other/x' (expected /<path> or an rtsp:// URL)");
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    fallback: '/bad path'\n"), "invalid 'fallback' '/bad path': "));
  EXPECT_EQ(loadError("paths:\n  cam:\n    source: redirect\n"),
            "sluice.yml:2: paths.cam: 'sourceRedirect' must be set when source is 'redirect'");
  EXPECT_EQ(loadError("paths:\n  cam:\n    sourceRedirect: /other\n"),
            "sluice.yml:2: paths.cam: 'sourceRedirect' is useless when source is not 'redirect'");
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    source: redirect\n    sourceRedirect: http://x/\n"),
                       "invalid 'sourceRedirect'"));
  EXPECT_TRUE(contains(loadError("paths:\n  cam:\n    maxReaders: -2\n"), "must be 0 or more, got -2"));
}

TEST_F(ConfigErrors, WebrtcCrossFieldRules) {
  EXPECT_EQ(loadError("webrtcLocalUDPAddress: ''\n"),
            "sluice.yml: at least one of 'webrtcLocalUDPAddress', 'webrtcLocalTCPAddress' or "
            "'webrtcICEServers2' must be set");
  EXPECT_TRUE(contains(loadError("webrtcIPsFromInterfaces: no\n"),
                       "'webrtcIPsFromInterfaces' must be enabled or 'webrtcAdditionalHosts' set"));
  EXPECT_EQ(loadError("webrtcAddress: ''\n"),
            "sluice.yml: 'webrtcAddress' must be set when WebRTC is enabled");
  EXPECT_TRUE(contains(loadError("webrtcICEServers2:\n  - url: http://stun.example\n"),
                       "invalid ICE server 'http://stun.example'"));
  // The same settings are fine with WebRTC off, as in MediaMTX.
  ConfigResult off = testing::load("webrtc: no\nwebrtcLocalUDPAddress: ''\nwebrtcAddress: ''\n");
  EXPECT_TRUE(off.config) << off.error;
  ConfigResult viaIce =
      testing::load("webrtcLocalUDPAddress: ''\nwebrtcICEServers2: [{url: 'stun:s:3478'}]\n");
  EXPECT_TRUE(viaIce.config) << viaIce.error;
}

}  // namespace
}  // namespace sluice::config
