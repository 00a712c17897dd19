// The SHA1_* functions are deprecated in OpenSSL 3.0 but remain the only allocation-free
// way to reuse a keyed HMAC state there (see SrtpHmacSha1 in the header).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "webrtc/SrtpCrypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>
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

struct SrtpCipherContext::State {
  EVP_CIPHER_CTX* ecb = nullptr;  // owned: AES-128-ECB with the key, no padding (AES-CM: EVP's CTR)
  GCM128_CONTEXT* gcm = nullptr;  // owned, GCM only: holds H and points back at this State
  ~State() {
    if (gcm) CRYPTO_gcm128_release(gcm);  // cleanses it
    EVP_CIPHER_CTX_free(ecb);
  }

  bool init(const uint8_t key[16]) {
    if (!ecb) ecb = EVP_CIPHER_CTX_new();
    return ecb && EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), nullptr, key, nullptr) == 1 &&
           EVP_CIPHER_CTX_set_padding(ecb, 0) == 1;
  }

  // Counter-mode keystream XORed from `in` to `out` (may be the same): `blocks` full blocks
  // from counter block `ivec`, its last 32 bits big-endian incremented per block.
  void ctrBlocks(const uint8_t* in, uint8_t* out, size_t blocks, const uint8_t ivec[16]) const {
    constexpr size_t kChunk = 32;  // blocks per ECB call: 512 bytes of keystream on the stack
    alignas(16) uint8_t stream[kChunk * 16];
    uint32_t counter =
        (uint32_t{ivec[12]} << 24) | (uint32_t{ivec[13]} << 16) | (uint32_t{ivec[14]} << 8) | ivec[15];
    while (blocks > 0) {
      const size_t n = blocks < kChunk ? blocks : kChunk;
      for (size_t i = 0; i < n; ++i) {
        uint8_t* b = stream + 16 * i;
        std::memcpy(b, ivec, 12);
        const uint32_t c = counter + static_cast<uint32_t>(i);
        b[12] = static_cast<uint8_t>(c >> 24);
        b[13] = static_cast<uint8_t>(c >> 16);
        b[14] = static_cast<uint8_t>(c >> 8);
        b[15] = static_cast<uint8_t>(c);
      }
      int written = 0;
      EVP_EncryptUpdate(ecb, stream, &written, stream, static_cast<int>(n * 16));  // cannot fail for ECB
      for (size_t i = 0; i < n * 2; ++i) {  // 8 bytes at a time: -O2 does not vectorize a byte loop
        uint64_t x, k;
        std::memcpy(&x, in + 8 * i, 8);
        std::memcpy(&k, stream + 8 * i, 8);
        x ^= k;
        std::memcpy(out + 8 * i, &x, 8);
      }
      in += n * 16;
      out += n * 16;
      counter += static_cast<uint32_t>(n);
      blocks -= n;
    }
  }

  // GCM128's callbacks; `key` is the State.
  static void block(const unsigned char in[16], unsigned char out[16], const void* key) {
    int written = 0;
    EVP_EncryptUpdate(static_cast<const State*>(key)->ecb, out, &written, in, 16);
  }
  static void ctr32(const unsigned char* in, unsigned char* out, size_t blocks, const void* key,
                    const unsigned char ivec[16]) {
    static_cast<const State*>(key)->ctrBlocks(in, out, blocks, ivec);
  }

  bool startGcm(const uint8_t iv[12], const uint8_t* aad1, size_t aad1Length, const uint8_t* aad2,
                size_t aad2Length) {
    if (!gcm) return false;
    CRYPTO_gcm128_setiv(gcm, iv, 12);
    return (aad1Length == 0 || CRYPTO_gcm128_aad(gcm, aad1, aad1Length) == 0) &&
           (aad2Length == 0 || CRYPTO_gcm128_aad(gcm, aad2, aad2Length) == 0);
  }
};

SrtpCipherContext::SrtpCipherContext() = default;
SrtpCipherContext::~SrtpCipherContext() = default;
SrtpCipherContext::SrtpCipherContext(SrtpCipherContext&& other) noexcept = default;
SrtpCipherContext& SrtpCipherContext::operator=(SrtpCipherContext&& other) noexcept = default;

bool SrtpCipherContext::initAes128Ctr(const uint8_t key[16]) {
  // AES-CM keeps EVP's own counter mode: its fused AES-NI keystream beats the one made here
  // from ECB by more than the per-packet IV set costs (measured with sluice-limit).
  state_ = std::make_unique<State>();  // key setup: control plane
  state_->ecb = EVP_CIPHER_CTX_new();
  return state_->ecb && EVP_EncryptInit_ex(state_->ecb, EVP_aes_128_ctr(), nullptr, key, nullptr) == 1;
}

bool SrtpCipherContext::initAes128Gcm(const uint8_t key[16]) {
  if (state_ && state_->gcm) {
    // Rekeyed in place: the contexts made earlier keep their memory (SrtpSession::reserve).
    if (EVP_EncryptInit_ex(state_->ecb, nullptr, nullptr, key, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(state_->ecb, 0) != 1) {
      return false;
    }
    CRYPTO_gcm128_init(state_->gcm, state_.get(), &State::block);  // H from the new key
    return true;
  }
  state_ = std::make_unique<State>();
  if (!state_->init(key)) return false;
  state_->gcm = CRYPTO_gcm128_new(state_.get(), &State::block);  // computes H with the key
  return state_->gcm != nullptr;
}

bool SrtpCipherContext::applyCtr(const uint8_t iv[16], uint8_t* data, size_t length) {
  if (!state_ || !state_->ecb || state_->gcm || length > INT_MAX) return false;
  if (length == 0) return true;
  int written = 0;
  return EVP_EncryptInit_ex(state_->ecb, nullptr, nullptr, nullptr, iv) == 1 &&
         EVP_EncryptUpdate(state_->ecb, data, &written, data, static_cast<int>(length)) == 1 &&
         static_cast<size_t>(written) == length;
}

bool SrtpCipherContext::gcmSeal(const uint8_t iv[12], const uint8_t* aad1, size_t aad1Length,
                                const uint8_t* aad2, size_t aad2Length, const uint8_t* in, uint8_t* out,
                                size_t length, uint8_t tag[16]) {
  if (!state_ || !state_->startGcm(iv, aad1, aad1Length, aad2, aad2Length)) return false;
  if (length > 0 && CRYPTO_gcm128_encrypt_ctr32(state_->gcm, in, out, length, &State::ctr32) != 0)
    return false;
  CRYPTO_gcm128_tag(state_->gcm, tag, 16);
  return true;
}

bool SrtpCipherContext::gcmOpen(const uint8_t iv[12], const uint8_t* aad1, size_t aad1Length,
                                const uint8_t* aad2, size_t aad2Length, uint8_t* data, size_t length,
                                const uint8_t tag[16]) {
  if (!state_ || !state_->startGcm(iv, aad1, aad1Length, aad2, aad2Length)) return false;
  if (length > 0 && CRYPTO_gcm128_decrypt_ctr32(state_->gcm, data, data, length, &State::ctr32) != 0)
    return false;
  return CRYPTO_gcm128_finish(state_->gcm, tag, 16) == 0;  // constant-time comparison
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
