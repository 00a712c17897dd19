// module: http
// Feeds arbitrary trusted-proxy lists and X-Forwarded-For / X-Real-Ip values through
// TrustedProxies and forwardedClientIp. Input: "<trusted, comma separated>\n<real ip>\n<xff>\n<xff>...".
// Whatever comes out must be a bare canonical address.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/TrustedProxies.h"

using namespace sluice::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  while (true) {
    size_t nl = input.find('\n');
    lines.push_back(input.substr(0, nl));
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
  std::vector<std::string> entries;
  std::string_view list = lines[0];
  while (!list.empty()) {
    size_t comma = list.find(',');
    entries.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  std::string error;
  std::optional<TrustedProxies> trusted = TrustedProxies::parse(entries, error);
  if (!trusted) {
    if (error.empty()) std::abort();
    trusted = TrustedProxies();
  }
  const std::string_view realIp = lines.size() > 1 ? lines[1] : std::string_view();
  std::vector<std::string_view> forwarded;
  for (size_t i = 2; i < lines.size(); ++i) forwarded.push_back(lines[i]);
  std::optional<std::string> ip = forwardedClientIp(forwarded, realIp, *trusted);
  if (ip && canonicalIp(*ip) != *ip) std::abort();
  if (ip) (void)trusted->contains(*ip);
  return 0;
}
