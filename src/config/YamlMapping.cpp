#include "config/YamlMapping.h"

#include <fmt/format.h>

#include <unordered_map>

namespace sluice::config {
namespace {

// The total work of merges is bounded before any walk (loadBoundedYaml counts every value with
// aliases expanded); this bounds the recursion of merges within merges.
constexpr int kMaxMergeDepth = 16;

class MappingWalker {
 public:
  explicit MappingWalker(const Origin& origin) : origin_(origin) {}

  std::vector<MappingEntry> walk(const YAML::Node& node) {
    collect(node, 0, /*explicitKeys=*/true);
    return std::move(entries_);
  }

 private:
  void collect(const YAML::Node& node, int depth, bool explicitKeys) {
    std::vector<YAML::Node> merges;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node keyNode = it->first;  // by value: `it->` yields a temporary proxy
      const YAML::Node value = it->second;
      const int line = lineOf(keyNode);
      if (!keyNode.IsScalar()) {
        if (!keyNode.IsNull()) fail(at(line), "a key must be a plain value, not a list or a mapping");
      }
      std::string key = keyNode.IsScalar() ? keyNode.Scalar() : std::string();
      if (key == "<<" && keyNode.Tag() != "!") {  // a quoted "<<" is an ordinary key
        merges.push_back(value);
        continue;
      }
      add(std::move(key), value, line, explicitKeys);
    }
    for (const YAML::Node& merge : merges) expandMerge(merge, depth + 1);
  }

  void expandMerge(const YAML::Node& merge, int depth) {
    if (depth > kMaxMergeDepth) fail(at(lineOf(merge)), "merge keys ('<<') are nested too deeply");
    if (merge.IsMap()) {
      collect(merge, depth, /*explicitKeys=*/false);
    } else if (merge.IsSequence()) {
      for (const YAML::Node& item : merge) {
        if (!item.IsMap()) fail(at(lineOf(item)), "a merge key ('<<') must refer to mappings");
        collect(item, depth, /*explicitKeys=*/false);
      }
    } else if (!merge.IsNull()) {
      fail(at(lineOf(merge)), "a merge key ('<<') must refer to a mapping");
    }
  }

  void add(std::string key, const YAML::Node& value, int line, bool explicitKey) {
    auto found = firstLine_.find(key);
    if (found != firstLine_.end()) {
      if (explicitKey) {
        fail(at(line), fmt::format("key '{}' is given twice (first at line {})", key, found->second));
      }
      return;  // merged keys never override
    }
    firstLine_.emplace(key, line);
    entries_.push_back({std::move(key), value, line});
  }

  Origin at(int line) const {
    Origin out = origin_;
    out.line = line;
    return out;
  }

  const Origin& origin_;
  std::vector<MappingEntry> entries_;
  std::unordered_map<std::string, int> firstLine_;
};

}  // namespace

std::vector<MappingEntry> mappingEntries(const YAML::Node& node, const Origin& origin) {
  return MappingWalker(origin).walk(node);
}

}  // namespace sluice::config
