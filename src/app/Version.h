#pragma once
// What `sluice --version` prints. Defined in a source file generated on every build by
// cmake/GitVersion.cmake (a tiny translation unit, so a new commit recompiles nothing else).
namespace sluice::app {

extern const char* const kVersion;    // "0.1.0+57.g1a2b3c4", or "0.1.0" outside git
extern const char* const kGitCommit;  // 12 hex digits ("-dirty" if the tree had edits), or "unknown"

}  // namespace sluice::app
