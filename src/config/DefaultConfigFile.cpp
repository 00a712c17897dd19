#include <array>
#include <filesystem>
#include <string_view>

#include "config/Config.h"

namespace sluice::config {

std::optional<std::string> findDefaultConfigFile() {
  // MediaMTX's search order, with Sluice's own names first (the .deb installs the second).
  static constexpr std::array<std::string_view, 7> kCandidates = {
      "sluice.yml",
      "/etc/sluice/sluice.yml",
      "rtsp-simple-server.yml",
      "mediamtx.yml",
      "/usr/local/etc/mediamtx.yml",
      "/usr/etc/mediamtx.yml",
      "/etc/mediamtx/mediamtx.yml",
  };
  for (std::string_view candidate : kCandidates) {
    std::error_code error;
    if (std::filesystem::exists(candidate, error)) return std::string(candidate);
  }
  return std::nullopt;
}

}  // namespace sluice::config
