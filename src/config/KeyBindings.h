#pragma once
// The keys Sluice implements: for each, how a value is read into Config or PathConfig.
#include <string_view>
#include <vector>

#include "config/Config.h"
#include "config/FieldParsers.h"
#include "config/InputValue.h"

namespace sluice::config {

template <class Target>
struct KeyBinding {
  std::string_view key;
  void (*assign)(const InputValue& in, Target& target);
  // For a deprecated MediaMTX name, the key that replaced it (the value is applied to that key).
  std::string_view replacement = {};
};

using GlobalKeyBinding = KeyBinding<Config>;
using PathKeyBinding = KeyBinding<PathConfig>;

// Top-level keys (pathDefaults and paths excepted), including deprecated aliases.
const std::vector<GlobalKeyBinding>& globalKeyBindings();
// Keys of pathDefaults and of each path, including deprecated aliases.
const std::vector<PathKeyBinding>& pathKeyBindings();

template <class Binding>
const Binding* findBinding(const std::vector<Binding>& bindings, std::string_view key) {
  for (const Binding& binding : bindings) {
    if (binding.key == key) return &binding;
  }
  return nullptr;
}

template <class T>
struct MemberPointer;
template <class Owner, class Field>
struct MemberPointer<Field Owner::*> {
  using OwnerType = Owner;
};

// Reads into a copy of the field, applies the checks, then stores it: a rejected value never
// reaches the configuration.
template <auto Member, auto... Checks>
void assignField(const InputValue& in, typename MemberPointer<decltype(Member)>::OwnerType& target) {
  auto value = target.*Member;
  parseValue(in, value);
  (Checks(in.origin, value), ...);
  target.*Member = std::move(value);
}

}  // namespace sluice::config
