#pragma once
// Text-to-value conversions shared by the YAML file and the environment.
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/Config.h"

namespace sluice::config {

// YAML 1.1 booleans, any case: yes/no, on/off, true/false.
std::optional<bool> parseBool(std::string_view text);

// A base-10 integer with an optional sign.
std::optional<int64_t> parseInteger(std::string_view text);

// automatic, udp, multicast, tcp (MediaMTX's spelling, case-sensitive).
std::optional<RtspTransport> parseRtspTransport(std::string_view text);
std::string_view rtspTransportName(RtspTransport transport);

// no, optional, strict; as MediaMTX also false (no), true and yes (strict), and YAML's other
// booleans the same way.
std::optional<RtspEncryption> parseRtspEncryption(std::string_view text);
std::string_view rtspEncryptionName(RtspEncryption encryption);

}  // namespace sluice::config
