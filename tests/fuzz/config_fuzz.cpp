// module: config
// Feeds arbitrary text to loadConfigText: whatever the YAML, loading must end in a config or an
// error, never a crash, a hang or an uncaught exception (yaml-cpp's included).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/Config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sluice::config::ConfigResult result = sluice::config::loadConfigText(text, "fuzz.yml");
  if (result.config.has_value() == !result.error.empty()) __builtin_trap();  // exactly one of the two
  if (result.config) {
    std::vector<std::string> groups;
    for (std::string_view name : {"cam1", "cam01/sub", "all", "x"}) {
      sluice::config::findPath(*result.config, name, &groups);
    }
  }
  return 0;
}
