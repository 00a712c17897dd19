#pragma once
// The server's DTLS identity: one self-signed ECDSA P-256 certificate per process, announced to
// peers through its SDP fingerprint (RFC 8122), plus the SSL_CTX every DTLS association shares.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace sluice::webrtc {

// SRTP profiles offered in preference order (OpenSSL names): GCM first, as browsers prefer it.
inline constexpr const char* kDefaultSrtpProfiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";

class DtlsCertificate {
 public:
  // A fresh key pair and certificate; nullptr with `error` set when OpenSSL fails.
  static std::shared_ptr<DtlsCertificate> generate(std::string& error);
  // The process-wide certificate, generated on first use (thread-safe). A failed attempt is
  // retried by the next call.
  static std::shared_ptr<DtlsCertificate> processWide(std::string& error);

  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  // "AB:CD:..." as in `a=fingerprint:sha-256 AB:CD:...`.
  const std::string& fingerprintSha256() const { return fingerprintSha256_; }
  X509* certificate() const { return certificate_; }
  EVP_PKEY* privateKey() const { return privateKey_; }
  // DTLS 1.2 context carrying this certificate, shared by both roles and all associations
  // (SSL_new on a shared SSL_CTX is thread-safe).
  SSL_CTX* sslContext() const { return sslContext_; }

 private:
  DtlsCertificate() = default;

  X509* certificate_ = nullptr;
  EVP_PKEY* privateKey_ = nullptr;
  SSL_CTX* sslContext_ = nullptr;
  std::string fingerprintSha256_;
};

// SDP fingerprint text ("AB:CD:...") of `certificate` under a hash named as in SDP
// ("sha-1", "sha-256", "sha-384", "sha-512", case-insensitive); empty if the name is unknown.
std::string certificateFingerprint(X509* certificate, const std::string& algorithm);

// DTLS 1.2 SSL_CTX for WebRTC with `certificate`/`key`: DTLS-SRTP profiles, browser cipher
// suites and groups, and a verify callback that accepts any (self-signed) peer certificate,
// since WebRTC authenticates the peer by the SDP fingerprint instead. nullptr and `error` on
// failure; the caller owns the result (SSL_CTX_free).
SSL_CTX* createDtlsSslContext(X509* certificate, EVP_PKEY* key, std::string& error);

// Text of the oldest error on this thread's OpenSSL error queue ("" if none), emptying the
// queue so that a later SSL call on the same thread (another session) does not see it.
std::string takeOpenSslError();

}  // namespace sluice::webrtc
