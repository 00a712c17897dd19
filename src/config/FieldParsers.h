#pragma once
// Reads an InputValue into a typed configuration field. Each overload leaves the field as it was
// for a YAML null (MediaMTX semantics) and throws ConfigError naming the origin on a bad value.
#include <chrono>
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
// A list of {url, username, password, clientOnly} mappings.
void parseValue(const InputValue& in, std::vector<IceServer>& out);

}  // namespace sluice::config
