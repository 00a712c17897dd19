#include "config/FieldParsers.h"

#include <fmt/format.h>

#include <limits>

#include "config/Duration.h"
#include "config/KeySuggestion.h"
#include "config/Scalars.h"
#include "config/YamlMapping.h"

namespace sluice::config {

void parseValue(const InputValue& in, bool& out) {
  std::optional<std::string> text = scalarText(in);
  if (!text) return;
  std::optional<bool> value = parseBool(*text);
  if (!value) {
    fail(in.origin, fmt::format("invalid boolean '{}' (expected yes, no, true, false, on, off)", *text));
  }
  out = *value;
}

void parseValue(const InputValue& in, int& out) {
  std::optional<std::string> text = scalarText(in);
  if (!text) return;
  std::optional<int64_t> value = parseInteger(*text);
  if (!value || *value < std::numeric_limits<int>::min() || *value > std::numeric_limits<int>::max()) {
    fail(in.origin, fmt::format("invalid integer '{}'", *text));
  }
  out = static_cast<int>(*value);
}

void parseValue(const InputValue& in, std::string& out) {
  std::optional<std::string> text = scalarText(in);
  if (text) out = std::move(*text);
}

void parseValue(const InputValue& in, std::chrono::milliseconds& out) {
  std::optional<std::string> text = scalarText(in);
  if (!text) return;
  std::optional<std::chrono::nanoseconds> value = parseDuration(*text);
  if (!value) {
    fail(in.origin,
         fmt::format("invalid duration '{}' (expected a duration such as 10s, 200ms, 1m30s, 1h, 1d12h)",
                     *text));
  }
  if (value->count() < 0) fail(in.origin, fmt::format("duration '{}' must not be negative", *text));
  out = std::chrono::ceil<std::chrono::milliseconds>(*value);
}

void parseValue(const InputValue& in, std::vector<std::string>& out) { out = listItems(in); }

void parseValue(const InputValue& in, log::Level& out) {
  std::optional<std::string> text = scalarText(in);
  if (!text) return;
  if (!log::parseLevel(*text, out)) {
    fail(in.origin, fmt::format("invalid value '{}' (expected error, warn, info, debug)", *text));
  }
}

void parseValue(const InputValue& in, RtspTransport& out) {
  std::optional<std::string> text = scalarText(in);
  if (!text) return;
  std::optional<RtspTransport> value = parseRtspTransport(*text);
  if (!value) {
    fail(in.origin, fmt::format("invalid value '{}' (expected automatic, udp, multicast, tcp)", *text));
  }
  out = *value;
}

void parseValue(const InputValue& in, RtspEncryption& out) {
  std::optional<std::string> text = scalarText(in);
  if (!text) return;
  std::optional<RtspEncryption> value = parseRtspEncryption(*text);
  if (!value) fail(in.origin, fmt::format("invalid encryption '{}' (expected no, strict, optional)", *text));
  out = *value;
}

namespace {

IceServer parseIceServer(const YAML::Node& node, const Origin& origin) {
  static const std::vector<std::string_view> kFields = {"url", "username", "password", "clientOnly"};
  IceServer server;
  if (node.IsNull()) return server;
  if (!node.IsMap()) fail(origin, "expected a mapping with url, username, password, clientOnly");
  for (const MappingEntry& entry : mappingEntries(node, origin)) {
    InputValue field = InputValue::fromYaml(entry.value, origin.child(entry.key, entry.line));
    if (entry.key == "url") {
      parseValue(field, server.url);
    } else if (entry.key == "username") {
      parseValue(field, server.username);
    } else if (entry.key == "password") {
      parseValue(field, server.password);
    } else if (entry.key == "clientOnly") {
      parseValue(field, server.clientOnly);
    } else {
      failUnknownKey(field.origin, didYouMean(entry.key, kFields));
    }
  }
  return server;
}

}  // namespace

void parseValue(const InputValue& in, std::vector<IceServer>& out) {
  if (!in.node) fail(in.origin, "must be empty (to clear the list) or given as _<index>_<FIELD> variables");
  std::vector<IceServer> servers;
  const YAML::Node& node = *in.node;
  if (!node.IsNull()) {
    if (!node.IsSequence()) fail(in.origin, "expected a list of {url, username, password, clientOnly}");
    for (const YAML::Node& item : node) {
      servers.push_back(parseIceServer(item, in.origin.item(servers.size(), lineOf(item))));
    }
  }
  out = std::move(servers);
}

}  // namespace sluice::config
