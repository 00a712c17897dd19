#pragma once
// The configuration as MediaMTX's control API shows it (/v3/config/...): JSON with MediaMTX's field
// names and value formats. And the API's configuration changes: each one is applied to a
// MediaMTX-style document rebuilt from the current Config, and that document is read by the same
// ConfigBuilder and validation as the configuration file, so a change is accepted or rejected
// exactly as the same keys in mediamtx.yml would be.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config/Config.h"

namespace sluice::config {

// A duration as MediaMTX writes it: whole days as "<n>d", then the rest as Go's
// time.Duration.String() ("10s", "200ms", "1m30s", "1h0m0s", "1d12h0m0s"). Zero is "0s" (MediaMTX
// writes "", which its own loader reads back as zero but Sluice's rejects).
std::string formatDuration(std::chrono::milliseconds duration);

// "error", "warn", "info" or "debug".
std::string_view logLevelName(log::Level level);

// What MediaMTX's API shows instead of a non-empty authInternalUsers password.
inline constexpr std::string_view kRedactedCredential = "<redacted>";

enum class Secrets {
  Redact,  // as the API shows them: non-empty authInternalUsers passwords shown as "<redacted>", the
           // password of a URL in source, sourceRedirect and fallback as "***" ("rtsp://user:***@host/...")
  Show,    // the real values (the document that API changes are applied to)
};

// Every global key Sluice implements (pathDefaults and paths excepted), MediaMTX's names, plus
// Sluice's own keys (workerThreads, workerBatchInterval, webrtcSenderReportPeriod,
// streamHistoryPackets and the per-client limits).
nlohmann::json globalToJson(const Config& config, Secrets secrets = Secrets::Redact);
// The effective settings of a path, with its "name", as MediaMTX's config/paths items.
nlohmann::json pathToJson(const PathConfig& path, Secrets secrets = Secrets::Redact);
// The settings of pathDefaults (no "name").
nlohmann::json pathDefaultsToJson(const Config& config, Secrets secrets = Secrets::Redact);

// A MediaMTX-style document equivalent to `config`: the globals, "pathDefaults", and "paths" as a
// map from name to the keys where the path differs from pathDefaults (Config keeps only effective
// values, and these differences are what MediaMTX keeps as a path's own keys, so that a later
// pathDefaults change reaches every path that did not set the key). Secrets are not redacted.
// Reading it back gives the same Config, apart from yamlLine, sourceFile and the order of paths
// (a JSON object: sorted by name; the changes below keep the order of Config::paths).
nlohmann::json documentOf(const Config& config);

// The outcome of an API change: the new, fully validated configuration (keeping `sourceFile` and
// the file's `yamlLine`s of the current one), or an error and the HTTP status MediaMTX answers with.
struct ConfigChangeResult : ConfigResult {
  int status = 200;  // 200 on success; 400 for a rejected change, 404 for a path that does not exist
};

// PATCH /v3/config/global/patch: the body's keys replace the current values. A key with a null
// value changes nothing; "paths", "pathDefaults" and unknown keys are rejected.
ConfigChangeResult patchGlobal(const Config& current, const nlohmann::json& patch);
// PATCH /v3/config/pathdefaults/patch. Paths follow the new defaults except where they set the key.
ConfigChangeResult patchPathDefaults(const Config& current, const nlohmann::json& patch);
// POST /v3/config/paths/add/{name}: 400 "path already exists" if a path has this exact name.
ConfigChangeResult addPath(const Config& current, std::string_view name, const nlohmann::json& path);
// PATCH /v3/config/paths/patch/{name}: the body's keys are merged into the path's own keys; 404
// "path configuration not found" if there is no such path.
ConfigChangeResult patchPath(const Config& current, std::string_view name, const nlohmann::json& patch);
// POST /v3/config/paths/replace/{name}: the path's keys become exactly the body's (all others
// follow pathDefaults); creates the path if it does not exist, as current MediaMTX does.
ConfigChangeResult replacePath(const Config& current, std::string_view name, const nlohmann::json& path);
// DELETE /v3/config/paths/delete/{name}: 404 "path configuration not found" if there is no such path.
ConfigChangeResult deletePath(const Config& current, std::string_view name);

// In the bodies of path and pathDefaults changes a "name" key is accepted and ignored, so that a
// paths/get item can be sent back as it is. A body that is not a JSON object (or null) is rejected
// with 400.
//
// Redacted values sent back mean "unchanged", so that what the API shows can be sent back without
// losing a secret: a source, sourceRedirect or fallback equal to the redacted form of the value it changes
// keeps the stored URL (password included), and an authInternalUsers entry whose pass is
// "<redacted>" keeps the stored password of the entry with the same user (the same index first).
// A redacted value with nothing to restore it from is rejected (400), never stored.

}  // namespace sluice::config
