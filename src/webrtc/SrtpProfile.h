#pragma once
// SRTP protection profiles negotiated through DTLS-SRTP (RFC 5764, RFC 7714).
#include <cstddef>

namespace sluice::webrtc {

enum class SrtpProfile {
  AesCm128HmacSha1_80,  // SRTP_AES128_CM_SHA1_80: 16-byte key, 14-byte salt, 10-byte tag
  AeadAes128Gcm,        // SRTP_AEAD_AES_128_GCM: 16-byte key, 12-byte salt, 16-byte tag
};

constexpr size_t srtpKeyLength(SrtpProfile) { return 16; }
constexpr size_t srtpSaltLength(SrtpProfile p) { return p == SrtpProfile::AeadAes128Gcm ? 12 : 14; }
constexpr size_t srtpRtpTagLength(SrtpProfile p) { return p == SrtpProfile::AeadAes128Gcm ? 16 : 10; }

}  // namespace sluice::webrtc
