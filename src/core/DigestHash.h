#pragma once
// The hashes of HTTP/RTSP Digest authentication (RFC 2617 MD5, RFC 7616 SHA-256), shared by the
// RTSP client computing its responses (rtsp/RtspDigestAuth) and the server side checking them
// (auth/DigestAuthorization).
#include <optional>
#include <string>
#include <string_view>

namespace sluice::core {

enum class DigestAlgorithm { Md5, Sha256 };

// "MD5"/"" -> Md5, "SHA-256" -> Sha256 (case-insensitive); nullopt for anything else
// (MD5-sess, SHA-512-256...).
std::optional<DigestAlgorithm> digestAlgorithmFromName(std::string_view name);

// Lowercase hex of the hash of `text`.
std::string digestHash(DigestAlgorithm algorithm, std::string_view text);

// The RFC 2617 response without qop: H(H(user:realm:password):nonce:H(method:uri)).
std::string digestResponseWithoutQop(DigestAlgorithm algorithm, std::string_view user, std::string_view realm,
                                     std::string_view password, std::string_view nonce,
                                     std::string_view method, std::string_view uri);

}  // namespace sluice::core
