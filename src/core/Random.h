#pragma once
// Random identifiers for control-plane use (ICE credentials, SSRCs, UUIDs).
#include <cstdint>
#include <string>

namespace sluice::core {

uint32_t random32();
// [a-zA-Z0-9] characters, from a CSPRNG-seeded generator.
std::string randomAlnum(size_t length);
// RFC 4122 version-4 UUID text, lowercase.
std::string randomUuid();

}  // namespace sluice::core
