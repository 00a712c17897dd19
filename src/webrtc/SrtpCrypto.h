#pragma once
// Crypto building blocks of SRTP (RFC 3711, RFC 7714) that are also used by STUN
// MESSAGE-INTEGRITY: HMAC-SHA1 with precomputed key state, an owned EVP cipher context,
// and the AES-CM key derivation function.
#include <openssl/sha.h>
#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "webrtc/SrtpProfile.h"

namespace sluice::webrtc {

// HMAC-SHA1 whose inner and outer pad blocks are hashed once per key. A MAC then costs
// two struct copies plus the data hashing: no allocation, no provider dispatch. (In
// OpenSSL 3.0 both EVP_MAC_init with a NULL key and EVP_MAC_CTX_dup allocate per call
// because they duplicate the provider digest context; the plain SHA_CTX can be copied.)
class SrtpHmacSha1 {
 public:
  static constexpr size_t kDigestSize = 20;

  // Keys longer than one SHA-1 block are hashed first, as RFC 2104 requires.
  void setKey(const uint8_t* key, size_t length);
  // MAC of the concatenation first || second (either may be empty).
  void compute(const uint8_t* first, size_t firstLength, const uint8_t* second, size_t secondLength,
               uint8_t out[kDigestSize]) const;

 private:
  SHA_CTX inner_{};
  SHA_CTX outer_{};
};

// AES-128 keyed once, for SRTP's two modes. AES-CM is EVP's counter mode (only the IV is set
// per packet). AES-GCM is made here from OpenSSL's parts: an ECB context (AES-NI) gives the
// counter-mode keystream and OpenSSL's GCM128 (CLMUL GHASH) the tag, because OpenSSL 3.0's EVP
// GCM looks its parameters up by name on every IV set and every tag read (strcmp and
// OSSL_PARAM_locate: a fifth of the packet's cost). 1200-byte packets: ≈ 0.46 µs instead of
// ≈ 0.54 (sluice-limit, medians of three, same session). No allocation per packet; movable
// (the state lives at a fixed address, which GCM128 keeps).
class SrtpCipherContext {
 public:
  SrtpCipherContext();
  ~SrtpCipherContext();
  SrtpCipherContext(const SrtpCipherContext&) = delete;
  SrtpCipherContext& operator=(const SrtpCipherContext&) = delete;
  SrtpCipherContext(SrtpCipherContext&& other) noexcept;
  SrtpCipherContext& operator=(SrtpCipherContext&& other) noexcept;

  bool initAes128Ctr(const uint8_t key[16]);
  bool initAes128Gcm(const uint8_t key[16]);

  // AES-CTR keystream applied in place, starting from the 16-byte counter block `iv`
  // (initAes128Ctr).
  bool applyCtr(const uint8_t iv[16], uint8_t* data, size_t length);

  // AES-GCM over one packet: the associated data is aad1 || aad2 (SRTCP appends its
  // E || index word); the 16-byte tag is written to / checked against `tag` (initAes128Gcm).
  // gcmSeal encrypts `length` bytes from `in` to `out` (the same pointer: in place; a forwarded
  // packet is encrypted straight from the history into the send buffer); gcmOpen works in place.
  bool gcmSeal(const uint8_t iv[12], const uint8_t* aad1, size_t aad1Length, const uint8_t* aad2,
               size_t aad2Length, const uint8_t* in, uint8_t* out, size_t length, uint8_t tag[16]);
  bool gcmOpen(const uint8_t iv[12], const uint8_t* aad1, size_t aad1Length, const uint8_t* aad2,
               size_t aad2Length, uint8_t* data, size_t length, const uint8_t tag[16]);

 private:
  struct State;                   // the ECB context and GCM128's context (SrtpCrypto.cpp)
  std::unique_ptr<State> state_;  // owned
};

// Session keys for one of SRTP or SRTCP. The salt is 14 bytes for AES-CM and 12 for GCM;
// authKey is only used by the HMAC profile.
struct SrtpSessionKeys {
  uint8_t cipherKey[16]{};
  uint8_t salt[14]{};
  uint8_t authKey[20]{};
};

// RFC 3711 4.3 labels.
enum class SrtpKeyLabel : uint8_t {
  RtpCipher = 0,
  RtpAuth = 1,
  RtpSalt = 2,
  RtcpCipher = 3,
  RtcpAuth = 4,
  RtcpSalt = 5,
};

// AES-CM PRF with key_derivation_rate 0 (what DTLS-SRTP uses): the keystream of
// AES-CTR(masterKey, IV = (label << 48 XOR masterSalt) * 2^16). masterSaltLength is 14
// for AES-CM or 12 for GCM (RFC 7714 11: the 96-bit salt is zero-padded on the right).
bool srtpDeriveKey(const uint8_t masterKey[16], const uint8_t* masterSalt, size_t masterSaltLength,
                   SrtpKeyLabel label, uint8_t* out, size_t outLength);

// Derives cipher key, salt and (for AES-CM) auth key for SRTP or SRTCP.
bool srtpDeriveSessionKeys(SrtpProfile profile, const uint8_t* masterKey, const uint8_t* masterSalt,
                           bool rtcp, SrtpSessionKeys& out, std::string& error);

// RFC 3711 4.1.1 counter block: (salt * 2^16) XOR (ssrc * 2^64) XOR (index * 2^16).
void srtpAesCmIv(const uint8_t salt[14], uint32_t ssrc, uint64_t index, uint8_t iv[16]);

}  // namespace sluice::webrtc
