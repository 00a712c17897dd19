#include "core/TlsContext.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509err.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>

namespace sluice::core {

namespace ssl = boost::asio::ssl;

namespace {

// Certificates and keys are small; anything bigger is not one.
constexpr std::streamsize kMaxPemFile = std::streamsize{1024} * 1024;

// Mozilla's "intermediate" TLS 1.2 suites; TLS 1.3 suites are OpenSSL's defaults (all AEAD).
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

bool readPemFile(const std::string& path, const char* what, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = std::string("cannot read ") + what + " '" + path + "': read error";
    return false;
  }
  if (out.empty() || static_cast<std::streamsize>(out.size()) > kMaxPemFile) {
    error = std::string(what) + " '" + path + "' is " + (out.empty() ? "empty" : "too large");
    return false;
  }
  return true;
}

std::string openSslReason(const boost::system::error_code& ec) {
  std::string reason = ec.message();
  ERR_clear_error();
  return reason;
}

std::string digestHex(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!cert || X509_digest(cert, EVP_sha256(), md, &n) != 1) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    if (i) out.push_back(':');
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

std::string leafFingerprint(SSL_CTX* ctx) { return digestHex(SSL_CTX_get0_certificate(ctx)); }

// TLS 1.2 and 1.3, the AEAD suites: the same for both sides.
bool applyProtocolSettings(ssl::context& ctx, std::string& error) {
  SSL_CTX* native = ctx.native_handle();
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                  ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kCiphers) != 1) {
    ERR_clear_error();
    error = "OpenSSL refuses the TLS settings (TLS 1.2+, AEAD ciphers)";
    return false;
  }
  return true;
}

}  // namespace

TlsContext::TlsContext(bool server)
    : context_(server ? ssl::context::tls_server : ssl::context::tls_client) {}

std::string TlsContext::fingerprintOf(const void* x509) { return digestHex(static_cast<const X509*>(x509)); }

bool TlsContext::expectServer(void* ssl, const std::string& host) {
  SSL* s = static_cast<SSL*>(ssl);
  boost::system::error_code notAddress;
  boost::asio::ip::make_address(host, notAddress);
  X509_VERIFY_PARAM* param = SSL_get0_param(s);
  const bool named = notAddress ? SSL_set_tlsext_host_name(s, host.c_str()) == 1 &&
                                      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1
                                : X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  if (!named) ERR_clear_error();
  return named;
}

bool TlsContext::checkServer(const void* ssl, const std::string& fingerprint, const char* pinKey,
                             std::string& error) {
  const SSL* s = static_cast<const SSL*>(ssl);
  X509* cert = SSL_get0_peer_certificate(s);
  if (!cert) {
    error = "the server sent no certificate";
    return false;
  }
  // Hex without colons, upper case: how MediaMTX's users write it.
  std::string got = digestHex(cert);
  got.erase(std::remove(got.begin(), got.end(), ':'), got.end());
  if (!fingerprint.empty()) {
    std::string want;
    for (char c : fingerprint) {
      if (c != ':') want.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    if (got == want) return true;
    error = "the server's certificate (SHA-256 fingerprint " + got + ") is not the one in " + pinKey;
    return false;
  }
  const long result = SSL_get_verify_result(s);
  if (result == X509_V_OK) return true;
  error = std::string("the server's certificate is not trusted: ") + X509_verify_cert_error_string(result) +
          " (to trust this certificate alone, set " + pinKey + ": " + got + ")";
  return false;
}

std::shared_ptr<TlsContext> TlsContext::client(std::string& error) {
  static std::mutex mutex;
  static std::shared_ptr<TlsContext> shared;
  std::lock_guard lock(mutex);
  if (shared) return shared;
  std::shared_ptr<TlsContext> tls(new TlsContext(false));
  if (!applyProtocolSettings(tls->context_, error)) return nullptr;
  // The chain is checked after the handshake (checkServer), so that a pinned
  // fingerprint can stand in for it: OpenSSL only records its verdict here.
  SSL_CTX_set_verify(tls->context_.native_handle(), SSL_VERIFY_NONE, nullptr);
  if (SSL_CTX_set_default_verify_paths(tls->context_.native_handle()) != 1) ERR_clear_error();
  shared = tls;
  return shared;
}

std::shared_ptr<TlsContext> TlsContext::load(const std::string& certFile, const std::string& keyFile,
                                             std::string& error) {
  std::string certPem, keyPem;
  if (!readPemFile(certFile, "server certificate", certPem, error)) return nullptr;
  if (!readPemFile(keyFile, "server key", keyPem, error)) return nullptr;

  std::shared_ptr<TlsContext> tls(new TlsContext());
  ssl::context& ctx = tls->context_;
  SSL_CTX* native = ctx.native_handle();
  if (!applyProtocolSettings(ctx, error)) return nullptr;

  if (certPem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    error = "server certificate '" + certFile + "' holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
    return nullptr;
  }
  boost::system::error_code ec;
  ctx.use_certificate_chain(boost::asio::buffer(certPem), ec);
  if (ec) {
    error = "server certificate '" + certFile + "' is not a usable PEM certificate: " + openSslReason(ec);
    return nullptr;
  }
  ctx.use_private_key(boost::asio::buffer(keyPem), ssl::context::pem, ec);
  OPENSSL_cleanse(keyPem.data(), keyPem.size());  // the key now lives only in OpenSSL
  const bool mismatch = ec && ec.category() == boost::asio::error::get_ssl_category() &&
                        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
  if (ec && !mismatch) {
    error = "server key '" + keyFile + "' is not a usable PEM private key: " + openSslReason(ec);
    return nullptr;
  }
  if (mismatch || SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    error = "server key '" + keyFile + "' does not belong to the certificate '" + certFile + "'";
    return nullptr;
  }
  tls->fingerprint_ = leafFingerprint(native);
  return tls;
}

}  // namespace sluice::core
