#include "webrtc/DtlsRecordOpener.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstring>
#include <memory>
#include <vector>

namespace sluice::webrtc {
namespace {

constexpr size_t kHeaderLength = 13;
constexpr size_t kTagLength = 16;
constexpr size_t kGcmExplicitNonce = 8;
constexpr size_t kRandomLength = 32;
constexpr char kKeyExpansionLabel[] = "key expansion";

const EVP_CIPHER* aeadCipher(int nid) {
  switch (nid) {
    case NID_aes_128_gcm:
      return EVP_aes_128_gcm();
    case NID_aes_256_gcm:
      return EVP_aes_256_gcm();
    case NID_chacha20_poly1305:
      return EVP_chacha20_poly1305();
    default:
      return nullptr;
  }
}

// TLS 1.2 PRF (RFC 5246 section 5) through OpenSSL's KDF.
bool tlsPrf(const EVP_MD* digest, const uint8_t* secret, size_t secretLength,
            const std::vector<uint8_t>& seed, uint8_t* out, size_t outLength) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr),
                                                        EVP_KDF_free);
  if (!kdf) return false;
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> context(EVP_KDF_CTX_new(kdf.get()),
                                                                    EVP_KDF_CTX_free);
  if (!context) return false;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(EVP_MD_get0_name(digest)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, const_cast<uint8_t*>(secret), secretLength),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, const_cast<uint8_t*>(seed.data()), seed.size()),
      OSSL_PARAM_construct_end()};
  return EVP_KDF_derive(context.get(), out, outLength, params) == 1;
}

}  // namespace

DtlsRecordOpener::~DtlsRecordOpener() {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(iv_.data(), iv_.size());
}

std::optional<DtlsRecordOpener> DtlsRecordOpener::fromSession(const SSL* ssl, std::string& why) {
  const SSL_CIPHER* cipher = ssl ? SSL_get_current_cipher(ssl) : nullptr;
  const SSL_SESSION* session = ssl ? SSL_get0_session(ssl) : nullptr;
  if (!cipher || !session) {
    why = "no established DTLS session";
    return std::nullopt;
  }
  uint8_t master[SSL_MAX_MASTER_KEY_LENGTH];
  const size_t masterLength = SSL_SESSION_get_master_key(session, master, sizeof(master));
  uint8_t clientRandom[kRandomLength], serverRandom[kRandomLength];
  if (masterLength == 0 || SSL_get_client_random(ssl, clientRandom, kRandomLength) != kRandomLength ||
      SSL_get_server_random(ssl, serverRandom, kRandomLength) != kRandomLength) {
    OPENSSL_cleanse(master, sizeof(master));
    why = "the DTLS session's secrets are unavailable";
    return std::nullopt;
  }
  auto opener =
      fromMasterSecret(SSL_CIPHER_get_cipher_nid(cipher), SSL_CIPHER_get_handshake_digest(cipher), master,
                       masterLength, clientRandom, serverRandom, SSL_is_server(ssl) == 1, why);
  OPENSSL_cleanse(master, sizeof(master));
  if (!opener && why.empty()) why = std::string("suite ") + SSL_CIPHER_get_name(cipher) + " is not AEAD";
  return opener;
}

std::optional<DtlsRecordOpener> DtlsRecordOpener::fromMasterSecret(
    int cipherNid, const EVP_MD* digest, const uint8_t* masterSecret, size_t masterLength,
    const uint8_t clientRandom[32], const uint8_t serverRandom[32], bool peerIsClient, std::string& why) {
  const EVP_CIPHER* cipher = aeadCipher(cipherNid);
  if (!cipher) {
    why = "the suite is not AEAD";
    return std::nullopt;
  }
  if (!digest) {
    why = "the suite has no PRF hash";
    return std::nullopt;
  }
  DtlsRecordOpener opener;
  opener.cipherNid_ = cipherNid;
  opener.keyLength_ = static_cast<size_t>(EVP_CIPHER_get_key_length(cipher));
  opener.ivLength_ = cipherNid == NID_chacha20_poly1305 ? 12 : 4;
  // RFC 5246 6.3: client key, server key, client IV, server IV (AEAD suites have no MAC keys).
  std::vector<uint8_t> seed(kKeyExpansionLabel, kKeyExpansionLabel + sizeof(kKeyExpansionLabel) - 1);
  seed.insert(seed.end(), serverRandom, serverRandom + kRandomLength);
  seed.insert(seed.end(), clientRandom, clientRandom + kRandomLength);
  std::vector<uint8_t> block(2 * (opener.keyLength_ + opener.ivLength_));
  if (!tlsPrf(digest, masterSecret, masterLength, seed, block.data(), block.size())) {
    why = "the key expansion failed";
    return std::nullopt;
  }
  const size_t keyOffset = peerIsClient ? 0 : opener.keyLength_;
  const size_t ivOffset = 2 * opener.keyLength_ + (peerIsClient ? 0 : opener.ivLength_);
  std::memcpy(opener.key_.data(), block.data() + keyOffset, opener.keyLength_);
  std::memcpy(opener.iv_.data(), block.data() + ivOffset, opener.ivLength_);
  OPENSSL_cleanse(block.data(), block.size());
  return opener;
}

size_t DtlsRecordOpener::minimumFragmentLength() const {
  return (cipherNid_ == NID_chacha20_poly1305 ? 0 : kGcmExplicitNonce) + kTagLength;
}

std::optional<size_t> DtlsRecordOpener::open(const uint8_t* record, size_t size, uint8_t* out,
                                             size_t capacity) const {
  if (!record || size < kHeaderLength) return std::nullopt;
  const size_t fragment = (size_t{record[11]} << 8) | record[12];
  if (fragment != size - kHeaderLength || fragment < minimumFragmentLength()) return std::nullopt;
  const uint8_t* body = record + kHeaderLength;
  const uint8_t* sequence = record + 3;  // epoch and sequence number: the record's 64-bit seq_num

  uint8_t nonce[12];
  const uint8_t* ciphertext = body;
  if (cipherNid_ == NID_chacha20_poly1305) {
    // RFC 7905 section 2: the IV XOR the left-padded sequence number.
    std::memcpy(nonce, iv_.data(), 12);
    for (size_t i = 0; i < 8; ++i) nonce[4 + i] ^= sequence[i];
  } else {
    // RFC 5288 section 3: salt, then the explicit nonce the record carries.
    std::memcpy(nonce, iv_.data(), 4);
    std::memcpy(nonce + 4, body, kGcmExplicitNonce);
    ciphertext += kGcmExplicitNonce;
  }
  const size_t plaintextLength = fragment - minimumFragmentLength();
  if (plaintextLength > capacity) return std::nullopt;
  const uint8_t* tag = body + fragment - kTagLength;
  // additional_data: seq_num, type, version, the plaintext's length.
  const uint8_t aad[13] = {sequence[0],
                           sequence[1],
                           sequence[2],
                           sequence[3],
                           sequence[4],
                           sequence[5],
                           sequence[6],
                           sequence[7],
                           record[0],
                           record[1],
                           record[2],
                           static_cast<uint8_t>(plaintextLength >> 8),
                           static_cast<uint8_t>(plaintextLength)};

  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> context(EVP_CIPHER_CTX_new(),
                                                                          EVP_CIPHER_CTX_free);
  int length = 0;
  const bool genuine =
      context && EVP_DecryptInit_ex(context.get(), aeadCipher(cipherNid_), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) == 1 &&
      EVP_DecryptInit_ex(context.get(), nullptr, nullptr, key_.data(), nonce) == 1 &&
      EVP_DecryptUpdate(context.get(), nullptr, &length, aad, sizeof(aad)) == 1 &&
      EVP_DecryptUpdate(context.get(), out, &length, ciphertext, static_cast<int>(plaintextLength)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagLength),
                          const_cast<uint8_t*>(tag)) == 1 &&
      EVP_DecryptFinal_ex(context.get(), out + length, &length) == 1;
  if (!genuine) {
    OPENSSL_cleanse(out, plaintextLength);
    return std::nullopt;
  }
  return plaintextLength;
}

}  // namespace sluice::webrtc
