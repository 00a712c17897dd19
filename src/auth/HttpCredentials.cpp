#include "auth/HttpCredentials.h"

#include <algorithm>

#include "core/AsciiText.h"
#include "core/Base64.h"

namespace sluice::auth {
namespace {

constexpr std::string_view kBasic = "basic ";
constexpr std::string_view kBearer = "Bearer ";

}  // namespace

std::optional<BasicCredentials> parseBasicAuthorization(std::string_view header) {
  header = core::trim(header);
  if (!core::istartsWith(header, kBasic)) return std::nullopt;
  std::optional<std::vector<uint8_t>> decoded = core::base64Decode(header.substr(kBasic.size()));
  if (!decoded) return std::nullopt;
  std::string text(decoded->begin(), decoded->end());
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{text.substr(0, colon), text.substr(colon + 1)};
}

Credentials parseHttpAuthorization(std::string_view header) {
  header = core::trim(header);
  Credentials credentials;
  if (header.substr(0, kBearer.size()) == kBearer) {
    std::string_view value = header.substr(kBearer.size());
    const size_t colon = value.find(':');
    if (colon != std::string_view::npos && value.find(':', colon + 1) == std::string_view::npos) {
      credentials.user = value.substr(0, colon);
      credentials.pass = value.substr(colon + 1);
    } else {
      credentials.token = value;
    }
    return credentials;
  }
  if (std::optional<BasicCredentials> basic = parseBasicAuthorization(header)) {
    credentials.user = std::move(basic->user);
    credentials.pass = std::move(basic->pass);
  }
  return credentials;
}

}  // namespace sluice::auth
