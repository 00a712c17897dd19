// The SHA1_* functions are deprecated in OpenSSL 3.0 but remain the only allocation-free
// way to reuse a keyed HMAC state there (see SrtpHmacSha1 in the header).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "webrtc/SrtpCrypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <climits>
#include <cstring>

namespace sluice::webrtc {

namespace {
constexpr size_t kShaBlockSize = 64;
}  // namespace

void SrtpHmacSha1::setKey(const uint8_t* key, size_t length) {
  uint8_t block[kShaBlockSize] = {};
  if (length > kShaBlockSize) {
    SHA1(key, length, block);
  } else if (length > 0) {
    std::memcpy(block, key, length);
  }
  uint8_t pad[kShaBlockSize];
  for (size_t i = 0; i < kShaBlockSize; ++i) pad[i] = block[i] ^ 0x36;
  SHA1_Init(&inner_);
  SHA1_Update(&inner_, pad, sizeof(pad));
  for (size_t i = 0; i < kShaBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
  SHA1_Init(&outer_);
  SHA1_Update(&outer_, pad, sizeof(pad));
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
}

void SrtpHmacSha1::compute(const uint8_t* first, size_t firstLength, const uint8_t* second,
                           size_t secondLength, uint8_t out[kDigestSize]) const {
  SHA_CTX ctx = inner_;
  if (firstLength > 0) SHA1_Update(&ctx, first, firstLength);
  if (secondLength > 0) SHA1_Update(&ctx, second, secondLength);
  uint8_t innerDigest[kDigestSize];
  SHA1_Final(innerDigest, &ctx);
  ctx = outer_;
  SHA1_Update(&ctx, innerDigest, sizeof(innerDigest));
  SHA1_Final(out, &ctx);
}

SrtpCipherContext::~SrtpCipherContext() { EVP_CIPHER_CTX_free(ctx_); }

SrtpCipherContext& SrtpCipherContext::operator=(SrtpCipherContext&& other) noexcept {
  if (this != &other) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

bool SrtpCipherContext::initAes128Ctr(const uint8_t key[16]) {
  if (!ctx_) ctx_ = EVP_CIPHER_CTX_new();
  return ctx_ && EVP_EncryptInit_ex(ctx_, EVP_aes_128_ctr(), nullptr, key, nullptr) == 1;
}

bool SrtpCipherContext::initAes128Gcm(const uint8_t key[16]) {
  if (!ctx_) ctx_ = EVP_CIPHER_CTX_new();
  // The 12-byte IV is GCM's default length, so no EVP_CTRL_GCM_SET_IVLEN is needed.
  return ctx_ && EVP_CipherInit_ex(ctx_, EVP_aes_128_gcm(), nullptr, key, nullptr, 1) == 1;
}

bool SrtpCipherContext::applyCtr(const uint8_t iv[16], uint8_t* data, size_t length) {
  if (!ctx_ || length > INT_MAX) return false;
  if (length == 0) return true;
  if (EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, iv) != 1) return false;
  int written = 0;
  return EVP_EncryptUpdate(ctx_, data, &written, data, static_cast<int>(length)) == 1 &&
         static_cast<size_t>(written) == length;
}

bool srtpDeriveKey(const uint8_t masterKey[16], const uint8_t* masterSalt, size_t masterSaltLength,
                   SrtpKeyLabel label, uint8_t* out, size_t outLength) {
  if (masterSaltLength > 14) return false;
  // key_id = label || r with r = 0 (rate 0) sits in the low 56 bits of the 112-bit salt
  // field, so the label lands on byte 7.
  uint8_t iv[16] = {};
  std::memcpy(iv, masterSalt, masterSaltLength);
  iv[7] ^= static_cast<uint8_t>(label);
  std::memset(out, 0, outLength);
  SrtpCipherContext prf;
  bool ok = prf.initAes128Ctr(masterKey) && prf.applyCtr(iv, out, outLength);
  if (!ok) OPENSSL_cleanse(out, outLength);
  return ok;
}

bool srtpDeriveSessionKeys(SrtpProfile profile, const uint8_t* masterKey, const uint8_t* masterSalt,
                           bool rtcp, SrtpSessionKeys& out, std::string& error) {
  if (!masterKey || !masterSalt) {
    error = "SRTP master key or salt missing";
    return false;
  }
  const size_t saltLength = srtpSaltLength(profile);
  const SrtpKeyLabel cipherLabel = rtcp ? SrtpKeyLabel::RtcpCipher : SrtpKeyLabel::RtpCipher;
  const SrtpKeyLabel authLabel = rtcp ? SrtpKeyLabel::RtcpAuth : SrtpKeyLabel::RtpAuth;
  const SrtpKeyLabel saltLabel = rtcp ? SrtpKeyLabel::RtcpSalt : SrtpKeyLabel::RtpSalt;
  out = SrtpSessionKeys{};
  bool ok =
      srtpDeriveKey(masterKey, masterSalt, saltLength, cipherLabel, out.cipherKey, sizeof(out.cipherKey)) &&
      srtpDeriveKey(masterKey, masterSalt, saltLength, saltLabel, out.salt, saltLength);
  if (ok && profile == SrtpProfile::AesCm128HmacSha1_80) {
    ok = srtpDeriveKey(masterKey, masterSalt, saltLength, authLabel, out.authKey, sizeof(out.authKey));
  }
  if (!ok) {
    error = "SRTP key derivation failed (OpenSSL AES-CTR)";
    OPENSSL_cleanse(&out, sizeof(out));
  }
  return ok;
}

void srtpAesCmIv(const uint8_t salt[14], uint32_t ssrc, uint64_t index, uint8_t iv[16]) {
  std::memcpy(iv, salt, 14);
  iv[14] = 0;
  iv[15] = 0;
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
}

}  // namespace sluice::webrtc
