#include "config/GlobalValidation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "config/AuthFormats.h"

namespace sluice::config {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool isIceServerUrl(std::string_view url) {
  return startsWith(url, "stun:") || startsWith(url, "turn:") || startsWith(url, "turns:");
}

void validateWebrtc(const Config& config, const Origin& where) {
  if (!config.webrtc) return;
  if (config.webrtcAddress.empty()) fail(where, "'webrtcAddress' must be set when WebRTC is enabled");
  for (const IceServer& server : config.webrtcICEServers2) {
    if (!isIceServerUrl(server.url)) {
      fail(where, fmt::format("invalid ICE server '{}' in 'webrtcICEServers2' (the url must start with "
                              "stun:, turn: or turns:)",
                              server.url));
    }
  }
  const bool localListener = !config.webrtcLocalUDPAddress.empty() || !config.webrtcLocalTCPAddress.empty();
  if (!localListener && config.webrtcICEServers2.empty()) {
    fail(where, std::string("at least one of 'webrtcLocalUDPAddress', 'webrtcLocalTCPAddress' or ") +
                    "'webrtcICEServers2' must be set");
  }
  if (localListener && !config.webrtcIPsFromInterfaces && config.webrtcAdditionalHosts.empty()) {
    fail(where,
         "'webrtcIPsFromInterfaces' must be enabled or 'webrtcAdditionalHosts' set, so that clients learn an "
         "address of the local WebRTC listener");
  }
}

// MediaMTX's rule for the control API, metrics and pprof listeners.
void validateListener(bool enabled, const std::string& address, std::string_view key, std::string_view what,
                      const Origin& where) {
  if (enabled && address.empty()) fail(where, fmt::format("'{}' must be set when {} enabled", key, what));
}

// A listener with encryption needs both files named (whether they can be read is checked when
// the listener opens, and on reload, so that the error names the file and its problem).
void validateEncryption(bool enabled, bool encryption, const std::string& key, const std::string& cert,
                        std::string_view prefix, const Origin& where) {
  if (!enabled || !encryption) return;
  if (key.empty())
    fail(where, fmt::format("'{}ServerKey' must be set when '{}Encryption' is enabled", prefix, prefix));
  if (cert.empty())
    fail(where, fmt::format("'{}ServerCert' must be set when '{}Encryption' is enabled", prefix, prefix));
}

// RTSPS: its address, and both PEM files readable now, so that --check-config and a start or
// reload name a missing file (whether they hold a matching key and certificate is checked when
// the listener opens).
void requireReadableFile(const std::string& file, std::string_view key, const Origin& where) {
  if (file.empty())
    fail(where, fmt::format("'{}' must be set when 'rtspEncryption' is strict or optional", key));
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(where, fmt::format("cannot read '{}' file '{}': {}", key, file, std::strerror(errno)));
}

void validateRtspEncryption(const Config& config, const Origin& where) {
  if (!config.rtsp || config.rtspEncryption == RtspEncryption::No) return;
  if (config.rtspsAddress.empty())
    fail(where, "'rtspsAddress' must be set when 'rtspEncryption' is strict or optional");
  const auto& t = config.rtspTransports;
  if (std::find(t.begin(), t.end(), "tcp") == t.end()) {
    fail(where,
         "'tcp' must be in 'rtspTransports' when 'rtspEncryption' is strict or optional (RTSPS media "
         "travel only interleaved in the TLS connection)");
  }
  requireReadableFile(config.rtspServerKey, "rtspServerKey", where);
  requireReadableFile(config.rtspServerCert, "rtspServerCert", where);
}

// The port of a "[host]:port" already checked by requireListenAddress; -1 for none (unix://).
long portOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (address.empty() || address.rfind("unix://", 0) == 0 || colon == std::string::npos) return -1;
  return std::strtol(address.c_str() + colon + 1, nullptr, 10);
}

// The RTSP server's UDP socket pair, as MediaMTX's RTSP server requires it when 'udp' is in
// rtspTransports: both addresses, RTP on an even port and RTCP on the next one.
void validateRtspUdp(const Config& config, const Origin& where) {
  const auto& t = config.rtspTransports;
  if (!config.rtsp || config.rtspEncryption == RtspEncryption::Strict ||
      std::find(t.begin(), t.end(), "udp") == t.end())
    return;
  const long rtp = portOf(config.rtpAddress), rtcp = portOf(config.rtcpAddress);
  if (rtp < 0 || rtcp < 0)
    fail(where, "'rtpAddress' and 'rtcpAddress' must be set when 'udp' is in 'rtspTransports'");
  if (rtp % 2 != 0) fail(where, fmt::format("the port of 'rtpAddress' must be even, got {}", rtp));
  if (rtcp != rtp + 1) {
    fail(where, fmt::format("the port of 'rtcpAddress' must be the one after the port of 'rtpAddress' ({}), "
                            "got {}",
                            rtp + 1, rtcp));
  }
}

// The multicast ports, as gortsplib requires them: RTP even, RTCP the next one.
void validateRtspMulticast(const Config& config, const Origin& where) {
  const auto& t = config.rtspTransports;
  if (!config.rtsp || std::find(t.begin(), t.end(), "multicast") == t.end()) return;
  if (config.multicastRTPPort % 2 != 0)
    fail(where, fmt::format("'multicastRTPPort' must be even, got {}", config.multicastRTPPort));
  if (config.multicastRTCPPort != config.multicastRTPPort + 1) {
    fail(where, fmt::format("'multicastRTCPPort' must be the one after 'multicastRTPPort' ({}), got {}",
                            config.multicastRTPPort + 1, config.multicastRTCPPort));
  }
}

}  // namespace

void validateRtspDigest(const Config& config, const Origin& where) {
  const auto& m = config.rtspAuthMethods;
  if (!config.rtsp || std::find(m.begin(), m.end(), "digest") == m.end()) return;
  // A Digest answer proves a password only to whom knows it: the authentication server does,
  // Sluice does not.
  if (config.authMethod != "internal")
    fail(where, "when authMethod is 'http', rtspAuthMethods can't contain 'digest' (use basic)");
  const auto hashed = [](const std::string& c) {
    return c.rfind(kSha256CredentialPrefix, 0) == 0 || c.rfind(kArgon2CredentialPrefix, 0) == 0;
  };
  for (size_t i = 0; i < config.authInternalUsers.size(); ++i) {
    const AuthInternalUser& u = config.authInternalUsers[i];
    if (hashed(u.user) || hashed(u.pass)) {
      fail(where, fmt::format("when RTSP digest is enabled (rtspAuthMethods), hashed credentials cannot be "
                              "used (authInternalUsers[{}])",
                              i));
    }
  }
}

void validateGlobals(const Config& config, const Origin& where, std::vector<std::string>& warnings) {
  if (config.authMethod == "http" && config.authHTTPAddress.empty())
    fail(where, "'authHTTPAddress' is needed when authMethod is 'http'");
  if (!config.authHTTPFingerprint.empty() && config.authHTTPAddress.rfind("https://", 0) != 0)
    fail(where, "'authHTTPFingerprint' is set but 'authHTTPAddress' is not an https:// URL");
  validateWebrtc(config, where);
  validateRtspUdp(config, where);
  validateRtspMulticast(config, where);
  validateRtspEncryption(config, where);
  validateListener(config.api, config.apiAddress, "apiAddress", "the API is", where);
  validateListener(config.metrics, config.metricsAddress, "metricsAddress", "metrics are", where);
  validateListener(config.pprof, config.pprofAddress, "pprofAddress", "pprof is", where);
  validateEncryption(config.webrtc, config.webrtcEncryption, config.webrtcServerKey, config.webrtcServerCert,
                     "webrtc", where);
  validateEncryption(config.api, config.apiEncryption, config.apiServerKey, config.apiServerCert, "api",
                     where);
  validateEncryption(config.metrics, config.metricsEncryption, config.metricsServerKey,
                     config.metricsServerCert, "metrics", where);
  validateEncryption(config.pprof, config.pprofEncryption, config.pprofServerKey, config.pprofServerCert,
                     "pprof", where);
}

}  // namespace sluice::config
