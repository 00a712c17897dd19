#pragma once
// Walks a YAML mapping the way MediaMTX's loader sees it, with line numbers for messages.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config/InputValue.h"

namespace sluice::config {

struct MappingEntry {
  std::string key;
  YAML::Node value;
  int line = 0;  // line of the key
};

// The entries of mapping `node` (described by `origin`) in document order. YAML 1.1 merge keys
// ("<<: *defaults"), which MediaMTX's YAML parser honours, are expanded: the mapping's own keys win
// over merged ones, and earlier merged mappings over later ones. Throws ConfigError on a key that
// is not a plain value and on a key given twice, which MediaMTX also rejects.
std::vector<MappingEntry> mappingEntries(const YAML::Node& node, const Origin& origin);

}  // namespace sluice::config
