#pragma once
// Bounds on what a configuration document may cost to read. YAML aliases ('*name') and merge keys
// ('<<') let a file of a few hundred bytes describe billions of values, and yaml-cpp builds a tree
// of several hundred bytes per value: every document is measured by a streaming pass that keeps no
// tree, and rejected with a message naming the limit before anything large is built or walked.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::config {

// yaml-cpp scans 3 to 10 MiB/s and spends about 0.7 us per value; a document is scanned twice (the
// limits below, then the tree). So a file is bounded in bytes, lines and values: any file is read
// or rejected in under 100 ms of CPU (the slowest found: 5,000 paths with URLs, then one bad key,
// about 90 ms; a list of 30,000 items, then an unknown key, about 75 ms). MediaMTX's full sample file is
// about 30 KiB and 1,000 lines; 3,000 paths with camera URLs take about 200 KiB and 6,000 lines.
inline constexpr size_t kMaxConfigFileBytes = size_t{256} * 1024;
inline constexpr size_t kMaxConfigFileLines = 10000;
// Values (scalars, lists, mappings, keys included) in a document once every alias and merge is
// expanded: what reading it costs. 5,000 paths with up to four keys each fit.
inline constexpr size_t kMaxYamlValues = 30000;
// Nesting of lists and mappings (MediaMTX's deepest key, authInternalUsers[].permissions[].path,
// is 5 levels deep).
inline constexpr size_t kMaxYamlDepth = 32;
// One scalar (key or value).
inline constexpr size_t kMaxYamlScalarBytes = size_t{64} * 1024;
// One line: room for the longest scalar with its key, indentation and quotes.
inline constexpr size_t kMaxYamlLineBytes = kMaxYamlScalarBytes + 1024;
// Paths in 'paths' (and created by MTX_PATHS_* variables).
inline constexpr size_t kMaxPaths = 5000;

// Where a document comes from: a file (or any text from outside) is bounded in lines too; the
// API's documents are written by Sluice itself, one key per line, from a body already bounded by the
// API's request limit.
enum class YamlSource { File, Api };

// Parses the first document of `text` after checking it against the limits above (the file size
// excepted: see loadConfigFile). Throws ConfigError "<fileName>:<line>: <what> (limit ...)" on a
// limit, YAML::Exception on a syntax error, like YAML::Load.
YAML::Node loadBoundedYaml(std::string_view text, std::string_view fileName,
                           YamlSource source = YamlSource::File);

}  // namespace sluice::config
