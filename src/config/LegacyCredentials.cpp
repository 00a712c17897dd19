#include "config/LegacyCredentials.h"

#include <algorithm>

#include "config/AuthFormats.h"
#include "config/PathName.h"

namespace sluice::config {
namespace {

bool sameNetworks(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const std::string& x, const std::string& y) {
    return canonicalIpNetwork(x) == canonicalIpNetwork(y);
  });
}

// MediaMTX compares the parsed lists, so "127.0.0.1" and "127.0.0.1/32" are the same.
bool isDefaultUsers(const std::vector<AuthInternalUser>& users) {
  const std::vector<AuthInternalUser> defaults = defaultAuthInternalUsers();
  return std::equal(users.begin(), users.end(), defaults.begin(), defaults.end(),
                    [](const AuthInternalUser& a, const AuthInternalUser& b) {
                      return a.user == b.user && a.pass == b.pass && sameNetworks(a.ips, b.ips) &&
                             a.permissions == b.permissions;
                    });
}

AuthInternalUser legacyUser(const std::optional<std::string>& user, const std::optional<std::string>& pass,
                            const std::optional<std::vector<std::string>>& ips, std::string action,
                            const std::string& pathName) {
  AuthInternalUser out;
  out.user = user && !user->empty() ? *user : "any";
  // 'any' ignores the password; dropping it keeps the entry valid.
  if (out.user != "any" && pass) out.pass = *pass;
  // MediaMTX uses 0.0.0.0/0 when no IPs are given, which also shuts out every IPv6 client; an
  // empty list (any address) is what such a file means.
  if (ips) out.ips = *ips;
  out.permissions.push_back({std::move(action), isAllPathsAlias(pathName) ? "~^.*$" : pathName});
  return out;
}

}  // namespace

void convertLegacyCredentials(Config& config, const Origin& where) {
  bool used = config.pathDefaults.legacyCredentials.any();
  for (const PathConfig& path : config.paths) used = used || path.legacyCredentials.any();
  if (!used) return;
  if (!isDefaultUsers(config.authInternalUsers)) {
    fail(
        where,
        "authInternalUsers and legacy credentials (publishUser, publishPass, publishIPs, readUser, readPass, "
        "readIPs) cannot be used together");
  }
  std::vector<AuthInternalUser> users = {
      {"any", "", {}, {{"playback", ""}}},
      {"any", "", {"127.0.0.1", "::1"}, {{"api", ""}, {"metrics", ""}, {"pprof", ""}}},
  };
  for (PathConfig& path : config.paths) {
    const LegacyCredentials& legacy = path.legacyCredentials;
    users.push_back(
        legacyUser(legacy.publishUser, legacy.publishPass, legacy.publishIPs, "publish", path.name));
    users.push_back(legacyUser(legacy.readUser, legacy.readPass, legacy.readIPs, "read", path.name));
    path.legacyCredentials = {};
  }
  config.pathDefaults.legacyCredentials = {};
  config.authInternalUsers = std::move(users);
}

}  // namespace sluice::config
