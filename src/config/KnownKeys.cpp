#include "config/KnownKeys.h"

#include <cctype>

#include "config/KeyBindings.h"
#include "config/UnsupportedKeys.h"

namespace sluice::config {
namespace {

template <class Binding>
std::vector<std::string_view> namesOf(const std::vector<Binding>& bindings,
                                      const std::vector<UnsupportedKey>& unsupported) {
  std::vector<std::string_view> names;
  names.reserve(bindings.size() + unsupported.size());
  for (const Binding& binding : bindings) names.push_back(binding.key);
  for (const UnsupportedKey& key : unsupported) names.push_back(key.key);
  return names;
}

}  // namespace

const std::vector<std::string_view>& knownGlobalKeys() {
  static const std::vector<std::string_view> kNames = namesOf(globalKeyBindings(), unsupportedGlobalKeys());
  return kNames;
}

const std::vector<std::string_view>& knownPathKeys() {
  static const std::vector<std::string_view> kNames = namesOf(pathKeyBindings(), unsupportedPathKeys());
  return kNames;
}

std::optional<std::string_view> findKeyByUpperCase(const std::vector<std::string_view>& keys,
                                                   std::string_view upperName) {
  for (std::string_view key : keys) {
    if (key.size() != upperName.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size() && same; ++i) {
      same = std::toupper(static_cast<unsigned char>(key[i])) == static_cast<unsigned char>(upperName[i]);
    }
    if (same) return key;
  }
  return std::nullopt;
}

}  // namespace sluice::config
