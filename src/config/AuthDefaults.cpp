// MediaMTX's authentication defaults (conf.go setDefaults, COMPAT §1.5).
#include "config/Config.h"

namespace sluice::config {

std::vector<AuthInternalUser> defaultAuthInternalUsers() {
  return {
      {"any", "", {}, {{"publish", ""}, {"read", ""}, {"playback", ""}}},
      {"any", "", {"127.0.0.1", "::1"}, {{"api", ""}, {"metrics", ""}, {"pprof", ""}}},
  };
}

std::vector<AuthPermission> defaultAuthHttpExclude() { return {{"api", ""}, {"metrics", ""}, {"pprof", ""}}; }

}  // namespace sluice::config
