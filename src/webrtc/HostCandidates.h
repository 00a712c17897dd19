#pragma once
// The server's ICE host candidates, as MediaMTX chooses them: the listening IP if the UDP
// address names one, else the interfaces' IPv4 addresses (webrtcIPsFromInterfaces, with
// an optional interface allow-list), plus webrtcAdditionalHosts (names resolved once).
#include <string>
#include <vector>

namespace sluice::webrtc {

struct HostCandidateOptions {
  std::string listenHost;  // host part of webrtcLocalUDPAddress ("" = all)
  bool ipsFromInterfaces = true;
  std::vector<std::string> interfaceAllowList;
  std::vector<std::string> additionalHosts;
};

// Returns the candidate IPs, deduplicated, in a stable order; warnings name unresolvable hosts.
std::vector<std::string> gatherHostCandidates(const HostCandidateOptions& options,
                                              std::vector<std::string>& warnings);

}  // namespace sluice::webrtc
