#include "config/InputValue.h"

#include <fmt/format.h>

#include "config/ConfigError.h"

namespace sluice::config {

std::string Origin::describe() const {
  if (!envVar.empty() || keyPath.empty()) return location();
  return location() + ": " + keyPath;
}

std::string Origin::location() const {
  if (!envVar.empty()) return "environment variable " + envVar;
  std::string where = fileName.empty() ? std::string("configuration") : fileName;
  if (line > 0) where += fmt::format(":{}", line);
  return where;
}

Origin Origin::child(std::string_view key, int childLine) const {
  Origin out = *this;
  out.keyPath = keyPath.empty() ? std::string(key) : keyPath + "." + std::string(key);
  if (envVar.empty()) out.line = childLine;
  return out;
}

Origin Origin::item(size_t index, int itemLine) const {
  Origin out = *this;
  out.keyPath += fmt::format("[{}]", index);
  if (envVar.empty()) out.line = itemLine;
  return out;
}

InputValue InputValue::fromYaml(const YAML::Node& node, Origin origin) {
  InputValue in;
  in.node = node;
  in.origin = std::move(origin);
  return in;
}

InputValue InputValue::fromEnvironment(std::string text, Origin origin) {
  InputValue in;
  in.envText = std::move(text);
  in.origin = std::move(origin);
  return in;
}

void fail(const Origin& origin, std::string_view message) {
  throw ConfigError(origin.describe() + ": " + std::string(message));
}

void failUnknownKey(const Origin& origin, std::string_view hint) {
  throw ConfigError(fmt::format("{}: unknown key '{}'{}", origin.location(), origin.keyPath, hint));
}

std::optional<std::string> scalarText(const InputValue& in) {
  if (!in.node) return in.envText;
  const YAML::Node& node = *in.node;
  if (node.IsNull()) return std::nullopt;
  if (node.IsMap()) fail(in.origin, "expected a single value, got a mapping");
  if (!node.IsScalar()) fail(in.origin, "expected a single value, got a list");
  return node.Scalar();
}

namespace {
std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}
}  // namespace

std::vector<std::string> listItems(const InputValue& in) {
  std::vector<std::string> items;
  if (!in.node) {
    // MediaMTX splits on ',' only; surrounding spaces are dropped here so that "tcp, udp" works.
    std::string_view text = in.envText;
    if (text.empty()) return items;
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      items.emplace_back(
          trimSpaces(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return items;
  }
  const YAML::Node& node = *in.node;
  if (node.IsNull()) return items;
  if (!node.IsSequence()) fail(in.origin, "expected a list, e.g. [a, b]");
  for (const YAML::Node& item : node) {
    if (item.IsNull()) {
      items.emplace_back();
    } else if (item.IsScalar()) {
      items.push_back(item.Scalar());
    } else {
      fail(in.origin.item(items.size(), lineOf(item)), "expected a single value");
    }
  }
  return items;
}

int lineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

}  // namespace sluice::config
