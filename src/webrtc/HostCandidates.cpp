#include "webrtc/HostCandidates.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>

#include <algorithm>

namespace sluice::webrtc {

std::vector<std::string> gatherHostCandidates(const HostCandidateOptions& o,
                                              std::vector<std::string>& warnings) {
  std::vector<std::string> out;
  auto add = [&](const std::string& ip) {
    if (std::find(out.begin(), out.end(), ip) == out.end()) out.push_back(ip);
  };
  bool wildcard = o.listenHost.empty() || o.listenHost == "0.0.0.0" || o.listenHost == "::";
  if (!wildcard) {
    add(o.listenHost);
  } else if (o.ipsFromInterfaces) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
      for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || i->ifa_addr->sa_family != AF_INET) continue;
        if (!o.interfaceAllowList.empty() &&
            std::find(o.interfaceAllowList.begin(), o.interfaceAllowList.end(), i->ifa_name) ==
                o.interfaceAllowList.end()) {
          continue;
        }
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof(buf));
        add(buf);
      }
      freeifaddrs(list);
    }
  }
  for (const std::string& h : o.additionalHosts) {
    in_addr a4;
    in6_addr a6;
    if (inet_pton(AF_INET, h.c_str(), &a4) == 1 || inet_pton(AF_INET6, h.c_str(), &a6) == 1) {
      add(h);
      continue;
    }
    addrinfo hints{};
    hints.ai_family = AF_INET;
    addrinfo* res = nullptr;
    if (getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || !res) {
      warnings.push_back("webrtcAdditionalHosts: unable to resolve '" + h + "', skipped");
      continue;
    }
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof(buf));
    add(buf);
    freeaddrinfo(res);
  }
  return out;
}

}  // namespace sluice::webrtc
