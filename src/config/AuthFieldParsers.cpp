// Readers of the authentication keys: authInternalUsers, authHTTPExclude and the deprecated
// per-path credentials.
#include <fmt/format.h>

#include "config/AuthFieldChecks.h"
#include "config/AuthFormats.h"
#include "config/FieldParsers.h"
#include "config/KeySuggestion.h"
#include "config/PathPattern.h"
#include "config/YamlMapping.h"

namespace sluice::config {
namespace {

constexpr std::string_view kIndexedOnly =
    "must be empty (to clear the list) or given as _<index>_<FIELD> variables";

// The items of a YAML list of mappings; a null value is an empty list.
template <class Item>
std::vector<Item> parseMappingList(const InputValue& in, std::string_view expected,
                                   Item (*parseItem)(const YAML::Node&, const Origin&)) {
  if (!in.node) fail(in.origin, kIndexedOnly);
  std::vector<Item> items;
  const YAML::Node& node = *in.node;
  if (node.IsNull()) return items;
  if (!node.IsSequence()) fail(in.origin, fmt::format("expected a list of {}", expected));
  for (const YAML::Node& item : node) {
    items.push_back(parseItem(item, in.origin.item(items.size(), lineOf(item))));
  }
  return items;
}

void checkPermissionPath(const std::string& path, const Origin& origin) {
  if (path.empty() || path.front() != '~') return;
  // MediaMTX skips a permission whose regex does not compile; an error here is kinder.
  std::string error;
  if (!PathPattern::compile(std::string_view(path).substr(1), error)) {
    fail(origin, fmt::format("invalid regular expression '{}': {}", path.substr(1), error));
  }
}

AuthPermission parsePermission(const YAML::Node& node, const Origin& origin) {
  static const std::vector<std::string_view> kFields = {"action", "path"};
  if (!node.IsMap()) fail(origin, "expected a mapping with action and path");
  AuthPermission permission;
  Origin actionOrigin = origin;
  for (const MappingEntry& entry : mappingEntries(node, origin)) {
    InputValue field = InputValue::fromYaml(entry.value, origin.child(entry.key, entry.line));
    if (entry.key == "action") {
      parseValue(field, permission.action);
      actionOrigin = field.origin;
    } else if (entry.key == "path") {
      parseValue(field, permission.path);
      checkPermissionPath(permission.path, field.origin);
    } else {
      failUnknownKey(field.origin, didYouMean(entry.key, kFields));
    }
  }
  if (!isAuthAction(permission.action)) {
    fail(actionOrigin,
         fmt::format("invalid action '{}' (expected publish, read, playback, api, metrics, pprof)",
                     permission.action));
  }
  return permission;
}

AuthInternalUser parseUser(const YAML::Node& node, const Origin& origin) {
  static const std::vector<std::string_view> kFields = {"user", "pass", "ips", "permissions"};
  AuthInternalUser user;
  if (!node.IsNull() && !node.IsMap()) fail(origin, "expected a mapping with user, pass, ips, permissions");
  Origin userOrigin = origin, passOrigin = origin;
  if (node.IsMap()) {
    for (const MappingEntry& entry : mappingEntries(node, origin)) {
      InputValue field = InputValue::fromYaml(entry.value, origin.child(entry.key, entry.line));
      if (entry.key == "user") {
        parseValue(field, user.user);
        userOrigin = field.origin;
      } else if (entry.key == "pass") {
        parseValue(field, user.pass);
        passOrigin = field.origin;
      } else if (entry.key == "ips") {
        parseValue(field, user.ips);
        requireIpNetworks(field.origin, user.ips);
      } else if (entry.key == "permissions") {
        parseValue(field, user.permissions);
      } else {
        failUnknownKey(field.origin, didYouMean(entry.key, kFields));
      }
    }
  }
  if (user.user.empty()) fail(userOrigin, "empty usernames are not supported");
  requireCredential(userOrigin, user.user);
  requireCredential(passOrigin, user.pass);
  if (user.user == "any" && !user.pass.empty()) {
    fail(passOrigin,
         "using a password with user 'any' is not supported ('any' means anyone, without "
         "credentials)");
  }
  return user;
}

}  // namespace

void parseValue(const InputValue& in, std::vector<AuthInternalUser>& out) {
  out = parseMappingList<AuthInternalUser>(in, "{user, pass, ips, permissions}", parseUser);
}

void parseValue(const InputValue& in, std::vector<AuthPermission>& out) {
  out = parseMappingList<AuthPermission>(in, "{action, path}", parsePermission);
}

void parseValue(const InputValue& in, std::optional<std::string>& out) {
  if (std::optional<std::string> text = scalarText(in)) out = std::move(*text);
}

void parseValue(const InputValue& in, std::optional<std::vector<std::string>>& out) {
  if (in.node && in.node->IsNull()) return;
  out = listItems(in);
}

}  // namespace sluice::config
