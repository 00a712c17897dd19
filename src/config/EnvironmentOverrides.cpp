#include "config/EnvironmentOverrides.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "config/EnvironmentLists.h"
#include "config/KeySuggestion.h"
#include "config/KnownKeys.h"
#include "config/UnsupportedKeys.h"
#include "core/AsciiText.h"

extern char** environ;

namespace sluice::config {
namespace {

struct NameParts {
  std::string_view head;  // up to the first '_'
  std::string_view tail;  // after it; empty if none
  bool hasTail = false;
};

NameParts splitAtUnderscore(std::string_view name) {
  size_t underscore = name.find('_');
  if (underscore == std::string_view::npos) return {name, {}, false};
  return {name.substr(0, underscore), name.substr(underscore + 1), true};
}

bool isUpperCase(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](unsigned char c) { return std::islower(c); });
}

Origin originOf(const std::string& variable) {
  Origin origin;
  origin.envVar = variable;
  return origin;
}

class EnvironmentReader {
 public:
  EnvironmentReader(const Environment& environment, ConfigBuilder& builder)
      : environment_(environment), builder_(builder) {}

  void apply(const std::string& prefix) {
    const std::string start = prefix + "_";
    std::map<std::string_view, std::string> structLists;  // key -> <PREFIX>_<KEY>
    for (const auto& [variable, value] : environment_) {
      if (variable.compare(0, start.size(), start) != 0) continue;
      NameParts parts = splitAtUnderscore(std::string_view(variable).substr(start.size()));
      if (parts.head == "PATHDEFAULTS") {
        applyPathField(variable, parts.tail, value, std::nullopt);
      } else if (parts.head == "PATHS") {
        applyPathVariable(variable, parts.tail, value);
      } else if (std::optional<std::string_view> key = findKeyByUpperCase(knownGlobalKeys(), parts.head)) {
        if (isStructListKey(*key)) {
          structLists.emplace(*key, start + std::string(parts.head));
        } else if (!parts.hasTail || findUnsupportedKey(unsupportedGlobalKeys(), *key)) {
          // (an unsupported key is set too: the builder warns about it)
          builder_.setGlobal(*key, InputValue::fromEnvironment(value, originOf(variable)));
        }
      }
      // Anything else is not configuration: hooks see MTX_PATH, MTX_QUERY, RTSP_PORT, ...
    }
    for (const auto& [key, base] : structLists) applyStructListVariables(environment_, base, key, builder_);
  }

 private:
  // MTX_PATHS_<NAME>_<KEY>: NAME must be upper case and becomes the lower-case path name.
  void applyPathVariable(const std::string& variable, std::string_view rest, const std::string& value) {
    NameParts parts = splitAtUnderscore(rest);
    if (parts.head.empty() || !isUpperCase(parts.head)) return;
    std::string pathName = core::toLowerAscii(parts.head);
    builder_.ensurePath(pathName, originOf(variable));
    if (parts.hasTail) applyPathField(variable, parts.tail, value, pathName);
  }

  void applyPathField(const std::string& variable, std::string_view field, const std::string& value,
                      const std::optional<std::string>& pathName) {
    NameParts parts = splitAtUnderscore(field);
    std::optional<std::string_view> key = findKeyByUpperCase(knownPathKeys(), parts.head);
    if (!key) {
      // MediaMTX ignores it silently; a typo here would otherwise go unnoticed.
      std::string lower = core::toLowerAscii(parts.head);
      builder_.warn(fmt::format("environment variable {} does not name a path setting and is ignored{}",
                                variable, didYouMean(lower, knownPathKeys())));
      return;
    }
    if (parts.hasTail && !findUnsupportedKey(unsupportedPathKeys(), *key)) return;  // no such sub-field
    InputValue input = InputValue::fromEnvironment(value, originOf(variable));
    if (pathName) {
      builder_.setPath(*pathName, *key, input);
    } else {
      builder_.setPathDefault(*key, input);
    }
  }

  const Environment& environment_;
  ConfigBuilder& builder_;
};

}  // namespace

Environment processEnvironment() {
  Environment environment;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment;
}

void applyEnvironment(const Environment& environment, ConfigBuilder& builder) {
  EnvironmentReader reader(environment, builder);
  reader.apply("RTSP");  // legacy prefix first, so that MTX_ wins
  reader.apply("MTX");
}

}  // namespace sluice::config
