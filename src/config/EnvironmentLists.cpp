#include "config/EnvironmentLists.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::config {
namespace {

struct ListSchema;

enum class FieldKind { kScalar, kScalarList, kStructList };

struct FieldSchema {
  std::string_view variable;  // as in the variable name: "PERMISSIONS"
  const char* key;            // as in the file: "permissions"
  FieldKind kind = FieldKind::kScalar;
  const ListSchema* items = nullptr;  // for kStructList
};

struct ListSchema {
  std::string_view itemName;  // for messages, with its article: "a user"
  std::vector<FieldSchema> fields;
};

const ListSchema& permissionSchema() {
  static const ListSchema kSchema{"a permission", {{"ACTION", "action"}, {"PATH", "path"}}};
  return kSchema;
}

const ListSchema& userSchema() {
  static const ListSchema kSchema{
      "a user",
      {{"USER", "user"},
       {"PASS", "pass"},
       {"IPS", "ips", FieldKind::kScalarList},
       {"PERMISSIONS", "permissions", FieldKind::kStructList, &permissionSchema()}}};
  return kSchema;
}

const ListSchema& iceServerSchema() {
  static const ListSchema kSchema{
      "an ICE server",
      {{"URL", "url"}, {"USERNAME", "username"}, {"PASSWORD", "password"}, {"CLIENTONLY", "clientOnly"}}};
  return kSchema;
}

YAML::Node permissionsNode(const std::vector<AuthPermission>& permissions) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const AuthPermission& permission : permissions) {
    YAML::Node item(YAML::NodeType::Map);
    item["action"] = permission.action;
    item["path"] = permission.path;
    list.push_back(item);
  }
  return list;
}

YAML::Node stringsNode(const std::vector<std::string>& strings) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const std::string& s : strings) list.push_back(s);
  return list;
}

YAML::Node currentUsers(const Config& config) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const AuthInternalUser& user : config.authInternalUsers) {
    YAML::Node item(YAML::NodeType::Map);
    item["user"] = user.user;
    item["pass"] = user.pass;
    item["ips"] = stringsNode(user.ips);
    item["permissions"] = permissionsNode(user.permissions);
    list.push_back(item);
  }
  return list;
}

YAML::Node currentHttpExclude(const Config& config) { return permissionsNode(config.authHTTPExclude); }

YAML::Node currentIceServers(const Config& config) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const IceServer& server : config.webrtcICEServers2) {
    YAML::Node item(YAML::NodeType::Map);
    item["url"] = server.url;
    item["username"] = server.username;
    item["password"] = server.password;
    item["clientOnly"] = server.clientOnly ? "true" : "false";
    list.push_back(item);
  }
  return list;
}

struct StructListKey {
  std::string_view key;
  const ListSchema& (*schema)();
  YAML::Node (*current)(const Config&);
};

constexpr StructListKey kStructListKeys[] = {
    {"webrtcICEServers2", iceServerSchema, currentIceServers},
    {"authInternalUsers", userSchema, currentUsers},
    {"authHTTPExclude", permissionSchema, currentHttpExclude},
};

constexpr std::string_view kIndexedOnly =
    "must be empty (to clear the list) or given as _<index>_<FIELD> variables";

Origin originOf(const std::string& variable) {
  Origin origin;
  origin.envVar = variable;
  return origin;
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string expectedFields(const ListSchema& schema) {
  std::string out;
  for (const FieldSchema& field : schema.fields) {
    if (!out.empty()) out += ", ";
    out += field.variable;
    if (field.kind == FieldKind::kStructList) out += "_<index>_<FIELD>";
  }
  return out;
}

class ListApplier {
 public:
  ListApplier(const Environment& environment, ConfigBuilder& builder)
      : environment_(environment), builder_(builder) {}

  // Applies <base>_<i>_... variables to the items of `list`.
  void apply(const std::string& base, YAML::Node& list, const ListSchema& schema) {
    for (size_t index = 0;; ++index) {
      const bool exists = index < list.size();
      YAML::Node item = exists ? list[index] : YAML::Node(YAML::NodeType::Map);
      if (!applyItem(fmt::format("{}_{}_", base, index), item, schema) && !exists) break;
      if (!exists) list.push_back(item);
    }
  }

 private:
  // Sets the fields of `item` from variables <itemPrefix><FIELD>...; false if there is none.
  bool applyItem(const std::string& itemPrefix, YAML::Node& item, const ListSchema& schema) {
    bool any = false;
    for (auto it = environment_.lower_bound(itemPrefix);
         it != environment_.end() && startsWith(it->first, itemPrefix); ++it) {
      any = true;
      std::string_view rest = std::string_view(it->first).substr(itemPrefix.size());
      auto field = std::find_if(schema.fields.begin(), schema.fields.end(), [&](const FieldSchema& f) {
        return rest == f.variable || (f.kind == FieldKind::kStructList && startsWith(rest, f.variable) &&
                                      rest.size() > f.variable.size() && rest[f.variable.size()] == '_');
      });
      if (field == schema.fields.end()) {
        builder_.warn(
            fmt::format("environment variable {} does not name {} field and is ignored (expected {})",
                        it->first, schema.itemName, expectedFields(schema)));
      } else if (field->kind == FieldKind::kScalar) {
        item[field->key] = it->second;
      } else if (field->kind == FieldKind::kScalarList) {
        item[field->key] =
            stringsNode(listItems(InputValue::fromEnvironment(it->second, originOf(it->first))));
      } else if (rest == field->variable) {
        if (!it->second.empty()) fail(originOf(it->first), kIndexedOnly);
        item[field->key] = YAML::Node(YAML::NodeType::Sequence);
      }
    }
    for (const FieldSchema& field : schema.fields) {
      if (field.kind == FieldKind::kStructList)
        applyNested(itemPrefix + std::string(field.variable), item, field);
    }
    return any;
  }

  void applyNested(const std::string& base, YAML::Node& item, const FieldSchema& field) {
    const std::string start = base + "_";
    auto first = environment_.lower_bound(start);
    if (first == environment_.end() || !startsWith(first->first, start)) return;
    YAML::Node existing = item[field.key];
    YAML::Node list =
        existing.IsDefined() && existing.IsSequence() ? existing : YAML::Node(YAML::NodeType::Sequence);
    apply(base, list, *field.items);
    item[field.key] = list;
  }

  const Environment& environment_;
  ConfigBuilder& builder_;
};

}  // namespace

bool isStructListKey(std::string_view key) {
  return std::any_of(std::begin(kStructListKeys), std::end(kStructListKeys),
                     [&](const StructListKey& entry) { return entry.key == key; });
}

void applyStructListVariables(const Environment& environment, const std::string& base, std::string_view key,
                              ConfigBuilder& builder) {
  const StructListKey* entry = std::find_if(std::begin(kStructListKeys), std::end(kStructListKeys),
                                            [&](const StructListKey& e) { return e.key == key; });
  if (entry == std::end(kStructListKeys)) return;
  auto whole = environment.find(base);
  if (whole != environment.end() && !whole->second.empty()) {
    builder.setGlobal(key, InputValue::fromEnvironment(whole->second, originOf(base)));  // throws
  }
  const bool cleared = whole != environment.end();
  YAML::Node list = cleared ? YAML::Node(YAML::NodeType::Sequence) : entry->current(builder.current());
  ListApplier(environment, builder).apply(base, list, entry->schema());
  builder.setGlobal(key, InputValue::fromYaml(list, originOf(base)));
}

}  // namespace sluice::config
