#pragma once
// Assembles a Config the way MediaMTX does: defaults, then the file, then the environment, then
// deprecated keys mapped onto their replacements, then pathDefaults overlaid with each path's
// keys, then validation. Every key is resolved here: implemented (read), deprecated alias (read
// into its replacement, with a warning), MediaMTX-only (one warning, ignored) or unknown (error).
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/Config.h"
#include "config/InputValue.h"
#include "config/KeyBindings.h"

namespace sluice::config {

class ConfigBuilder {
 public:
  explicit ConfigBuilder(std::string fileName);

  // The file's root node; null for an empty file.
  void readDocument(const YAML::Node& root);

  // Values from the environment, for keys already matched to a known name.
  void setGlobal(std::string_view key, const InputValue& value);
  void setPathDefault(std::string_view key, const InputValue& value);
  void setPath(std::string_view pathName, std::string_view key, const InputValue& value);
  // Creates path `pathName` (all defaults) unless it exists; MediaMTX creates a path for any
  // MTX_PATHS_<NAME>_... variable.
  void ensurePath(std::string_view pathName, const Origin& origin);

  const Config& current() const { return config_; }
  void warn(std::string message) { warnings_.push_back(std::move(message)); }
  std::vector<std::string>& warnings() { return warnings_; }

  // Applies what was deferred and validates. Throws ConfigError.
  Config finish();

 private:
  template <class Target>
  struct PendingSetting {
    const KeyBinding<Target>* binding;
    InputValue value;
  };
  using PendingPathSetting = PendingSetting<PathConfig>;
  struct PendingPath {
    std::string name;
    Origin origin;  // where the path is declared
    std::vector<PendingPathSetting> settings;
  };

  void readPathDefaults(const YAML::Node& node, const Origin& origin);
  void readPaths(const YAML::Node& node, const Origin& origin);
  PendingPath& pathNamed(std::string_view name, const Origin& origin);

  // The binding of `key` in a scope, or nullptr when the key is a MediaMTX key Sluice ignores.
  // Warns about deprecated and ignored keys; throws on an unknown key.
  const GlobalKeyBinding* resolveGlobalKey(std::string_view key, const Origin& origin);
  const PathKeyBinding* resolvePathKey(std::string_view key, const Origin& origin);
  // Warns once per scope and key, however many paths use it.
  void warnOnce(std::string_view scope, std::string_view key, const Origin& origin,
                const std::string& message);
  void applyPathSettings(PathConfig& path, const std::vector<PendingPathSetting>& settings);
  void checkSingleAllPathsAlias() const;

  std::string fileName_;
  Config config_;
  // Deprecated keys are applied after all others, so that (as in MediaMTX) they win.
  std::vector<PendingSetting<Config>> deferredGlobalAliases_;
  int pathDefaultsLine_ = 0;
  std::vector<PendingPathSetting> pathDefaultSettings_;
  std::vector<PendingPath> paths_;                     // in the order they were declared
  std::unordered_map<std::string, size_t> pathIndex_;  // name -> index in paths_
  std::vector<std::string> warnings_;
  std::set<std::string> warnedKeys_;
};

}  // namespace sluice::config
