#pragma once
// Sluice's configuration. Sluice reads MediaMTX's mediamtx.yml so that a MediaMTX user can swap
// the binary: keys Sluice implements are parsed and validated with MediaMTX's defaults and rules,
// MediaMTX keys it does not implement yet are accepted with a warning, anything else is an error.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/Log.h"

namespace sluice::config {

// How a pulled RTSP source is read (path key rtspTransport).
enum class RtspTransport { Automatic, Udp, Multicast, Tcp };

// rtspEncryption: plain RTSP on rtspAddress only (No), RTSPS on rtspsAddress only (Strict), or
// both listeners (Optional).
enum class RtspEncryption { No, Optional, Strict };

struct IceServer {
  std::string url, username, password;
  bool clientOnly = false;
};

// An item of alwaysAvailableTracks (MediaMTX): a track of the default offline segment.
struct AlwaysAvailableTrack {
  std::string codec;  // AV1, VP9, H265, H264, Opus, MPEG4Audio, G711, LPCM
  int sampleRate = 0, channelCount = 0;
  bool muLaw = false;
};

class PathPattern;  // the compiled regular expression of a '~' path name (PathPattern.h)

// One permission of an authInternalUsers entry (or of authHTTPExclude). `action` is publish, read,
// playback, api, metrics or pprof. `path` only matters for publish, read and playback: empty means
// every path, '~<regex>' a regular expression (unanchored, as in MediaMTX), anything else one name.
struct AuthPermission {
  std::string action, path;
  bool operator==(const AuthPermission&) const = default;
};

// One entry of authInternalUsers. `user` and `pass` are plain text or "sha256:<base64 of the
// SHA-256 digest>"; user "any" means anyone, without credentials, and has no pass; an empty pass
// accepts any password. `ips` holds addresses and CIDR ranges; empty means any address.
struct AuthInternalUser {
  std::string user, pass;
  std::vector<std::string> ips;
  std::vector<AuthPermission> permissions;
  bool operator==(const AuthInternalUser&) const = default;
};

// MediaMTX's defaults: anyone may publish, read and play back; api, metrics and pprof are open
// to 127.0.0.1 and ::1 only.
std::vector<AuthInternalUser> defaultAuthInternalUsers();
// MediaMTX's default authHTTPExclude: api, metrics and pprof.
std::vector<AuthPermission> defaultAuthHttpExclude();

// The deprecated per-path credentials (publishUser, publishPass, publishIPs, readUser, readPass,
// readIPs). Each is unset unless the file or the environment gives it a value. They only exist
// while the configuration is assembled: finishing it turns them into authInternalUsers entries,
// as MediaMTX does, and clears them, so a loaded Config never holds any.
struct LegacyCredentials {
  std::optional<std::string> publishUser, publishPass, readUser, readPass;
  std::optional<std::vector<std::string>> publishIPs, readIPs;
  bool any() const { return publishUser || publishPass || publishIPs || readUser || readPass || readIPs; }
  bool operator==(const LegacyCredentials&) const = default;
};

// Settings of one path: pathDefaults overlaid with the path's own keys.
struct PathConfig {
  std::string name;
  bool regex = false;  // name is '~<regex>', 'all' or 'all_others'
  std::string source = "publisher";
  RtspTransport rtspTransport = RtspTransport::Automatic;
  bool sourceOnDemand = false;
  std::chrono::milliseconds sourceOnDemandStartTimeout{10000}, sourceOnDemandCloseAfter{10000};
  int maxReaders = 0;             // 0 = unlimited
  bool overridePublisher = true;  // a new publisher kicks the one publishing (else it is refused)
  bool rtspAnyPort = false;
  std::string sourceRedirect;  // target of source 'redirect': '/path' or an rtsp(s):// URL
  std::string fallback;        // RTSP readers of the path while it has no stream go there ('/path' or a URL)
  std::string sourceFingerprint;  // rtsps:// source: SHA-256 (hex) of the one certificate to trust
  // alwaysAvailable: while no source is ready, readers get an offline slate (Sluice's own
  // H264 clip, or the H264 track of alwaysAvailableFile) instead of being closed.
  bool alwaysAvailable = false;
  std::vector<AlwaysAvailableTrack> alwaysAvailableTracks;
  std::string alwaysAvailableFile;
  // Sluice's own: how long readers stay connected while the source is away and reconnecting
  // (they resume at its first keyframe); 0 closes them at once. Unused with alwaysAvailable.
  std::chrono::milliseconds sourceOfflineGrace{10000};
  int yamlLine = 0;  // line of the path's name in the file; 0 if it came from the environment
  // False when source is a MediaMTX scheme Sluice cannot pull yet (rtmp://, srt://, ...): the path
  // exists so that its name stays reserved, but it never becomes ready.
  bool sourceSupported = true;
  // Hooks (commands run on the path's events, as MediaMTX's): see docs/CONFIGURATION.md.
  std::string runOnInit, runOnDemand, runOnUnDemand, runOnOnline, runOnOffline, runOnAvailable,
      runOnUnavailable, runOnRead, runOnUnread;
  bool runOnInitRestart = false, runOnDemandRestart = false, runOnOnlineRestart = false,
       runOnAvailableRestart = false, runOnReadRestart = false;
  std::chrono::milliseconds runOnDemandStartTimeout{10000}, runOnDemandCloseAfter{10000};
  std::shared_ptr<const PathPattern> pattern;  // set when regex
  LegacyCredentials legacyCredentials;         // always empty once loaded (see LegacyCredentials)
};

struct Config {
  log::Level logLevel = log::Level::Info;
  std::vector<std::string> logDestinations{"stdout"};  // stdout, file, syslog
  bool logStructured = false;
  std::string logFile = "mediamtx.log";
  std::chrono::milliseconds readTimeout{10000}, writeTimeout{10000};
  // Hooks of connections (RTSP connections and WebRTC sessions): see docs/CONFIGURATION.md.
  std::string runOnConnect, runOnDisconnect;
  bool runOnConnectRestart = false;
  int writeQueueSize = 512;
  int udpMaxPayloadSize = 1452;
  int udpReadBufferSize = 0;  // 0 = OS default

  // Authentication: MediaMTX's "internal" (authInternalUsers) and "http" (each request POSTed to
  // authHTTPAddress, but those matching authHTTPExclude) methods. "jwt" is rejected, because
  // ignoring it would open to everyone what the file meant to protect.
  std::string authMethod = "internal";
  std::vector<AuthInternalUser> authInternalUsers = defaultAuthInternalUsers();
  std::string authHTTPAddress;  // http:// or https:// URL
  // https: SHA-256 of the certificate to trust instead of the system's roots.
  std::string authHTTPFingerprint;
  std::vector<AuthPermission> authHTTPExclude = defaultAuthHttpExclude();

  // Control API, metrics and pprof listeners. Trusted proxies are addresses or CIDR ranges.
  // With <name>Encryption the listener speaks HTTPS with <name>ServerCert / <name>ServerKey
  // (PEM files, read again on reload).
  bool api = false;
  std::string apiAddress = ":9997";
  bool apiEncryption = false;
  std::string apiServerKey = "server.key", apiServerCert = "server.crt";
  std::vector<std::string> apiAllowOrigins{"*"}, apiTrustedProxies;
  bool metrics = false;
  std::string metricsAddress = ":9998";
  bool metricsEncryption = false;
  std::string metricsServerKey = "server.key", metricsServerCert = "server.crt";
  std::vector<std::string> metricsAllowOrigins{"*"}, metricsTrustedProxies;
  bool pprof = false;
  std::string pprofAddress = ":9999";
  bool pprofEncryption = false;
  std::string pprofServerKey = "server.key", pprofServerCert = "server.crt";
  std::vector<std::string> pprofAllowOrigins{"*"}, pprofTrustedProxies;

  // RTSP server (readers and publishers). Readers are served over TCP interleaved, UDP unicast
  // (one server socket pair, rtpAddress/rtcpAddress, shared by every session) and UDP multicast
  // (one group per stream track from multicastIPRange, on multicastRTPPort/multicastRTCPPort);
  // a SETUP asking for UDP for a publisher gets 461.
  bool rtsp = true;
  std::string rtspAddress = ":8554";
  std::vector<std::string> rtspTransports{"udp", "multicast", "tcp"};
  // What a 401 offers, in order: basic, digest (MD5, RFC 2617 without qop). Digest needs the
  // plain-text passwords: with it, hashed credentials are refused.
  std::vector<std::string> rtspAuthMethods{"basic"};
  std::string rtpAddress = ":8000", rtcpAddress = ":8001";
  std::string multicastIPRange = "224.1.0.0/16";
  int multicastRTPPort = 8002, multicastRTCPPort = 8003;
  // RTSPS (TLS, media interleaved in it: no UDP) on rtspsAddress with rtspServerCert /
  // rtspServerKey (PEM files; unreadable ones fail the configuration).
  RtspEncryption rtspEncryption = RtspEncryption::No;
  std::string rtspsAddress = ":8322";
  std::string rtspServerKey = "server.key", rtspServerCert = "server.crt";

  bool webrtc = true;
  std::string webrtcAddress = ":8889";
  bool webrtcEncryption = false;
  std::string webrtcServerKey = "server.key", webrtcServerCert = "server.crt";
  std::vector<std::string> webrtcAllowOrigins{"*"}, webrtcTrustedProxies;
  std::string webrtcLocalUDPAddress = ":8189", webrtcLocalTCPAddress;
  bool webrtcIPsFromInterfaces = true;
  std::vector<std::string> webrtcIPsFromInterfacesList, webrtcAdditionalHosts;
  std::vector<IceServer> webrtcICEServers2;
  std::chrono::milliseconds webrtcHandshakeTimeout{10000}, webrtcSTUNGatherTimeout{5000};

  // Sluice's own keys (not in MediaMTX):
  int workerThreads = 0;  // 0 = one per core
  // A worker's shortest event-loop turn (core::Worker): what arrives within it is read and sent
  // together. 0 = every event at once.
  std::chrono::milliseconds workerBatchInterval{2};
  std::chrono::milliseconds webrtcSenderReportPeriod{1000};
  int streamHistoryPackets = 4096;  // shared per-stream packet history (power of two)
  // Per-client limits (0 = none). A client is an IPv4 address or an IPv6 /64.
  int httpMaxConnectionsPerClient = 128;   // open HTTP connections, on each HTTP listener
  int webrtcMaxHandshakesPerClient = 128;  // WHEP sessions created but not yet ICE+DTLS connected
  int webrtcMaxHandshakes = 1024;          // the same, all clients together

  PathConfig pathDefaults;
  std::vector<PathConfig> paths;  // in file order, then paths created by the environment
  std::string sourceFile;         // the file that was loaded; empty if none
};

struct ConfigResult {
  std::optional<Config> config;  // empty on error
  std::string error;
  std::vector<std::string> warnings;
};

// Parses `yaml` (the contents of `fileName`, used in messages), then applies RTSP_* and MTX_*
// environment overrides, then validates. Never throws.
ConfigResult loadConfigText(std::string_view yaml, std::string_view fileName);

// Loads `path`; an empty path means the first file found by findDefaultConfigFile(), and then
// the file is optional (no file = defaults plus environment), as in MediaMTX.
ConfigResult loadConfigFile(const std::string& path);

// The first existing file of: sluice.yml, rtsp-simple-server.yml, mediamtx.yml,
// /usr/local/etc/mediamtx.yml, /usr/etc/mediamtx.yml, /etc/mediamtx/mediamtx.yml.
std::optional<std::string> findDefaultConfigFile();

// The configuration of path `name`: an exact (non-regex) name first, then regex paths sorted by
// name with all/all_others last; the first match wins. nullptr if none matches or the name is
// invalid. For a regex match, `regexGroups` receives the submatches: [0] is the whole match and
// [1] is what MediaMTX's source substitutes for $G1.
const PathConfig* findPath(const Config& config, std::string_view name,
                           std::vector<std::string>* regexGroups = nullptr);

}  // namespace sluice::config
