#include "config/ConfigJson.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "config/ConfigBuilder.h"
#include "config/ConfigError.h"
#include "config/Scalars.h"
#include "config/YamlLimits.h"
#include "core/UrlRedaction.h"

namespace sluice::config {
namespace {

// The document keeps the order of paths (file order, then additions), so that Config::paths does.
using Document = nlohmann::ordered_json;

// The file name given to the builder: messages name it, and it is removed from them again, since
// the lines of a generated document mean nothing to an API client.
constexpr std::string_view kApiSource = "API";

constexpr std::string_view kPathNotFound = "path configuration not found";

nlohmann::json iceServersToJson(const std::vector<IceServer>& servers) {
  nlohmann::json list = nlohmann::json::array();
  for (const IceServer& server : servers) {
    list.push_back({{"url", server.url},
                    {"username", server.username},
                    {"password", server.password},
                    {"clientOnly", server.clientOnly}});
  }
  return list;
}

nlohmann::json permissionsToJson(const std::vector<AuthPermission>& permissions) {
  nlohmann::json list = nlohmann::json::array();
  for (const AuthPermission& permission : permissions) {
    list.push_back({{"action", permission.action}, {"path", permission.path}});
  }
  return list;
}

nlohmann::json internalUsersToJson(const std::vector<AuthInternalUser>& users, Secrets secrets) {
  nlohmann::json list = nlohmann::json::array();
  for (const AuthInternalUser& user : users) {
    const bool redact = secrets == Secrets::Redact && !user.pass.empty();
    list.push_back({{"user", user.user},
                    {"pass", redact ? std::string(kRedactedCredential) : user.pass},
                    {"ips", user.ips},
                    {"permissions", permissionsToJson(user.permissions)}});
  }
  return list;
}

std::string shownUrl(const std::string& url, Secrets secrets) {
  return secrets == Secrets::Redact ? core::redactUrlPassword(url) : url;
}

nlohmann::json alwaysAvailableTracksToJson(const std::vector<AlwaysAvailableTrack>& tracks) {
  nlohmann::json list = nlohmann::json::array();
  for (const AlwaysAvailableTrack& t : tracks) {
    list.push_back({{"codec", t.codec},
                    {"sampleRate", t.sampleRate},
                    {"channelCount", t.channelCount},
                    {"muLaw", t.muLaw}});
  }
  return list;
}

// The path settings (everything but the name).
nlohmann::json pathSettingsToJson(const PathConfig& path, Secrets secrets) {
  return {
      {"source", shownUrl(path.source, secrets)},
      {"sourceOnDemand", path.sourceOnDemand},
      {"sourceOnDemandStartTimeout", formatDuration(path.sourceOnDemandStartTimeout)},
      {"sourceOnDemandCloseAfter", formatDuration(path.sourceOnDemandCloseAfter)},
      {"maxReaders", path.maxReaders},
      {"overridePublisher", path.overridePublisher},
      {"rtspTransport", rtspTransportName(path.rtspTransport)},
      {"rtspAnyPort", path.rtspAnyPort},
      {"sourceRedirect", shownUrl(path.sourceRedirect, secrets)},
      {"sourceFingerprint", path.sourceFingerprint},
      {"fallback", shownUrl(path.fallback, secrets)},
      {"alwaysAvailable", path.alwaysAvailable},
      {"alwaysAvailableTracks", alwaysAvailableTracksToJson(path.alwaysAvailableTracks)},
      {"alwaysAvailableFile", path.alwaysAvailableFile},
      {"runOnInit", path.runOnInit},
      {"runOnInitRestart", path.runOnInitRestart},
      {"runOnDemand", path.runOnDemand},
      {"runOnDemandRestart", path.runOnDemandRestart},
      {"runOnDemandStartTimeout", formatDuration(path.runOnDemandStartTimeout)},
      {"runOnDemandCloseAfter", formatDuration(path.runOnDemandCloseAfter)},
      {"runOnUnDemand", path.runOnUnDemand},
      {"runOnOnline", path.runOnOnline},
      {"runOnOnlineRestart", path.runOnOnlineRestart},
      {"runOnOffline", path.runOnOffline},
      {"runOnAvailable", path.runOnAvailable},
      {"runOnAvailableRestart", path.runOnAvailableRestart},
      {"runOnUnavailable", path.runOnUnavailable},
      {"runOnRead", path.runOnRead},
      {"runOnReadRestart", path.runOnReadRestart},
      {"runOnUnread", path.runOnUnread},
      // Sluice's own.
      {"sourceOfflineGrace", formatDuration(path.sourceOfflineGrace)},
  };
}

// The keys of `path` whose values differ from `defaults`: what the path sets itself.
Document pathOverrides(const PathConfig& path, const nlohmann::json& defaults) {
  Document overrides = Document::object();
  const nlohmann::json settings = pathSettingsToJson(path, Secrets::Show);
  for (const auto& [key, value] : settings.items()) {
    auto inDefaults = defaults.find(key);
    if (inDefaults == defaults.end() || *inDefaults != value) overrides[key] = value;
  }
  return overrides;
}

Document buildDocument(const Config& config) {
  Document document = Document::object();
  const nlohmann::json globals = globalToJson(config, Secrets::Show);
  for (const auto& [key, value] : globals.items()) document[key] = value;
  const nlohmann::json defaults = pathDefaultsToJson(config, Secrets::Show);
  document["pathDefaults"] = defaults;
  Document paths = Document::object();
  for (const PathConfig& path : config.paths) paths[path.name] = pathOverrides(path, defaults);
  document["paths"] = std::move(paths);
  return document;
}

// Removes the "API:<line>: " or "API: " that the builder puts before its messages.
std::string withoutDocumentLocation(std::string message) {
  if (message.compare(0, kApiSource.size(), kApiSource) != 0) return message;
  size_t i = kApiSource.size();
  if (i < message.size() && message[i] == ':') {
    size_t digits = i + 1;
    while (digits < message.size() && message[digits] >= '0' && message[digits] <= '9') ++digits;
    if (digits > i + 1) i = digits;
  }
  if (message.compare(i, 2, ": ") == 0) message.erase(0, i + 2);
  return message;
}

ConfigChangeResult failure(int status, std::string message) {
  ConfigChangeResult result;
  result.status = status;
  result.error = std::move(message);
  return result;
}

// The body of a change must be a JSON object; null counts as an empty one.
// True when `json` nests arrays and objects more than `limit` levels deep. Iterative: copying or
// dumping a JSON value recurses once per level, and a 10 MiB body can nest five million levels.
bool nestedDeeperThan(const nlohmann::json& json, size_t limit) {
  std::vector<std::pair<const nlohmann::json*, size_t>> stack{{&json, 1}};
  while (!stack.empty()) {
    const auto [value, depth] = stack.back();
    stack.pop_back();
    if (!value->is_structured()) continue;
    if (depth > limit) return true;
    for (const nlohmann::json& child : *value) stack.emplace_back(&child, depth + 1);
  }
  return false;
}

// The body of a change must be a JSON object (null counts as an empty one), and no deeper than a
// configuration document may be: checked before the body is copied or dumped.
std::optional<ConfigChangeResult> badBody(const nlohmann::json& body) {
  if (!body.is_object() && !body.is_null()) return failure(400, "the request body must be a JSON object");
  if (nestedDeeperThan(body, kMaxYamlDepth)) {
    return failure(400, fmt::format("the request body is nested more than {} levels deep (limit {})",
                                    kMaxYamlDepth, kMaxYamlDepth));
  }
  return std::nullopt;
}

// Merges the keys of `patch` into `target`. A null value leaves a key that `target` has alone (as
// MediaMTX ignores null fields of a patch); a null for a key `target` lacks is kept, so that the
// builder still rejects it if it is unknown, and otherwise leaves the value as it was.
void mergeKeys(Document& target, const nlohmann::json& patch, bool ignoreName) {
  if (patch.is_null()) return;
  for (const auto& [key, value] : patch.items()) {
    if (ignoreName && key == "name") continue;
    if (value.is_null() && target.contains(key)) continue;
    target[key] = value;
  }
}

// Runs `document` through the builder and the validation that the configuration file goes
// through. The environment is not applied again: the current configuration already holds its
// values, and applying it again would silently undo any API change to a key it sets (and revive a
// deleted path it creates); MediaMTX applies API changes to the loaded configuration in the same way.
ConfigChangeResult loadDocument(const Config& current, const Document& document) {
  ConfigChangeResult result;
  ConfigBuilder builder{std::string(kApiSource)};
  try {
    const std::string text = document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    builder.readDocument(loadBoundedYaml(text, kApiSource, YamlSource::Api));
    result.config = builder.finish();
  } catch (const ConfigError& e) {
    result.error = e.what();
  } catch (const YAML::Exception& e) {
    result.error = fmt::format("invalid configuration document: {}", e.what());
  } catch (const std::exception& e) {
    result.error = fmt::format("cannot apply the configuration: {}", e.what());
  }
  for (std::string& warning : builder.warnings()) {
    result.warnings.push_back(withoutDocumentLocation(std::move(warning)));
  }
  if (!result.error.empty()) {
    result.config.reset();
    result.error = withoutDocumentLocation(std::move(result.error));
    result.status = 400;
    return result;
  }

  // Lines in the generated document mean nothing: keep those of the file.
  Config& next = *result.config;
  next.sourceFile = current.sourceFile;
  next.pathDefaults.yamlLine = current.pathDefaults.yamlLine;
  for (PathConfig& path : next.paths) {
    path.yamlLine = 0;
    for (const PathConfig& before : current.paths) {
      if (before.name == path.name) path.yamlLine = before.yamlLine;
    }
  }
  return result;
}

// The URL keys of a path whose password the API redacts.
constexpr std::array<std::string_view, 3> kUrlKeys = {"source", "sourceRedirect", "fallback"};

std::string_view urlValue(const PathConfig& path, std::string_view key) {
  if (key == "source") return path.source;
  return key == "sourceRedirect" ? std::string_view(path.sourceRedirect) : std::string_view(path.fallback);
}

// True when `url` has the redacted placeholder as its password.
bool hasRedactedPassword(std::string_view url) {
  return core::hasUrlPassword(url) && core::redactUrlPassword(url) == url;
}

// In a path (or pathDefaults) change body: a URL that is the redacted form of the value it replaces
// (`stored`, or nullptr for a new path) becomes that value again; a redacted URL that restores
// nothing is an error.
std::optional<ConfigChangeResult> restoreRedactedUrls(nlohmann::json& body, const PathConfig* stored) {
  if (!body.is_object()) return std::nullopt;
  for (std::string_view key : kUrlKeys) {
    auto it = body.find(std::string(key));
    if (it == body.end() || !it->is_string()) continue;
    const std::string sent = it->get<std::string>();
    if (stored && core::isRedactedFormOf(sent, urlValue(*stored, key))) {
      *it = std::string(urlValue(*stored, key));
    } else if (hasRedactedPassword(sent)) {
      return failure(400, fmt::format("'{}' has the redacted password '{}': send the real password", key,
                                      core::kRedactedUrlPassword));
    }
  }
  return std::nullopt;
}

// In a global change body: authInternalUsers entries whose pass is "<redacted>" get the stored
// password of the current entry with the same user, the one at the same index first.
std::optional<ConfigChangeResult> restoreRedactedPasswords(nlohmann::json& body, const Config& current) {
  auto users = body.find("authInternalUsers");
  if (users == body.end() || !users->is_array()) return std::nullopt;
  const std::vector<AuthInternalUser>& stored = current.authInternalUsers;
  for (size_t i = 0; i < users->size(); ++i) {
    nlohmann::json& entry = (*users)[i];
    if (!entry.is_object()) continue;
    auto pass = entry.find("pass");
    auto user = entry.find("user");
    if (pass == entry.end() || *pass != kRedactedCredential) continue;
    const std::string name = user != entry.end() && user->is_string() ? user->get<std::string>() : "";
    const AuthInternalUser* match = nullptr;
    if (i < stored.size() && stored[i].user == name) match = &stored[i];
    for (size_t j = 0; !match && j < stored.size(); ++j) {
      if (stored[j].user == name) match = &stored[j];
    }
    if (!match || match->pass.empty()) {
      return failure(400, fmt::format("authInternalUsers[{}]: 'pass' is the redacted placeholder '{}' and "
                                      "user '{}' has no stored password: send the real password",
                                      i, kRedactedCredential, name));
    }
    *pass = match->pass;
  }
  return std::nullopt;
}

const PathConfig* pathNamed(const Config& config, std::string_view name) {
  for (const PathConfig& path : config.paths) {
    if (path.name == name) return &path;
  }
  return nullptr;
}

}  // namespace

std::string formatDuration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  constexpr int64_t kDayMs = 86400LL * 1000;
  const int64_t days = ms / kDayMs;
  ms %= kDayMs;
  if (days > 0) out += fmt::format("{}d", days);
  if (ms == 0) return out;
  if (ms < 1000) return out + fmt::format("{}ms", ms);

  // Go's format at or above one second: hours and minutes only when there are any (minutes then
  // always, even 0), seconds always, with the fraction's trailing zeros dropped.
  const int64_t hours = ms / 3600000, minutes = ms / 60000 % 60, seconds = ms / 1000 % 60;
  const int64_t fraction = ms % 1000;
  if (hours > 0) out += fmt::format("{}h", hours);
  if (hours > 0 || minutes > 0) out += fmt::format("{}m", minutes);
  out += std::to_string(seconds);
  if (fraction != 0) {
    std::string digits = fmt::format("{:03}", fraction);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out + "s";
}

std::string_view logLevelName(log::Level level) {
  switch (level) {
    case log::Level::Debug:
      return "debug";
    case log::Level::Info:
      return "info";
    case log::Level::Warn:
      return "warn";
    case log::Level::Error:
      return "error";
  }
  return "info";
}

nlohmann::json globalToJson(const Config& config, Secrets secrets) {
  return {
      {"logLevel", logLevelName(config.logLevel)},
      {"logDestinations", config.logDestinations},
      {"logStructured", config.logStructured},
      {"logFile", config.logFile},
      {"runOnConnect", config.runOnConnect},
      {"runOnConnectRestart", config.runOnConnectRestart},
      {"runOnDisconnect", config.runOnDisconnect},
      {"readTimeout", formatDuration(config.readTimeout)},
      {"writeTimeout", formatDuration(config.writeTimeout)},
      {"writeQueueSize", config.writeQueueSize},
      {"udpMaxPayloadSize", config.udpMaxPayloadSize},
      {"udpReadBufferSize", config.udpReadBufferSize},

      {"authMethod", config.authMethod},
      {"authInternalUsers", internalUsersToJson(config.authInternalUsers, secrets)},
      {"authHTTPAddress", config.authHTTPAddress},
      {"authHTTPFingerprint", config.authHTTPFingerprint},
      {"authHTTPExclude", permissionsToJson(config.authHTTPExclude)},

      {"api", config.api},
      {"apiAddress", config.apiAddress},
      {"apiEncryption", config.apiEncryption},
      {"apiServerKey", config.apiServerKey},
      {"apiServerCert", config.apiServerCert},
      {"apiAllowOrigins", config.apiAllowOrigins},
      {"apiTrustedProxies", config.apiTrustedProxies},
      {"metrics", config.metrics},
      {"metricsAddress", config.metricsAddress},
      {"metricsEncryption", config.metricsEncryption},
      {"metricsServerKey", config.metricsServerKey},
      {"metricsServerCert", config.metricsServerCert},
      {"metricsAllowOrigins", config.metricsAllowOrigins},
      {"metricsTrustedProxies", config.metricsTrustedProxies},
      {"pprof", config.pprof},
      {"pprofAddress", config.pprofAddress},
      {"pprofEncryption", config.pprofEncryption},
      {"pprofServerKey", config.pprofServerKey},
      {"pprofServerCert", config.pprofServerCert},
      {"pprofAllowOrigins", config.pprofAllowOrigins},
      {"pprofTrustedProxies", config.pprofTrustedProxies},

      {"rtsp", config.rtsp},
      {"rtspAddress", config.rtspAddress},
      {"rtspTransports", config.rtspTransports},
      {"rtspAuthMethods", config.rtspAuthMethods},
      {"rtpAddress", config.rtpAddress},
      {"rtcpAddress", config.rtcpAddress},
      {"multicastIPRange", config.multicastIPRange},
      {"multicastRTPPort", config.multicastRTPPort},
      {"multicastRTCPPort", config.multicastRTCPPort},
      {"rtspEncryption", rtspEncryptionName(config.rtspEncryption)},
      {"rtspsAddress", config.rtspsAddress},
      {"rtspServerKey", config.rtspServerKey},
      {"rtspServerCert", config.rtspServerCert},

      {"webrtc", config.webrtc},
      {"webrtcAddress", config.webrtcAddress},
      {"webrtcEncryption", config.webrtcEncryption},
      {"webrtcServerKey", config.webrtcServerKey},
      {"webrtcServerCert", config.webrtcServerCert},
      {"webrtcAllowOrigins", config.webrtcAllowOrigins},
      {"webrtcTrustedProxies", config.webrtcTrustedProxies},
      {"webrtcLocalUDPAddress", config.webrtcLocalUDPAddress},
      {"webrtcLocalTCPAddress", config.webrtcLocalTCPAddress},
      {"webrtcIPsFromInterfaces", config.webrtcIPsFromInterfaces},
      {"webrtcIPsFromInterfacesList", config.webrtcIPsFromInterfacesList},
      {"webrtcAdditionalHosts", config.webrtcAdditionalHosts},
      {"webrtcICEServers2", iceServersToJson(config.webrtcICEServers2)},
      {"webrtcHandshakeTimeout", formatDuration(config.webrtcHandshakeTimeout)},
      {"webrtcSTUNGatherTimeout", formatDuration(config.webrtcSTUNGatherTimeout)},

      // Sluice's own keys.
      {"workerThreads", config.workerThreads},
      {"workerBatchInterval", formatDuration(config.workerBatchInterval)},
      {"webrtcSenderReportPeriod", formatDuration(config.webrtcSenderReportPeriod)},
      {"streamHistoryPackets", config.streamHistoryPackets},
      {"httpMaxConnectionsPerClient", config.httpMaxConnectionsPerClient},
      {"webrtcMaxHandshakesPerClient", config.webrtcMaxHandshakesPerClient},
      {"webrtcMaxHandshakes", config.webrtcMaxHandshakes},
  };
}

nlohmann::json pathToJson(const PathConfig& path, Secrets secrets) {
  nlohmann::json out = pathSettingsToJson(path, secrets);
  out["name"] = path.name;
  return out;
}

nlohmann::json pathDefaultsToJson(const Config& config, Secrets secrets) {
  return pathSettingsToJson(config.pathDefaults, secrets);
}

nlohmann::json documentOf(const Config& config) { return nlohmann::json(buildDocument(config)); }

ConfigChangeResult patchGlobal(const Config& current, const nlohmann::json& patch) {
  if (std::optional<ConfigChangeResult> bad = badBody(patch)) return *bad;
  if (patch.contains("pathDefaults")) {
    return failure(400,
                   "unknown key 'pathDefaults' (path defaults are changed with "
                   "/v3/config/pathdefaults/patch)");
  }
  if (patch.contains("paths")) {
    return failure(400, "unknown key 'paths' (paths are changed with /v3/config/paths/...)");
  }
  nlohmann::json body = patch;
  if (!body.is_null()) {
    if (std::optional<ConfigChangeResult> error = restoreRedactedPasswords(body, current)) return *error;
  }
  Document document = buildDocument(current);
  mergeKeys(document, body, false);
  return loadDocument(current, document);
}

ConfigChangeResult patchPathDefaults(const Config& current, const nlohmann::json& patch) {
  if (std::optional<ConfigChangeResult> bad = badBody(patch)) return *bad;
  nlohmann::json body = patch;
  if (std::optional<ConfigChangeResult> error = restoreRedactedUrls(body, &current.pathDefaults)) {
    return *error;
  }
  Document document = buildDocument(current);
  mergeKeys(document["pathDefaults"], body, true);
  return loadDocument(current, document);
}

ConfigChangeResult addPath(const Config& current, std::string_view name, const nlohmann::json& path) {
  if (std::optional<ConfigChangeResult> bad = badBody(path)) return *bad;
  if (pathNamed(current, name)) return failure(400, "path already exists");
  nlohmann::json body = path;
  if (std::optional<ConfigChangeResult> error = restoreRedactedUrls(body, nullptr)) return *error;
  Document document = buildDocument(current);
  Document settings = Document::object();
  mergeKeys(settings, body, true);
  document["paths"][std::string(name)] = std::move(settings);
  return loadDocument(current, document);
}

ConfigChangeResult patchPath(const Config& current, std::string_view name, const nlohmann::json& patch) {
  if (std::optional<ConfigChangeResult> bad = badBody(patch)) return *bad;
  const PathConfig* stored = pathNamed(current, name);
  if (!stored) return failure(404, std::string(kPathNotFound));
  nlohmann::json body = patch;
  if (std::optional<ConfigChangeResult> error = restoreRedactedUrls(body, stored)) return *error;
  Document document = buildDocument(current);
  mergeKeys(document["paths"][std::string(name)], body, true);
  return loadDocument(current, document);
}

ConfigChangeResult replacePath(const Config& current, std::string_view name, const nlohmann::json& path) {
  if (std::optional<ConfigChangeResult> bad = badBody(path)) return *bad;
  nlohmann::json body = path;
  if (std::optional<ConfigChangeResult> error = restoreRedactedUrls(body, pathNamed(current, name))) {
    return *error;
  }
  Document document = buildDocument(current);
  Document settings = Document::object();
  mergeKeys(settings, body, true);
  document["paths"][std::string(name)] = std::move(settings);
  return loadDocument(current, document);
}

ConfigChangeResult deletePath(const Config& current, std::string_view name) {
  if (!pathNamed(current, name)) return failure(404, std::string(kPathNotFound));
  Document document = buildDocument(current);
  document["paths"].erase(std::string(name));
  return loadDocument(current, document);
}

}  // namespace sluice::config
