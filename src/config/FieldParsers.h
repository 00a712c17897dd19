#pragma once
// Reads an InputValue into a typed configuration field. Each overload leaves the field as it was
// for a YAML null (MediaMTX semantics) and throws ConfigError naming the origin on a bad value.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"
#include "config/InputValue.h"

namespace sluice::config {

void parseValue(const InputValue& in, bool& out);
void parseValue(const InputValue& in, int& out);
void parseValue(const InputValue& in, std::string& out);
// Negative durations are rejected; sub-millisecond remainders round up so that a non-zero
// duration never becomes zero.
void parseValue(const InputValue& in, std::chrono::milliseconds& out);
void parseValue(const InputValue& in, std::vector<std::string>& out);
void parseValue(const InputValue& in, log::Level& out);
void parseValue(const InputValue& in, RtspTransport& out);
void parseValue(const InputValue& in, RtspEncryption& out);
// A list of {url, username, password, clientOnly} mappings.
void parseValue(const InputValue& in, std::vector<IceServer>& out);

// Defined in AuthFieldParsers.cpp. A list of {user, pass, ips, permissions} mappings, each checked
// as MediaMTX does (non-empty user, no pass for 'any', valid credentials, IP networks, actions).
void parseValue(const InputValue& in, std::vector<AuthInternalUser>& out);
// A list of {action, path} mappings.
void parseValue(const InputValue& in, std::vector<AuthPermission>& out);
// For keys whose absence matters (the deprecated per-path credentials): a YAML null leaves the
// value unset, anything else sets it.
void parseValue(const InputValue& in, std::optional<std::string>& out);
void parseValue(const InputValue& in, std::optional<std::vector<std::string>>& out);

}  // namespace sluice::config
