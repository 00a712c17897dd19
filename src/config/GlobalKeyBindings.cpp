#include "config/AuthFieldChecks.h"
#include "config/FieldChecks.h"
#include "config/KeyBindings.h"

namespace sluice::config {
namespace {

// webrtcDisable: the inverse of webrtc.
void assignWebrtcDisable(const InputValue& in, Config& config) {
  bool disabled = !config.webrtc;
  parseValue(in, disabled);
  config.webrtc = !disabled;
}

// rtspDisable: the inverse of rtsp.
void assignRtspDisable(const InputValue& in, Config& config) {
  bool disabled = !config.rtsp;
  parseValue(in, disabled);
  config.rtsp = !disabled;
}

// webrtcAllowOrigin, apiAllowOrigin, ...: a single origin.
template <std::vector<std::string> Config::*Origins>
void assignSingleOrigin(const InputValue& in, Config& config) {
  std::optional<std::string> origin = scalarText(in);
  if (origin) config.*Origins = {*origin};
}

// externalAuthenticationURL: MediaMTX's old spelling of authMethod http plus authHTTPAddress.
void assignExternalAuthenticationUrl(const InputValue& in, Config& config) {
  std::optional<std::string> url = scalarText(in);
  if (!url || url->empty()) return;
  requireAuthHttpAddress(in.origin, *url);
  config.authMethod = "http";
  config.authHTTPAddress = *url;
}

// webrtcICEServers: "stun:host:port" or "turn:user:pass:host:port" strings, appended to
// webrtcICEServers2 as MediaMTX does.
void assignWebrtcIceServers(const InputValue& in, Config& config) {
  for (const std::string& server : listItems(in)) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t colon = server.find(':', start);
      parts.push_back(server.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    IceServer converted;
    if (parts.size() == 5) {
      converted.url = parts[0] + ":" + parts[3] + ":" + parts[4];
      converted.username = parts[1];
      converted.password = parts[2];
    } else {
      converted.url = server;
    }
    config.webrtcICEServers2.push_back(std::move(converted));
  }
}

}  // namespace

const std::vector<GlobalKeyBinding>& globalKeyBindings() {
  static const std::vector<GlobalKeyBinding> kBindings = {
      {"logLevel", assignField<&Config::logLevel>},
      {"logDestinations", assignField<&Config::logDestinations, requireLogDestinations>},
      {"logStructured", assignField<&Config::logStructured>},
      {"logFile", assignField<&Config::logFile>},
      {"runOnConnect", assignField<&Config::runOnConnect>},
      {"runOnConnectRestart", assignField<&Config::runOnConnectRestart>},
      {"runOnDisconnect", assignField<&Config::runOnDisconnect>},
      {"readTimeout", assignField<&Config::readTimeout, requirePositiveDuration>},
      {"writeTimeout", assignField<&Config::writeTimeout, requirePositiveDuration>},
      {"writeQueueSize", assignField<&Config::writeQueueSize, requireWriteQueueSize>},
      {"udpMaxPayloadSize", assignField<&Config::udpMaxPayloadSize, requireUdpPayloadLimit>},
      {"udpReadBufferSize", assignField<&Config::udpReadBufferSize, requireUdpReadBufferSize>},
      {"rtsp", assignField<&Config::rtsp>},
      {"rtspAddress", assignField<&Config::rtspAddress, requireListenAddress>},
      {"rtspTransports", assignField<&Config::rtspTransports, requireRtspTransports>},
      {"rtspAuthMethods", assignField<&Config::rtspAuthMethods, requireRtspAuthMethods>},
      {"rtpAddress", assignField<&Config::rtpAddress, requireListenAddress>},
      {"rtcpAddress", assignField<&Config::rtcpAddress, requireListenAddress>},
      {"multicastIPRange", assignField<&Config::multicastIPRange, requireMulticastRange>},
      {"multicastRTPPort", assignField<&Config::multicastRTPPort, requirePort>},
      {"multicastRTCPPort", assignField<&Config::multicastRTCPPort, requirePort>},
      {"rtspEncryption", assignField<&Config::rtspEncryption>},
      {"rtspsAddress", assignField<&Config::rtspsAddress, requireListenAddress>},
      {"rtspServerKey", assignField<&Config::rtspServerKey>},
      {"rtspServerCert", assignField<&Config::rtspServerCert>},
      {"webrtc", assignField<&Config::webrtc>},
      {"webrtcAddress", assignField<&Config::webrtcAddress, requireListenAddress>},
      {"webrtcEncryption", assignField<&Config::webrtcEncryption>},
      {"webrtcServerKey", assignField<&Config::webrtcServerKey>},
      {"webrtcServerCert", assignField<&Config::webrtcServerCert>},
      {"webrtcAllowOrigins", assignField<&Config::webrtcAllowOrigins>},
      {"webrtcTrustedProxies", assignField<&Config::webrtcTrustedProxies, requireIpNetworks>},
      {"webrtcLocalUDPAddress", assignField<&Config::webrtcLocalUDPAddress, requireListenAddress>},
      {"webrtcLocalTCPAddress", assignField<&Config::webrtcLocalTCPAddress, requireListenAddress>},
      {"webrtcIPsFromInterfaces", assignField<&Config::webrtcIPsFromInterfaces>},
      {"webrtcIPsFromInterfacesList", assignField<&Config::webrtcIPsFromInterfacesList>},
      {"webrtcAdditionalHosts", assignField<&Config::webrtcAdditionalHosts>},
      {"webrtcICEServers2", assignField<&Config::webrtcICEServers2>},
      {"webrtcHandshakeTimeout", assignField<&Config::webrtcHandshakeTimeout, requirePositiveDuration>},
      {"webrtcSTUNGatherTimeout", assignField<&Config::webrtcSTUNGatherTimeout, requirePositiveDuration>},
      {"authMethod", assignField<&Config::authMethod, requireAuthMethod>},
      {"authInternalUsers", assignField<&Config::authInternalUsers>},
      {"authHTTPAddress", assignField<&Config::authHTTPAddress, requireAuthHttpAddress>},
      {"authHTTPFingerprint", assignField<&Config::authHTTPFingerprint, requireCertificateFingerprint>},
      {"authHTTPExclude", assignField<&Config::authHTTPExclude>},
      {"api", assignField<&Config::api>},
      {"apiAddress", assignField<&Config::apiAddress, requireListenAddress>},
      {"apiEncryption", assignField<&Config::apiEncryption>},
      {"apiServerKey", assignField<&Config::apiServerKey>},
      {"apiServerCert", assignField<&Config::apiServerCert>},
      {"apiAllowOrigins", assignField<&Config::apiAllowOrigins>},
      {"apiTrustedProxies", assignField<&Config::apiTrustedProxies, requireIpNetworks>},
      {"metrics", assignField<&Config::metrics>},
      {"metricsAddress", assignField<&Config::metricsAddress, requireListenAddress>},
      {"metricsEncryption", assignField<&Config::metricsEncryption>},
      {"metricsServerKey", assignField<&Config::metricsServerKey>},
      {"metricsServerCert", assignField<&Config::metricsServerCert>},
      {"metricsAllowOrigins", assignField<&Config::metricsAllowOrigins>},
      {"metricsTrustedProxies", assignField<&Config::metricsTrustedProxies, requireIpNetworks>},
      {"pprof", assignField<&Config::pprof>},
      {"pprofAddress", assignField<&Config::pprofAddress, requireListenAddress>},
      {"pprofEncryption", assignField<&Config::pprofEncryption>},
      {"pprofServerKey", assignField<&Config::pprofServerKey>},
      {"pprofServerCert", assignField<&Config::pprofServerCert>},
      {"pprofAllowOrigins", assignField<&Config::pprofAllowOrigins>},
      {"pprofTrustedProxies", assignField<&Config::pprofTrustedProxies, requireIpNetworks>},
      {"externalAuthenticationURL", assignExternalAuthenticationUrl},

      // Sluice's own keys.
      {"workerThreads", assignField<&Config::workerThreads, requireWorkerThreads>},
      {"workerBatchInterval", assignField<&Config::workerBatchInterval, requireWorkerBatchInterval>},
      {"webrtcSenderReportPeriod", assignField<&Config::webrtcSenderReportPeriod, requireSenderReportPeriod>},
      {"streamHistoryPackets", assignField<&Config::streamHistoryPackets, requireStreamHistoryPackets>},
      {"httpMaxConnectionsPerClient", assignField<&Config::httpMaxConnectionsPerClient, requireClientLimit>},
      {"webrtcMaxHandshakesPerClient",
       assignField<&Config::webrtcMaxHandshakesPerClient, requireClientLimit>},
      {"webrtcMaxHandshakes", assignField<&Config::webrtcMaxHandshakes, requireClientLimit>},

      // Deprecated MediaMTX names of the keys above.
      {"readBufferCount", assignField<&Config::writeQueueSize, requireWriteQueueSize>, "writeQueueSize"},
      {"rtspUDPReadBufferSize", assignField<&Config::udpReadBufferSize, requireUdpReadBufferSize>,
       "udpReadBufferSize"},
      {"webrtcDisable", assignWebrtcDisable, "webrtc"},
      {"rtspDisable", assignRtspDisable, "rtsp"},
      {"protocols", assignField<&Config::rtspTransports, requireRtspTransports>, "rtspTransports"},
      {"authMethods", assignField<&Config::rtspAuthMethods, requireRtspAuthMethods>, "rtspAuthMethods"},
      {"encryption", assignField<&Config::rtspEncryption>, "rtspEncryption"},
      {"serverKey", assignField<&Config::rtspServerKey>, "rtspServerKey"},
      {"serverCert", assignField<&Config::rtspServerCert>, "rtspServerCert"},
      {"webrtcAllowOrigin", assignSingleOrigin<&Config::webrtcAllowOrigins>, "webrtcAllowOrigins"},
      {"apiAllowOrigin", assignSingleOrigin<&Config::apiAllowOrigins>, "apiAllowOrigins"},
      {"metricsAllowOrigin", assignSingleOrigin<&Config::metricsAllowOrigins>, "metricsAllowOrigins"},
      {"pprofAllowOrigin", assignSingleOrigin<&Config::pprofAllowOrigins>, "pprofAllowOrigins"},
      {"webrtcICEUDPMuxAddress", assignField<&Config::webrtcLocalUDPAddress, requireListenAddress>,
       "webrtcLocalUDPAddress"},
      {"webrtcICETCPMuxAddress", assignField<&Config::webrtcLocalTCPAddress, requireListenAddress>,
       "webrtcLocalTCPAddress"},
      {"webrtcICEHostNAT1To1IPs", assignField<&Config::webrtcAdditionalHosts>, "webrtcAdditionalHosts"},
      {"webrtcICEServers", assignWebrtcIceServers, "webrtcICEServers2"},
  };
  return kBindings;
}

}  // namespace sluice::config
