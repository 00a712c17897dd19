#pragma once
// The server side of a TLS listener (HTTPS: webrtcEncryption, apiEncryption, ...; RTSPS:
// rtspEncryption): a certificate chain and its private key read from PEM files, TLS 1.2 and
// 1.3 only, forward-secret AEAD cipher suites (Mozilla's "intermediate" list), no compression,
// no renegotiation. Also the client side (rtsps:// sources): the same protocol settings and
// the system's trusted certificates; the caller checks the server's certificate (its chain
// and name, or a pinned fingerprint) after the handshake. Include it only where a TLS session
// is made (it brings in Boost.Asio's OpenSSL wrapper): http/HttpServer.cpp,
// rtsp/RtspTlsStream.cpp, rtsp/RtspClientConnection.cpp, auth/AuthServerCall.cpp.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace sluice::core {

class TlsContext {
 public:
  // Reads both files. Null, with `error` naming the file at fault, when a file can't be read,
  // is not PEM of the right kind, or the key doesn't belong to the certificate.
  static std::shared_ptr<TlsContext> load(const std::string& certFile, const std::string& keyFile,
                                          std::string& error);
  // The process's client context, made on first use (any thread); null with `error` if OpenSSL
  // refuses the settings.
  static std::shared_ptr<TlsContext> client(std::string& error);

  boost::asio::ssl::context& context() { return context_; }
  // SHA-256 of the leaf certificate, "AB:CD:..." (for the log line of a reload).
  const std::string& fingerprint() const { return fingerprint_; }
  // SHA-256 of a DER certificate, "AB:CD:..."; "" if OpenSSL cannot digest it.
  static std::string fingerprintOf(const void* x509);

  // A client's connection (`ssl` is an SSL*), before its handshake: SNI and the host name (or IP
  // address) the server's certificate must carry. False if OpenSSL refuses `host`.
  static bool expectServer(void* ssl, const std::string& host);
  // After the handshake: the server's certificate is the pinned one (`fingerprint`: SHA-256 in
  // hex, any case, colons allowed) or, with no pin, chains to a root the system trusts and names
  // the host. False with `error` saying why, and the fingerprint to set as `pinKey` to trust this
  // certificate alone.
  static bool checkServer(const void* ssl, const std::string& fingerprint, const char* pinKey,
                          std::string& error);

 private:
  explicit TlsContext(bool server = true);
  boost::asio::ssl::context context_;
  std::string fingerprint_;
};

}  // namespace sluice::core
