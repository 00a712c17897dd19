#pragma once
// HTTP/1.1 (or HTTPS) server on the control thread's io_context, shared by the WebRTC
// signalling endpoint and the API, metrics and pprof listeners. Behaves like the Go servers
// MediaMTX runs: keep-alive, read/idle timeouts, bounded bodies and headers, CORS
// origin headers on every answer. Beast stays inside HttpServer.cpp.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/HttpMessage.h"

namespace boost::asio {
class io_context;
}

namespace sluice::http {

struct HttpServerOptions {
  // MediaMTX address syntax: ":8889", "127.0.0.1:8889", "[::]:8889", "localhost:8889".
  // An empty host listens on all interfaces (IPv6 dual-stack when available).
  std::string address = ":8889";
  // Allowed CORS origins (webrtcAllowOrigins); see CorsOrigin.h.
  std::vector<std::string> allowOrigins{"*"};
  // Time allowed to receive a whole request (headers and body) once it has started
  // (readTimeout; for the first request it counts from accept).
  std::chrono::milliseconds readTimeout{std::chrono::seconds(10)};
  // Time allowed to send a response.
  std::chrono::milliseconds writeTimeout{std::chrono::seconds(10)};
  // Keep-alive connections with no new request for this long are closed.
  std::chrono::milliseconds idleTimeout{std::chrono::seconds(30)};
  size_t bodyLimit = size_t{128} * 1024;   // 413 beyond
  size_t headerLimit = size_t{16} * 1024;  // 431 beyond
  size_t maxConnections = 4096;            // further connections are closed at once (last resort)
  // HTTPS (webrtcEncryption, apiEncryption, ...): PEM certificate chain and private key, read
  // at start (a missing or bad file fails start, naming it) and again by reloadTls.
  bool tls = false;
  std::string tlsCertFile, tlsKeyFile;
  // Peers (addresses or CIDR ranges) whose X-Forwarded-For / X-Real-Ip name the client
  // (TrustedProxies.h): HttpRequest::remoteAddress is then the forwarded client. From any
  // other peer those headers are ignored.
  std::vector<std::string> trustedProxies;
  // Open connections one client (core::clientKey: an IPv4 address or an IPv6 /64) may hold;
  // 0 = no limit. Exempt: the trusted proxies when some are set, otherwise this host's own
  // 127.0.0.1 and ::1 (core::isLocalHostKey). Further connections from that client get a 429
  // JSON error and are closed (on a TLS listener closed without an answer: a plain-text 429
  // would be unreadable, a handshake too costly), logged once per client per 10 s; other
  // clients are not affected. Keep it well below maxConnections.
  size_t maxConnectionsPerClient = 128;
  std::string serverName = "sluice";
};

class HttpServer {
 public:
  // `handler` is called on the io_context thread for every well-formed request; it may
  // answer at once or keep the responder and answer later (the WHEP POST does).
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. False with a reason if the address can't be used.
  bool start(std::string& error);
  // Closes the listener and every connection; pending responders become no-ops and the
  // handler is never called again. Call on the io_context thread (or while it isn't
  // running).
  void stop();

  // Reads the certificate and key again (SIGHUP, configuration reload): new connections use
  // them, open ones keep theirs. False with a reason, and the running ones stay, when the
  // new files are unusable or the listener is plain HTTP.
  bool reloadTls(const std::string& certFile, const std::string& keyFile, std::string& error);
  // SHA-256 fingerprint of the certificate served now; empty on a plain listener.
  std::string tlsFingerprint() const;

  uint16_t boundPort() const;
  size_t connectionCount() const;
  // Connections refused by maxConnectionsPerClient since start.
  uint64_t refusedConnections() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sluice::http
