#pragma once
// The RTSP Session header (RFC 2326 §12.37): "id[;timeout=seconds]".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::rtsp {

struct RtspSessionHeader {
  std::string id;
  std::optional<uint32_t> timeoutSeconds;
};

// Rejects an empty or over-long (> 256 bytes) id, characters outside visible ASCII, and a
// timeout that is not a plain number.
std::optional<RtspSessionHeader> parseRtspSession(std::string_view header, std::string* error = nullptr);

}  // namespace sluice::rtsp
