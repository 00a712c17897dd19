#pragma once
// Helpers shared by the config tests.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/Config.h"

extern char** environ;

namespace sluice::config {

// Readable gtest output for the auth structures.
inline void PrintTo(const AuthPermission& p, std::ostream* os) {
  *os << "{" << p.action << ", " << p.path << "}";
}
inline void PrintTo(const AuthInternalUser& u, std::ostream* os) {
  *os << "{user " << u.user << ", pass " << u.pass << ", ips [" << fmt::format("{}", fmt::join(u.ips, ","))
      << "], permissions [";
  for (const AuthPermission& p : u.permissions) PrintTo(p, os);
  *os << "]}";
}

}  // namespace sluice::config

namespace sluice::config::testing {

inline ConfigResult load(std::string_view yaml) { return loadConfigText(yaml, "sluice.yml"); }

// Loads `yaml`, failing the test (with the error) if it does not load.
inline Config loadOk(std::string_view yaml) {
  ConfigResult result = load(yaml);
  EXPECT_TRUE(result.config.has_value()) << result.error;
  return result.config.value_or(Config{});
}

// The error of loading `yaml`, failing the test if it loads.
inline std::string loadError(std::string_view yaml) {
  ConfigResult result = load(yaml);
  EXPECT_FALSE(result.config.has_value()) << "loaded, but an error was expected";
  return result.error;
}

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != text.npos; }

inline size_t countContaining(const std::vector<std::string>& lines, std::string_view text) {
  size_t n = 0;
  for (const std::string& line : lines) n += line.find(text) != std::string::npos ? 1 : 0;
  return n;
}

inline const PathConfig* pathNamed(const Config& config, std::string_view name) {
  for (const PathConfig& path : config.paths) {
    if (path.name == name) return &path;
  }
  return nullptr;
}

// Clears every RTSP_* and MTX_* variable for the test's lifetime, and restores them after, so that
// the tests neither see the caller's overrides nor leak their own.
class ScopedEnvironment {
 public:
  ScopedEnvironment() {
    for (char** entry = environ; entry && *entry; ++entry) {
      std::string text(*entry);
      size_t equals = text.find('=');
      std::string name = text.substr(0, equals);
      if (isOverride(name)) saved_[name] = equals == std::string::npos ? "" : text.substr(equals + 1);
    }
    for (const auto& [name, value] : saved_) unsetenv(name.c_str());
  }
  ~ScopedEnvironment() {
    for (const std::string& name : set_) unsetenv(name.c_str());
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }
  void set(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    set_.push_back(name);
  }

 private:
  static bool isOverride(std::string_view name) {
    return name.substr(0, 4) == "MTX_" || name.substr(0, 5) == "RTSP_";
  }
  std::map<std::string, std::string> saved_;
  std::vector<std::string> set_;
};

}  // namespace sluice::config::testing
