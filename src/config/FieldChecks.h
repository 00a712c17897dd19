#pragma once
// Per-key value rules, checked where the value is read so that the error names its origin.
#include <chrono>
#include <string>
#include <vector>

#include "config/InputValue.h"

namespace sluice::config {

void requirePositiveDuration(const Origin& origin, const std::chrono::milliseconds& value);
void requireNonNegative(const Origin& origin, const int& value);
void requirePowerOfTwo(const Origin& origin, const int& value);
void requireUdpPayloadLimit(const Origin& origin, const int& value);       // <= 1472
void requireStreamHistoryPackets(const Origin& origin, const int& value);  // power of two in [256, 65536]
void requireLogDestinations(const Origin& origin, const std::vector<std::string>& value);

}  // namespace sluice::config
