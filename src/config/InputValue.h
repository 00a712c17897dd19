#pragma once
// A value given to a configuration key, from the YAML file or from an environment variable, and
// where it came from so that every message can point at it.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

struct Origin {
  std::string fileName;
  int line = 0;         // 1-based; 0 when unknown
  std::string keyPath;  // dotted, e.g. "paths.cam1.rtspTransport"
  std::string envVar;   // set when the value comes from the environment

  // "sluice.yml:12: paths.cam1.rtspTransport" or "environment variable MTX_READTIMEOUT".
  std::string describe() const;
  // The same without the key path: "sluice.yml:12".
  std::string location() const;
  // Origin of `key` nested under this one, at `line` of the same file.
  Origin child(std::string_view key, int line) const;
  // Origin of item `index` of the list at this origin: "webrtcICEServers2[0]".
  Origin item(size_t index, int line) const;
};

struct InputValue {
  std::optional<YAML::Node> node;  // set for a value from the file
  std::string envText;             // the variable's text otherwise
  Origin origin;

  static InputValue fromYaml(const YAML::Node& node, Origin origin);
  static InputValue fromEnvironment(std::string text, Origin origin);
};

// Throws ConfigError "<origin>: <message>".
[[noreturn]] void fail(const Origin& origin, std::string_view message);
// Throws ConfigError "<location>: unknown key '<keyPath>'<hint>".
[[noreturn]] void failUnknownKey(const Origin& origin, std::string_view hint);

// The text of a scalar value; nullopt for a YAML null (`key:` or `key: ~`), which leaves the
// current value alone as MediaMTX's JSON decoding does. Throws for a mapping or a sequence.
std::optional<std::string> scalarText(const InputValue& in);

// The items of a list: a YAML sequence of scalars, or comma-separated environment text (empty
// text = empty list). A YAML null is an empty list: MediaMTX never keeps a nil slice.
std::vector<std::string> listItems(const InputValue& in);

// 1-based line of a YAML node.
int lineOf(const YAML::Node& node);

}  // namespace sluice::config
