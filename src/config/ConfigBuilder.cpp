#include "config/ConfigBuilder.h"

#include <fmt/format.h>

#include "config/GlobalValidation.h"
#include "config/KeySuggestion.h"
#include "config/KnownKeys.h"
#include "config/LegacyCredentials.h"
#include "config/PathValidation.h"
#include "config/UnsupportedKeys.h"
#include "config/YamlLimits.h"
#include "config/YamlMapping.h"

namespace sluice::config {
namespace {

constexpr std::string_view kGlobalScope = "global";
constexpr std::string_view kPathScope = "path";

bool contains(const std::vector<std::string_view>& keys, std::string_view key) {
  for (std::string_view candidate : keys) {
    if (candidate == key) return true;
  }
  return false;
}

[[noreturn]] void failUnknownScopedKey(std::string_view key, const Origin& origin,
                                       const std::vector<std::string_view>& known,
                                       const std::vector<std::string_view>& otherScope,
                                       std::string_view otherScopeHint) {
  std::string hint = didYouMean(key, known);
  if (hint.empty() && contains(otherScope, key)) hint = fmt::format(" ({})", otherScopeHint);
  failUnknownKey(origin, hint);
}

constexpr std::string_view kIgnored = " is not supported by Sluice yet and is ignored";

std::string ignoredKeyMessage(std::string_view key, const UnsupportedKey& unsupported) {
  if (unsupported.replacement.empty()) return fmt::format("configuration key '{}'{}", key, kIgnored);
  return fmt::format("configuration key '{}' (deprecated, replaced by '{}'){}", key, unsupported.replacement,
                     kIgnored);
}

std::string deprecatedKeyMessage(std::string_view key, std::string_view replacement) {
  return fmt::format("configuration key '{}' is deprecated and has been replaced by '{}'; ", key,
                     replacement) +
         fmt::format("its value is used for '{}'", replacement);
}

}  // namespace

ConfigBuilder::ConfigBuilder(std::string fileName) : fileName_(std::move(fileName)) {}

void ConfigBuilder::readDocument(const YAML::Node& root) {
  Origin top;
  top.fileName = fileName_;
  if (!root.IsDefined() || root.IsNull()) return;  // an empty file: all defaults
  if (!root.IsMap()) {
    top.line = lineOf(root);
    fail(top, "the configuration must be a mapping of keys to values");
  }
  for (const MappingEntry& entry : mappingEntries(root, top)) {
    Origin origin = top.child(entry.key, entry.line);
    if (entry.key == "pathDefaults") {
      readPathDefaults(entry.value, origin);
    } else if (entry.key == "paths") {
      readPaths(entry.value, origin);
    } else {
      setGlobal(entry.key, InputValue::fromYaml(entry.value, origin));
    }
  }
}

void ConfigBuilder::readPathDefaults(const YAML::Node& node, const Origin& origin) {
  pathDefaultsLine_ = origin.line;
  if (node.IsNull()) return;
  if (!node.IsMap()) fail(origin, "expected a mapping of path settings");
  for (const MappingEntry& entry : mappingEntries(node, origin)) {
    setPathDefault(entry.key, InputValue::fromYaml(entry.value, origin.child(entry.key, entry.line)));
  }
}

void ConfigBuilder::readPaths(const YAML::Node& node, const Origin& origin) {
  if (node.IsNull()) return;
  if (!node.IsMap()) fail(origin, "expected a mapping of path names to path settings");
  for (const MappingEntry& pathEntry : mappingEntries(node, origin)) {
    Origin pathOrigin = origin.child(pathEntry.key, pathEntry.line);
    PendingPath& path = pathNamed(pathEntry.key, pathOrigin);
    if (pathEntry.value.IsNull()) continue;  // "cam:" = all defaults
    if (!pathEntry.value.IsMap()) {
      fail(pathOrigin, "expected a mapping of path settings, or nothing for all defaults");
    }
    for (const MappingEntry& entry : mappingEntries(pathEntry.value, pathOrigin)) {
      Origin keyOrigin = pathOrigin.child(entry.key, entry.line);
      if (const PathKeyBinding* binding = resolvePathKey(entry.key, keyOrigin)) {
        path.settings.push_back({binding, InputValue::fromYaml(entry.value, keyOrigin)});
      }
    }
  }
}

void ConfigBuilder::setGlobal(std::string_view key, const InputValue& value) {
  const GlobalKeyBinding* binding = resolveGlobalKey(key, value.origin);
  if (!binding) return;
  if (!binding->replacement.empty()) {
    deferredGlobalAliases_.push_back({binding, value});
  } else {
    binding->assign(value, config_);
  }
}

void ConfigBuilder::setPathDefault(std::string_view key, const InputValue& value) {
  if (const PathKeyBinding* binding = resolvePathKey(key, value.origin)) {
    pathDefaultSettings_.push_back({binding, value});
  }
}

void ConfigBuilder::setPath(std::string_view pathName, std::string_view key, const InputValue& value) {
  PendingPath& path = pathNamed(pathName, value.origin);
  if (const PathKeyBinding* binding = resolvePathKey(key, value.origin)) {
    path.settings.push_back({binding, value});
  }
}

void ConfigBuilder::ensurePath(std::string_view pathName, const Origin& origin) {
  pathNamed(pathName, origin);
}

ConfigBuilder::PendingPath& ConfigBuilder::pathNamed(std::string_view name, const Origin& origin) {
  auto [found, added] = pathIndex_.try_emplace(std::string(name), paths_.size());
  if (added) {
    if (paths_.size() >= kMaxPaths) {
      pathIndex_.erase(found);
      fail(origin, fmt::format("more than {} paths (limit {}); a regular-expression path ('~...') can serve "
                               "many names with one entry",
                               kMaxPaths, kMaxPaths));
    }
    paths_.push_back({std::string(name), origin, {}});
  }
  return paths_[found->second];
}

const GlobalKeyBinding* ConfigBuilder::resolveGlobalKey(std::string_view key, const Origin& origin) {
  if (const GlobalKeyBinding* binding = findBinding(globalKeyBindings(), key)) {
    if (!binding->replacement.empty()) {
      warnOnce(kGlobalScope, key, origin, deprecatedKeyMessage(key, binding->replacement));
    }
    return binding;
  }
  if (const UnsupportedKey* unsupported = findUnsupportedKey(unsupportedGlobalKeys(), key)) {
    warnOnce(kGlobalScope, key, origin, ignoredKeyMessage(key, *unsupported));
    return nullptr;
  }
  failUnknownScopedKey(key, origin, knownGlobalKeys(), knownPathKeys(),
                       "this is a path setting: put it under 'pathDefaults' or under a path in 'paths'");
}

const PathKeyBinding* ConfigBuilder::resolvePathKey(std::string_view key, const Origin& origin) {
  if (const PathKeyBinding* binding = findBinding(pathKeyBindings(), key)) {
    if (!binding->replacement.empty()) {
      warnOnce(kPathScope, key, origin, deprecatedKeyMessage(key, binding->replacement));
    }
    return binding;
  }
  if (const UnsupportedKey* unsupported = findUnsupportedKey(unsupportedPathKeys(), key)) {
    warnOnce(kPathScope, key, origin, ignoredKeyMessage(key, *unsupported));
    return nullptr;
  }
  failUnknownScopedKey(key, origin, knownPathKeys(), knownGlobalKeys(),
                       "this is a global setting: put it at the top level of the file");
}

void ConfigBuilder::warnOnce(std::string_view scope, std::string_view key, const Origin& origin,
                             const std::string& message) {
  if (!warnedKeys_.insert(fmt::format("{}:{}", scope, key)).second) return;
  warnings_.push_back(origin.location() + ": " + message);
}

void ConfigBuilder::applyPathSettings(PathConfig& path, const std::vector<PendingPathSetting>& settings) {
  // Current keys first, then deprecated ones, which win as in MediaMTX.
  for (bool deprecated : {false, true}) {
    for (const PendingPathSetting& setting : settings) {
      if (setting.binding->replacement.empty() != deprecated) setting.binding->assign(setting.value, path);
    }
  }
}

void ConfigBuilder::checkSingleAllPathsAlias() const {
  const PendingPath* first = nullptr;
  for (const PendingPath& path : paths_) {
    if (path.name != "all" && path.name != "all_others" && path.name != "~^.*$") continue;
    if (first) {
      fail(path.origin, fmt::format("'{}' and '{}' both match every path ", first->name, path.name) +
                            "('all', 'all_others' and '~^.*$' are aliases); keep only one of them");
    }
    first = &path;
  }
}

Config ConfigBuilder::finish() {
  for (const PendingSetting<Config>& setting : deferredGlobalAliases_) {
    setting.binding->assign(setting.value, config_);
  }
  Origin fileOrigin;
  fileOrigin.fileName = fileName_;
  validateGlobals(config_, fileOrigin, warnings_);

  PathConfig defaults;
  defaults.yamlLine = pathDefaultsLine_;
  applyPathSettings(defaults, pathDefaultSettings_);
  config_.pathDefaults = defaults;

  checkSingleAllPathsAlias();
  config_.paths.clear();
  config_.paths.reserve(paths_.size());
  for (const PendingPath& pending : paths_) {
    PathConfig path = defaults;
    path.name = pending.name;
    path.yamlLine = pending.origin.envVar.empty() ? pending.origin.line : 0;
    applyPathSettings(path, pending.settings);
    validatePath(path, pending.origin, warnings_);
    config_.paths.push_back(std::move(path));
  }
  convertLegacyCredentials(config_, fileOrigin);
  validateRtspDigest(config_, fileOrigin);
  return config_;
}

}  // namespace sluice::config
