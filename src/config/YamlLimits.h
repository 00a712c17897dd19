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

// The largest configuration file read (MediaMTX's full sample file is about 30 KiB; 10,000 paths
// with camera URLs about 700 KiB). yaml-cpp reads about 5 to 10 MiB/s: this bounds the time spent on
// a file that is merely large to about 0.2 s of CPU.
inline constexpr size_t kMaxConfigFileBytes = 1024 * 1024;
// Values (scalars, lists, mappings, keys included) in a document once every alias and merge is
// expanded: what reading it costs. 10,000 paths with up to four keys each fit.
inline constexpr size_t kMaxYamlValues = 100000;
// Nesting of lists and mappings (MediaMTX's deepest key, authInternalUsers[].permissions[].path,
// is 5 levels deep).
inline constexpr size_t kMaxYamlDepth = 32;
// One scalar (key or value).
inline constexpr size_t kMaxYamlScalarBytes = 64 * 1024;
// Paths in 'paths' (and created by MTX_PATHS_* variables).
inline constexpr size_t kMaxPaths = 10000;

// Parses the first document of `text` after checking it against the limits above (the file size
// excepted: see loadConfigFile). Throws ConfigError "<fileName>:<line>: <what> (limit ...)" on a
// limit, YAML::Exception on a syntax error, like YAML::Load.
YAML::Node loadBoundedYaml(std::string_view text, std::string_view fileName);

}  // namespace sluice::config
