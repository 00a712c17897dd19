// module: core
// What systemd hands the server in its environment: $NOTIFY_SOCKET (path or abstract name)
// and $WATCHDOG_USEC / $WATCHDOG_PID. Besides not crashing: an accepted address fits in
// sockaddr_un with a length that covers exactly the name, and a watchdog period is positive
// only for a well-formed number meant for this process.
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/SystemdNotify.h"

using namespace sluice::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto a = parseNotifySocket(text, error)) {
    const size_t nameBytes = a->length - offsetof(sockaddr_un, sun_path);
    if (a->addr.sun_family != AF_UNIX || nameBytes > sizeof(a->addr.sun_path)) std::abort();
    const bool path = text[0] == '/';
    if (path && (nameBytes != text.size() + 1 || a->addr.sun_path[text.size()] != '\0')) std::abort();
    if (text[0] == '@' && (nameBytes != text.size() || a->addr.sun_path[0] != '\0')) std::abort();
  } else if (error.empty()) {
    std::abort();
  }

  // The same bytes as WATCHDOG_USEC and WATCHDOG_PID, up to the first NUL (as getenv sees them).
  const std::string value = text.substr(0, text.find('\0'));
  auto period = parseWatchdogPeriod(value.c_str(), nullptr, 1234);
  if (period.count() < 0) std::abort();
  if (period.count() > 0 && value.find_first_not_of("0123456789") != std::string::npos) std::abort();
  const bool digits = value.find_first_not_of("0123456789") == std::string::npos;
  if (parseWatchdogPeriod("1000000", value.c_str(), 1234).count() != 0 &&
      (!digits || std::strtoull(value.c_str(), nullptr, 10) != 1234)) {
    std::abort();
  }
  return 0;
}
