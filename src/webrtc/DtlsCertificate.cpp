#include "webrtc/DtlsCertificate.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <strings.h>

#include <array>
#include <mutex>

namespace sluice::webrtc {
namespace {

constexpr long kValidBeforeNowSeconds = 30L * 24 * 3600;  // tolerate peers with a skewed clock
constexpr long kValidAfterNowSeconds = 365L * 24 * 3600;

// ECDHE only (forward secrecy), AEAD first. The RSA suites let us act as client towards peers
// with RSA certificates; as a server our ECDSA certificate limits the choice to ECDSA suites.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";
constexpr const char* kGroups = "X25519:P-256:P-384";

// Chain validation is meaningless for WebRTC's self-signed certificates: the fingerprint from
// the SDP is checked instead (per association, see DtlsTransport).
int acceptAnyCertificate(int /*preverifyOk*/, X509_STORE_CTX* /*store*/) { return 1; }

const EVP_MD* digestForSdpName(const std::string& name) {
  if (strcasecmp(name.c_str(), "sha-256") == 0) return EVP_sha256();
  if (strcasecmp(name.c_str(), "sha-1") == 0) return EVP_sha1();
  if (strcasecmp(name.c_str(), "sha-384") == 0) return EVP_sha384();
  if (strcasecmp(name.c_str(), "sha-512") == 0) return EVP_sha512();
  return nullptr;
}

bool setRandomSerial(X509* certificate) {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return false;
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x01);  // positive and non-zero (RFC 5280)
  BIGNUM* number = BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr);
  if (!number) return false;
  bool ok = BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nullptr;
  BN_free(number);
  return ok;
}

}  // namespace

std::string takeOpenSslError() {
  unsigned long code = ERR_get_error();
  std::string text;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text;
}

std::string certificateFingerprint(X509* certificate, const std::string& algorithm) {
  const EVP_MD* md = digestForSdpName(algorithm);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!md || !certificate || X509_digest(certificate, md, digest, &length) != 1) {
    ERR_clear_error();
    return {};
  }
  static const char kHex[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(size_t{length} * 3);
  for (unsigned int i = 0; i < length; ++i) {
    if (i) text += ':';
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 0x0f];
  }
  return text;
}

SSL_CTX* createDtlsSslContext(X509* certificate, EVP_PKEY* key, std::string& error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  if (!ctx) {
    error = "SSL_CTX_new failed: " + takeOpenSslError();
    return nullptr;
  }
  auto fail = [&](const char* what) {
    error = std::string(what) + ": " + takeOpenSslError();
    SSL_CTX_free(ctx);
    return nullptr;
  };
  if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1) {
    return fail("cannot restrict the context to DTLS 1.2");
  }
  if (SSL_CTX_use_certificate(ctx, certificate) != 1) return fail("SSL_CTX_use_certificate failed");
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1) return fail("SSL_CTX_use_PrivateKey failed");
  if (SSL_CTX_check_private_key(ctx) != 1) return fail("certificate and key do not match");
  if (SSL_CTX_set_cipher_list(ctx, kCipherList) != 1) return fail("SSL_CTX_set_cipher_list failed");
  if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1) return fail("SSL_CTX_set1_groups_list failed");
  // Unlike the rest of the API, this one returns 0 on success.
  if (SSL_CTX_set_tlsext_use_srtp(ctx, kDefaultSrtpProfiles) != 0)
    return fail("SSL_CTX_set_tlsext_use_srtp failed");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptAnyCertificate);
  // No session resumption (every association authenticates by fingerprint), no renegotiation;
  // the MTU is set explicitly since the transport has no socket to query.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // After the handshake a session's DTLS sees a datagram now and then (a repeated Finished, the
  // close_notify): its ~35 KB of record buffers are freed while idle instead of held per viewer.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_read_ahead(ctx, 1);
  return ctx;
}

std::shared_ptr<DtlsCertificate> DtlsCertificate::generate(std::string& error) {
  ERR_clear_error();
  std::shared_ptr<DtlsCertificate> result(new DtlsCertificate());
  auto fail = [&](const char* what) {
    error = std::string(what) + ": " + takeOpenSslError();
    return nullptr;
  };

  result->privateKey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!result->privateKey_) return fail("P-256 key generation failed");

  X509* cert = X509_new();
  if (!cert) return fail("X509_new failed");
  result->certificate_ = cert;
  if (X509_set_version(cert, 2) != 1 || !setRandomSerial(cert)) return fail("cannot set certificate serial");
  if (!X509_gmtime_adj(X509_getm_notBefore(cert), -kValidBeforeNowSeconds) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert), kValidAfterNowSeconds)) {
    return fail("cannot set certificate validity");
  }
  X509_NAME* name = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sluice"),
                                 -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert, name) != 1) {
    return fail("cannot set certificate name");
  }
  if (X509_set_pubkey(cert, result->privateKey_) != 1) return fail("X509_set_pubkey failed");
  if (X509_sign(cert, result->privateKey_, EVP_sha256()) <= 0) return fail("certificate signing failed");

  result->fingerprintSha256_ = certificateFingerprint(cert, "sha-256");
  if (result->fingerprintSha256_.empty()) return fail("cannot compute the certificate fingerprint");

  result->sslContext_ = createDtlsSslContext(cert, result->privateKey_, error);
  if (!result->sslContext_) return nullptr;
  return result;
}

std::shared_ptr<DtlsCertificate> DtlsCertificate::processWide(std::string& error) {
  static std::mutex mutex;
  static std::shared_ptr<DtlsCertificate> instance;
  std::lock_guard lock(mutex);
  if (!instance) instance = generate(error);
  return instance;
}

DtlsCertificate::~DtlsCertificate() {
  SSL_CTX_free(sslContext_);
  X509_free(certificate_);
  EVP_PKEY_free(privateKey_);
}

}  // namespace sluice::webrtc
