#pragma once
// MediaMTX's configuration keys that Sluice does not implement yet. A MediaMTX file using them
// still loads: each is reported once and ignored.
#include <string_view>
#include <vector>

namespace sluice::config {

struct UnsupportedKey {
  std::string_view key;
  // For a deprecated MediaMTX name, the key that replaced it.
  std::string_view replacement = {};
};

// Top-level keys.
const std::vector<UnsupportedKey>& unsupportedGlobalKeys();
// Keys of pathDefaults and of each path.
const std::vector<UnsupportedKey>& unsupportedPathKeys();

const UnsupportedKey* findUnsupportedKey(const std::vector<UnsupportedKey>& keys, std::string_view key);

}  // namespace sluice::config
