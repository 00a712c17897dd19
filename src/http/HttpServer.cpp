// The only translation unit that includes Beast: parsing, timeouts and connection
// lifetimes live here, everything else works on HttpRequest/HttpResponse.
#include "http/HttpServer.h"

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <ctime>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include "core/ClientKey.h"
#include "core/KeyedRateLimit.h"
#include "core/ListenAddress.h"
#include "core/Log.h"
#include "core/TlsContext.h"
#include "http/CorsOrigin.h"
#include "http/HttpText.h"
#include "http/TrustedProxies.h"

namespace sluice::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using core::TlsContext;

namespace {

constexpr size_t kIdleReadSize = 4096;
// After an error answer we stop sending but keep reading a little, so the client gets
// our response instead of a TCP reset caused by its unread upload.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerMaxBytes = size_t{256} * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// A connection refused by the per-client limit gets its 429 and is closed within this time;
// at most kMaxRefusing of them are being answered at once, further ones are closed at once.
constexpr auto kRefusalTime = std::chrono::seconds(1);
constexpr size_t kMaxRefusing = 256;

// What ServerState needs of a connection, whichever stream it runs on.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void abort() = 0;
};

struct ServerState {
  ServerState(asio::io_context& context, HttpServerOptions serverOptions, HttpHandler serverHandler)
      : io(context), options(std::move(serverOptions)), handler(std::move(serverHandler)) {}

  asio::io_context& io;
  HttpServerOptions options;
  HttpHandler handler;
  bool stopped = false;
  // Owns the connections: a connection waiting for its handler has no pending I/O that
  // would keep it alive, and stop() must be able to reach every one of them.
  std::unordered_map<ConnectionBase*, std::shared_ptr<ConnectionBase>> connections;
  TrustedProxies trustedProxies;
  // The certificate and key new TLS connections use; replaced by reloadTls, while open
  // connections keep the one they started with. Null on a plain listener.
  std::shared_ptr<TlsContext> tls;
  // Open connections per client (core::clientKey), for maxConnectionsPerClient.
  std::unordered_map<std::string, size_t> perClient;
  size_t refusing = 0;  // refused connections still being answered
  uint64_t refused = 0;
  core::KeyedRateLimit refusalLog{std::chrono::seconds(10)};

  void release(const std::string& client) {
    auto it = perClient.find(client);
    if (it != perClient.end() && --it->second == 0) perClient.erase(it);
  }
};

// Beast 1.74 hands out boost::string_view.
std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isValidHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

// Values may come from request data (a path, an Origin) or the app: never let them end
// the header line early.
std::string headerSafe(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c != '\r' && c != '\n' && c != '\0') out.push_back(c);
  }
  return out;
}

// Headers the server computes itself; a handler can't set them.
bool isFramingHeader(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Connection");
}

asio::ip::address clientAddress(const tcp::endpoint& ep) {
  asio::ip::address addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  return addr;
}

std::string formatEndpoint(const tcp::endpoint& ep) {
  const asio::ip::address addr = clientAddress(ep);
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  return addr.to_string() + ":" + std::to_string(ep.port());
}

template <class Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(std::shared_ptr<ServerState> server, tcp::socket socket, const tcp::endpoint& remote,
             std::string client)
      : server_(std::move(server)),
        stream_(makeStream(std::move(socket))),
        peer_(remote),
        remote_(formatEndpoint(remote)),
        client_(std::move(client)),
        peerTrusted_(server_->trustedProxies.contains(clientAddress(remote).to_string())) {}

  // Like Go's http.Server, the first request gets readTimeout from accept (TLS handshake
  // included); later ones get idleTimeout to start and readTimeout to complete.
  void start() {
    lowest().expires_after(server_->options.readTimeout);
    if constexpr (kTls) {
      stream_.async_handshake(
          asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
            if (self->closed_) return;
            if (ec) {
              log::debug("[HTTP] TLS handshake with {} failed: {}", self->remote_, ec.message());
              return self->abort();
            }
            self->readHeader();
          });
    } else {
      readHeader();
    }
  }

  // Immediate close; pending operations complete with an error and find closed_ set.
  void abort() override {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
    auto self = this->shared_from_this();  // the registry may hold the last reference
    server_->release(client_);
    server_->connections.erase(this);
  }

 private:
  void readNext() {
    if (buffer_.size() > 0) {  // a pipelined request is already buffered
      lowest().expires_after(server_->options.readTimeout);
      readHeader();
      return;
    }
    lowest().expires_after(server_->options.idleTimeout);
    stream_.async_read_some(buffer_.prepare(kIdleReadSize),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (self->closed_) return;
                              if (ec) return self->abort();
                              self->buffer_.commit(n);
                              self->lowest().expires_after(self->server_->options.readTimeout);
                              self->readHeader();
                            });
  }

  void readHeader() {
    // Forget the previous request, or an error answer could inherit its HEAD/Origin.
    version_ = 11;
    keepAlive_ = false;
    isHead_ = false;
    origin_.clear();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.headerLimit));
    parser_->body_limit(static_cast<std::uint64_t>(server_->options.bodyLimit));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (self->closed_) return;
                               if (ec) return self->onReadError(ec);
                               self->onHeader();
                             });
  }

  void onHeader() {
    auto& msg = parser_->get();
    if (!parser_->is_done() && iequals(view(msg[bhttp::field::expect]), "100-continue")) {
      // curl and other clients wait for this before sending bodies (SDP offers) > 1 KiB.
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          if (self->closed_) return;
                          if (ec) return self->abort();
                          self->readBody();
                        });
      return;
    }
    readBody();
  }

  void readBody() {
    if (parser_->is_done()) return dispatchRequest();
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (self->closed_) return;
                        if (ec) return self->onReadError(ec);
                        self->dispatchRequest();
                      });
  }

  void onReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) return sendErrorAndClose(413, "request body too large");
    if (ec == bhttp::error::header_limit) return sendErrorAndClose(431, "request header too large");
    // A peer that goes away or stalls (timeout) gets no answer, as with Go's server;
    // one that sends something that isn't HTTP gets a 400 and the connection is closed.
    const bool parseError = ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                            ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (!parseError) return abort();
    log::debug("[HTTP] malformed request from {}: {}", remote_, ec.message());
    sendErrorAndClose(400, "malformed request");
  }

  void sendErrorAndClose(int status, std::string_view message) {
    if (parser_ && parser_->is_header_done()) captureRequestInfo(parser_->get());
    awaiting_ = false;
    writeResponse(jsonErrorResponse(status, message), /*closeAfter=*/true);
  }

  void captureRequestInfo(const bhttp::request<bhttp::string_body>& msg) {
    version_ = msg.version();
    keepAlive_ = msg.keep_alive();
    isHead_ = msg.method() == bhttp::verb::head;
    origin_ = std::string(view(msg[bhttp::field::origin]));
  }

  void dispatchRequest() {
    auto& msg = parser_->get();
    captureRequestInfo(msg);
    HttpRequest request;
    request.method = std::string(view(msg.method_string()));
    request.target = std::string(view(msg.target()));
    if (!splitRequestTarget(request.target, request.path, request.query)) {
      return sendErrorAndClose(400, "malformed request target");
    }
    if (server_->stopped) return abort();
    if (request.path.empty() || request.path[0] != '/') {
      // Go's MediaMTX servers answer an empty path with a bare 400 (handlerFilterRequests).
      HttpResponse bad;
      bad.status = 400;
      return writeResponse(std::move(bad), false);
    }
    for (const auto& field : msg) {
      request.headers.emplace_back(view(field.name_string()), view(field.value()));
    }
    request.body = std::move(msg.body());
    request.remoteAddress = requestRemoteAddress(msg);
    parser_.reset();

    // The handler may take its time (a WHEP POST waits for ICE gathering); no read is
    // pending meanwhile, so no timeout runs either.
    lowest().expires_never();
    awaiting_ = true;
    const uint64_t seq = ++requestSeq_;
    std::weak_ptr<Connection> weak = this->weak_from_this();
    asio::io_context& io = server_->io;
    HttpResponder responder([weak, seq, &io](HttpResponse response) {
      asio::dispatch(io, [weak, seq, response = std::move(response)]() mutable {
        if (auto conn = weak.lock()) conn->onHandlerResponse(seq, std::move(response));
      });
    });
    HttpHandler handler = server_->handler;  // a copy: the handler may stop the server
    if (handler) {
      handler(std::move(request), std::move(responder));
    } else {
      responder(notFoundResponse());
    }
  }

  void onHandlerResponse(uint64_t seq, HttpResponse response) {
    if (closed_ || !awaiting_ || seq != requestSeq_) return;
    awaiting_ = false;
    writeResponse(std::move(response), false);
  }

  void writeResponse(HttpResponse r, bool closeAfter) {
    const HttpServerOptions& options = server_->options;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version_ == 10 ? 10 : 11);
    const int status = (r.status >= 100 && r.status <= 599) ? r.status : 500;
    res->result(static_cast<unsigned>(status));
    for (auto& [name, value] : r.headers) {
      if (!isValidHeaderName(name) || isFramingHeader(name)) continue;
      res->insert(name, headerSafe(value));
    }
    if (res->find(bhttp::field::server) == res->end()) res->set(bhttp::field::server, options.serverName);
    if (res->find(bhttp::field::date) == res->end())
      res->set(bhttp::field::date, httpDate(std::time(nullptr)));
    if (res->find(bhttp::field::access_control_allow_origin) == res->end()) {
      std::string allow = allowedOrigin(origin_, options.allowOrigins);
      if (!allow.empty()) {
        res->set(bhttp::field::access_control_allow_origin, headerSafe(allow));
        res->set(bhttp::field::access_control_allow_credentials, "true");
        // The answer depends on the Origin when we echo it: caches must key on it.
        if (allow != "*") res->set(bhttp::field::vary, "Origin");
      }
    }
    const bool bodyless = status < 200 || status == 204 || status == 304;
    if (!bodyless) {
      res->body() = std::move(r.body);
      res->content_length(res->body().size());
      if (isHead_) res->body().clear();  // keeps the Content-Length of the GET answer
    }
    const bool keep = keepAlive_ && !closeAfter && !server_->stopped;
    res->keep_alive(keep);

    lowest().expires_after(options.writeTimeout);
    response_ = res;
    bhttp::async_write(stream_, *res, [self = this->shared_from_this(), keep](beast::error_code ec, size_t) {
      if (self->closed_) return;
      self->response_.reset();
      if (ec) return self->abort();
      if (!keep) return self->lingeringClose();
      self->readNext();
    });
  }

  void lingeringClose() {
    buffer_.clear();
    lowest().expires_after(kLingerTime);
    if constexpr (kTls) {
      // close_notify, then wait (bounded) for the client's; what it still sends is discarded.
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        if (!self->closed_) self->abort();
      });
    } else {
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      drain();
    }
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drainBuffer_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (self->closed_) return;
                              self->drained_ += n;
                              if (ec || self->drained_ > kLingerMaxBytes) return self->abort();
                              self->drain();
                            });
  }

  Stream makeStream(tcp::socket socket) {
    if constexpr (kTls) {
      tls_ = server_->tls;
      return Stream(std::move(socket), tls_->context());
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // The address handlers see: the peer, or the client a trusted proxy forwarded the request
  // for (with the peer's port, as MediaMTX reports it).
  std::string requestRemoteAddress(const bhttp::request<bhttp::string_body>& msg) const {
    if (!peerTrusted_) return remote_;
    std::vector<std::string_view> forwarded;
    auto range = msg.equal_range("X-Forwarded-For");
    for (auto it = range.first; it != range.second; ++it) forwarded.push_back(view(it->value()));
    std::optional<std::string> ip =
        forwardedClientIp(forwarded, view(msg["X-Real-Ip"]), server_->trustedProxies);
    if (!ip) return remote_;
    const std::string port = std::to_string(peer_.port());
    return ip->find(':') != std::string::npos ? "[" + *ip + "]:" + port : *ip + ":" + port;
  }

  // Declared first: makeStream() fills tls_ while stream_ is constructed.
  std::shared_ptr<ServerState> server_;
  std::shared_ptr<TlsContext> tls_;  // the context this connection's TLS session uses
  Stream stream_;
  beast::flat_buffer buffer_;
  tcp::endpoint peer_;
  std::string remote_;  // the TCP peer, "ip:port"
  std::string client_;  // core::clientKey of the TCP peer (per-client connection count)
  bool peerTrusted_ = false;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  std::array<char, 4096> drainBuffer_{};
  size_t drained_ = 0;
  uint64_t requestSeq_ = 0;
  unsigned version_ = 11;
  std::string origin_;
  bool keepAlive_ = false;
  bool isHead_ = false;
  bool awaiting_ = false;
  bool closed_ = false;
};

// A connection over the per-client limit: it gets a 429 with MediaMTX's JSON error body and
// is closed. Its request is not read (only drained after the answer, so that the client sees
// the 429 rather than a reset), and the whole exchange is bounded by kRefusalTime.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(std::shared_ptr<ServerState> server, tcp::socket socket, std::string_view message)
      : server_(std::move(server)), socket_(std::move(socket)), timer_(server_->io) {
    const std::string body = jsonErrorResponse(429, message).body;
    response_ = "HTTP/1.1 429 Too Many Requests\r\nServer: " + headerSafe(server_->options.serverName) +
                "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }

  void start() {
    ++server_->refusing;
    timer_.expires_after(kRefusalTime);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->finish();
    });
    asio::async_write(socket_, asio::buffer(response_),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->finish();
                        beast::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->drain();
                      });
  }

 private:
  void drain() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->finish();
      self->drain();
    });
  }

  void finish() {
    if (done_) return;
    done_ = true;
    --server_->refusing;
    beast::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  std::shared_ptr<ServerState> server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string response_;
  std::array<char, 4096> buffer_{};
  bool done_ = false;
};

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(asio::io_context& io, HttpServerOptions options, HttpHandler handler)
      : state_(std::make_shared<ServerState>(io, std::move(options), std::move(handler))),
        acceptor_(io),
        retryTimer_(io) {}

  bool start(std::string& error) {
    if (running_) return true;
    std::optional<TrustedProxies> proxies = TrustedProxies::parse(state_->options.trustedProxies, error);
    if (!proxies) return false;
    state_->trustedProxies = std::move(*proxies);
    if (state_->options.tls) {
      state_->tls = TlsContext::load(state_->options.tlsCertFile, state_->options.tlsKeyFile, error);
      if (!state_->tls) return false;
    }
    std::string host;
    uint16_t port = 0;
    if (!core::splitListenAddress(state_->options.address, host, port, error)) return false;

    std::vector<tcp::endpoint> endpoints;
    if (host.empty()) {
      // All interfaces: dual-stack IPv6 first, IPv4 if the host has no IPv6.
      endpoints = {tcp::endpoint(tcp::v6(), port), tcp::endpoint(tcp::v4(), port)};
    } else {
      beast::error_code ec;
      asio::ip::address addr = asio::ip::make_address(host, ec);
      if (!ec) {
        endpoints.emplace_back(addr, port);
      } else {
        tcp::resolver resolver(state_->io);
        auto results = resolver.resolve(host, std::to_string(port), ec);
        if (ec) {
          error = "address " + state_->options.address + ": " + ec.message();
          return false;
        }
        // Like Go, prefer an IPv4 address of a host name.
        for (const auto& r : results) {
          if (r.endpoint().address().is_v4()) endpoints.push_back(r.endpoint());
        }
        for (const auto& r : results) {
          if (r.endpoint().address().is_v6()) endpoints.push_back(r.endpoint());
        }
      }
    }

    std::string lastError = "no usable address";
    for (const tcp::endpoint& ep : endpoints) {
      beast::error_code ec;
      acceptor_.open(ep.protocol(), ec);
      if (ec) {
        lastError = ec.message();
        continue;
      }
      if (ep.address().is_v6() && host.empty()) acceptor_.set_option(asio::ip::v6_only(false), ec);
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      acceptor_.bind(ep, ec);
      if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        lastError = ec.message();
        beast::error_code ignored;
        acceptor_.close(ignored);
        continue;
      }
      port_ = acceptor_.local_endpoint(ec).port();
      running_ = true;
      state_->stopped = false;
      accept();
      return true;
    }
    error = "address " + state_->options.address + ": " + lastError;
    return false;
  }

  void stop() {
    running_ = false;
    state_->stopped = true;
    beast::error_code ec;
    acceptor_.close(ec);
    retryTimer_.cancel();
    std::vector<std::shared_ptr<ConnectionBase>> open;
    open.reserve(state_->connections.size());
    for (auto& [ptr, conn] : state_->connections) open.push_back(conn);
    for (auto& conn : open) conn->abort();
    state_->handler = nullptr;  // release what the handler captured
  }

  bool reloadTls(const std::string& certFile, const std::string& keyFile, std::string& error) {
    if (!state_->options.tls) {
      error = "the listener does not use TLS";
      return false;
    }
    std::shared_ptr<TlsContext> next = TlsContext::load(certFile, keyFile, error);
    if (!next) return false;
    state_->options.tlsCertFile = certFile;
    state_->options.tlsKeyFile = keyFile;
    state_->tls = std::move(next);
    return true;
  }

  std::string tlsFingerprint() const { return state_->tls ? state_->tls->fingerprint() : std::string(); }

  uint16_t boundPort() const { return port_; }
  size_t connectionCount() const { return state_->connections.size(); }
  uint64_t refusedConnections() const { return state_->refused; }

 private:
  void accept() {
    acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (!self->running_ || ec == asio::error::operation_aborted) return;
      if (ec) {
        // Typically EMFILE: back off instead of spinning on a full descriptor table.
        uint64_t suppressed = 0;
        if (self->acceptErrorLog_.allow(suppressed)) {
          log::warn("[HTTP] accept on {} failed: {}", self->state_->options.address, ec.message());
        }
        self->retryTimer_.expires_after(std::chrono::milliseconds(100));
        self->retryTimer_.async_wait([self](beast::error_code waitEc) {
          if (!waitEc && self->running_) self->accept();
        });
        return;
      }
      self->onAccepted(std::move(socket));
      self->accept();
    });
  }

  void onAccepted(tcp::socket socket) {
    beast::error_code ec;
    tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec || state_->connections.size() >= state_->options.maxConnections) {
      socket.close(ec);
      return;
    }
    const std::string peerIp = clientAddress(remote).to_string();
    std::string client = core::clientKey(peerIp);
    size_t& open = state_->perClient[client];
    const size_t limit = state_->options.maxConnectionsPerClient;
    if (limit > 0 && open >= limit && !exemptFromClientLimit(peerIp, client)) {
      return refuse(std::move(socket), client, open);
    }
    ++open;
    socket.set_option(tcp::no_delay(true), ec);
    if (state_->tls) {
      startConnection<TlsStream>(std::move(socket), remote, std::move(client));
    } else {
      startConnection<PlainStream>(std::move(socket), remote, std::move(client));
    }
  }

  template <class Stream>
  void startConnection(tcp::socket socket, const tcp::endpoint& remote, std::string client) {
    auto conn = std::make_shared<Connection<Stream>>(state_, std::move(socket), remote, std::move(client));
    state_->connections.emplace(conn.get(), conn);
    conn->start();
  }

  // A trusted proxy carries many clients on its connections, so it is not limited as one
  // client. Without trusted proxies, this host's own loopback address plays that part (a local
  // reverse proxy, bench tools); with them, loopback is an ordinary client unless listed.
  bool exemptFromClientLimit(const std::string& peerIp, const std::string& client) const {
    if (state_->trustedProxies.empty()) return core::isLocalHostKey(client);
    return state_->trustedProxies.contains(peerIp);
  }

  void refuse(tcp::socket socket, const std::string& client, size_t open) {
    ++state_->refused;
    uint64_t suppressed = 0;
    if (state_->refusalLog.allow(client, suppressed)) {
      log::warn(
          "[HTTP] {}: client {} already holds {} connections (limit {}): further ones are refused "
          "with 429{}",
          state_->options.address, client, open, state_->options.maxConnectionsPerClient,
          suppressed ? fmt::format(" ({} refusals not logged)", suppressed) : std::string());
    }
    // A TLS client can't read a plain-text 429, and a handshake is more than a refusal is
    // worth: it is closed at once.
    if (state_->refusing >= kMaxRefusing || state_->tls) {
      beast::error_code ec;
      socket.close(ec);
      return;
    }
    std::make_shared<Refusal>(state_, std::move(socket), "too many connections from this address")->start();
  }

  std::shared_ptr<ServerState> state_;
  tcp::acceptor acceptor_;
  asio::steady_timer retryTimer_;
  log::RateLimit acceptErrorLog_;
  uint16_t port_ = 0;
  bool running_ = false;
};

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  try {
    impl_->stop();
  } catch (...) {  // a timer's cancel() throws only on an OS error; a destructor must not
  }
}

bool HttpServer::start(std::string& error) { return impl_->start(error); }
void HttpServer::stop() { impl_->stop(); }
uint16_t HttpServer::boundPort() const { return impl_->boundPort(); }
size_t HttpServer::connectionCount() const { return impl_->connectionCount(); }
uint64_t HttpServer::refusedConnections() const { return impl_->refusedConnections(); }
bool HttpServer::reloadTls(const std::string& certFile, const std::string& keyFile, std::string& error) {
  return impl_->reloadTls(certFile, keyFile, error);
}
std::string HttpServer::tlsFingerprint() const { return impl_->tlsFingerprint(); }

}  // namespace sluice::http
