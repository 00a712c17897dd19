#include "core/DigestHash.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "core/AsciiText.h"

namespace sluice::core {

std::optional<DigestAlgorithm> digestAlgorithmFromName(std::string_view name) {
  if (name.empty() || iequals(name, "MD5")) return DigestAlgorithm::Md5;
  if (iequals(name, "SHA-256")) return DigestAlgorithm::Sha256;
  return std::nullopt;
}

std::string digestHash(DigestAlgorithm algorithm, std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* type = algorithm == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_md5();
  if (EVP_Digest(text.data(), text.size(), md, &len, type, nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size_t{len} * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return out;
}

std::string digestResponseWithoutQop(DigestAlgorithm algorithm, std::string_view user, std::string_view realm,
                                     std::string_view password, std::string_view nonce,
                                     std::string_view method, std::string_view uri) {
  const std::string ha1 = digestHash(algorithm, fmt::format("{}:{}:{}", user, realm, password));
  const std::string ha2 = digestHash(algorithm, fmt::format("{}:{}", method, uri));
  return digestHash(algorithm, fmt::format("{}:{}:{}", ha1, nonce, ha2));
}

}  // namespace sluice::core
