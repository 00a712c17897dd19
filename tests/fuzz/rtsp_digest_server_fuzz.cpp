// module: auth
// The RTSP server's Digest Authorization parser (auth/DigestAuthorization) on arbitrary headers,
// then the check of what it accepted against a fixed challenge and user: besides not crashing,
// a parsed answer must keep its fields within the header's size, and only the one response the
// password gives may match.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "auth/AuthManager.h"
#include "auth/DigestAuthorization.h"
#include "core/DigestHash.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const bool named = auth::isDigestAuthorization(text);
  std::optional<auth::DigestAuthorization> a = auth::parseDigestAuthorization(text, &error);
  if (!a) {
    if (error.empty()) std::abort();  // every refusal says why
    return 0;
  }
  if (!named) std::abort();  // parsed means it names the Digest scheme
  if (a->username.size() + a->realm.size() + a->nonce.size() + a->uri.size() + a->response.size() > size)
    std::abort();
  const auth::DigestChallenge challenge{"ipcam", "0123456789abcdef0123456789abcdef", "DESCRIBE",
                                        "rtsp://127.0.0.1:8554/cam"};
  const bool matches = auth::digestAnswerMatches(*a, challenge, "viewer", "s3cret");
  const std::string expected = core::digestResponseWithoutQop(
      a->algorithm, "viewer", challenge.realm, "s3cret", challenge.nonce, challenge.method, a->uri);
  if (matches && (a->username != "viewer" || a->nonce != challenge.nonce || a->realm != challenge.realm))
    std::abort();
  if (matches && a->response.size() != expected.size()) std::abort();
  // The same answer through the access decision never allows more than the check above.
  static const auth::AuthManager kManager =
      *auth::AuthManager::create({{"viewer", "s3cret", {}, {{"read", "cam"}}}});
  auth::AuthRequest r;
  r.ip = "10.0.0.1";
  r.path = "cam";
  r.user = a->username;
  r.digest = *a;
  r.digestChallenge = challenge;
  if ((kManager.authenticate(r) == auth::AuthResult::Ok) != matches) std::abort();
  return 0;
}
