#pragma once
// The peer's DTLS 1.2 record protection, kept without OpenSSL's session: once DTLS-SRTP has
// exported the SRTP keys, the only record a viewer still sends that matters is an alert (its
// close_notify when it hangs up). OpenSSL's session costs tens of kilobytes per association
// for the rest of its life (DTLS keeps its record and handshake buffers); this keeps the
// peer's write key and IV from the key expansion (RFC 5246 section 6.3) and authenticates the
// peer's epoch-1 records itself. AEAD suites only (AES-GCM, ChaCha20-Poly1305: RFC 5288,
// RFC 7905), the ones browsers negotiate with us.
#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sluice::webrtc {

class DtlsRecordOpener {
 public:
  // The opener for what the peer of `ssl` (a completed handshake) sends; nullopt with the
  // reason when its suite is not AEAD or the derivation fails.
  static std::optional<DtlsRecordOpener> fromSession(const SSL* ssl, std::string& why);
  // The same from the key expansion's inputs (tests, fuzzing): `cipherNid` NID_aes_128_gcm,
  // NID_aes_256_gcm or NID_chacha20_poly1305, `digest` the suite's PRF hash.
  static std::optional<DtlsRecordOpener> fromMasterSecret(int cipherNid, const EVP_MD* digest,
                                                          const uint8_t* masterSecret, size_t masterLength,
                                                          const uint8_t clientRandom[32],
                                                          const uint8_t serverRandom[32], bool peerIsClient,
                                                          std::string& why);

  // Authenticates and decrypts one epoch-1 record (13-byte header and its fragment, `size`
  // bytes in all). Returns the plaintext's length in `out` (capacity bytes), or nullopt when
  // the record is not genuine, malformed, or larger than `out`.
  std::optional<size_t> open(const uint8_t* record, size_t size, uint8_t* out, size_t capacity) const;
  // The shortest fragment a genuine record can have (empty plaintext).
  size_t minimumFragmentLength() const;

  ~DtlsRecordOpener();  // wipes the key
  DtlsRecordOpener(const DtlsRecordOpener&) = default;
  DtlsRecordOpener& operator=(const DtlsRecordOpener&) = default;
  DtlsRecordOpener(DtlsRecordOpener&&) = default;
  DtlsRecordOpener& operator=(DtlsRecordOpener&&) = default;

 private:
  DtlsRecordOpener() = default;

  int cipherNid_ = 0;
  size_t keyLength_ = 0;
  size_t ivLength_ = 0;  // 4: GCM's salt before an explicit nonce; 12: ChaCha's XOR mask
  std::array<uint8_t, 32> key_{};
  std::array<uint8_t, 12> iv_{};
};

}  // namespace sluice::webrtc
