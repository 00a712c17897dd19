// module: core
// Hook command lines from the configuration: splitCommandLine either refuses the line with a
// reason or returns words, and expanding variables in them never reads outside the word.
// Input: the command line; variables are looked up in a fixed table.
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/CommandLine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto words = sluice::core::splitCommandLine(line, error);
  if (words.has_value() == !error.empty()) std::abort();  // exactly one of the two
  if (!words) return 0;
  size_t total = 0;
  for (const std::string& w : *words) {
    total += w.size();
    std::string expanded =
        sluice::core::expandVariables(w, [](std::string_view name) -> std::optional<std::string> {
          if (name == "MTX_PATH") return std::string("cam1");
          if (name == "G1") return std::string();
          return std::nullopt;
        });
    if (expanded.size() > w.size() * 4 + 4) std::abort();  // "$MTX_PATH" grows at most to "cam1"
  }
  if (total > size) std::abort();  // quotes and escapes only ever remove characters
  return 0;
}
