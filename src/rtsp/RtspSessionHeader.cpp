#include "rtsp/RtspSessionHeader.h"

#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {
constexpr size_t kMaxSessionIdLength = 256;

std::optional<RtspSessionHeader> failWith(std::string* error, const char* message) {
  if (error) *error = message;
  return std::nullopt;
}
}  // namespace

std::optional<RtspSessionHeader> parseRtspSession(std::string_view header, std::string* error) {
  size_t semi = header.find(';');
  std::string_view id = trim(header.substr(0, semi));
  if (id.empty()) return failWith(error, "empty Session header");
  if (id.size() > kMaxSessionIdLength) return failWith(error, "Session id too long");
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f) return failWith(error, "invalid character in Session id");
  }
  RtspSessionHeader out;
  out.id.assign(id);
  while (semi != std::string_view::npos) {
    header.remove_prefix(semi + 1);
    semi = header.find(';');
    std::string_view param = trim(header.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (iequals(trim(param.substr(0, eq)), "timeout")) {
      out.timeoutSeconds = parseDecimal<uint32_t>(trim(param.substr(eq + 1)));
      if (!out.timeoutSeconds) return failWith(error, "invalid Session timeout");
    }
  }
  return out;
}

}  // namespace sluice::rtsp
