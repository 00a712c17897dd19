#include "auth/AuthServerCall.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/Base64.h"
#include "core/TlsContext.h"

namespace sluice::auth {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// One exchange; it owns itself through the handlers it has pending.
class AuthServerCall : public std::enable_shared_from_this<AuthServerCall> {
 public:
  AuthServerCall(asio::io_context& io, std::shared_ptr<const AuthManager::Server> server,
                 std::shared_ptr<core::TlsContext> tls, std::string body, AuthServerDone done)
      : server_(std::move(server)),
        tls_(std::move(tls)),
        resolver_(io),
        deadline_(io),
        done_(std::move(done)) {
    if (tls_)
      stream_.emplace(io, tls_->context());
    else
      socket_.emplace(io);
    request_.method(http::verb::post);
    request_.target(server_->url.target);
    request_.version(11);
    request_.set(http::field::host, server_->url.hostHeader);
    request_.set(http::field::user_agent, "sluice");
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::connection, "close");
    if (!server_->url.userinfo.empty())
      request_.set(http::field::authorization, "Basic " + core::base64Encode(server_->url.userinfo));
    request_.body() = std::move(body);
    request_.prepare_payload();
    parser_.body_limit(kMaxAuthServerBody);
    parser_.header_limit(16 * 1024);
  }

  void start() {
    deadline_.expires_after(server_->timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec)
        self->fail("no answer within readTimeout (" + std::to_string(self->server_->timeout.count()) +
                   " ms)");
    });
    resolver_.async_resolve(server_->url.host, std::to_string(server_->url.port),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        const tcp::resolver::results_type& results) {
                              if (ec) return self->fail("cannot resolve the host: " + ec.message());
                              self->connect(results);
                            });
  }

 private:
  tcp::socket& socket() { return tls_ ? stream_->next_layer() : *socket_; }

  void connect(const tcp::resolver::results_type& results) {
    asio::async_connect(
        socket(), results,
        [self = shared_from_this()](const boost::system::error_code& ec, const tcp::endpoint&) {
          if (ec) return self->fail("cannot connect: " + ec.message());
          if (self->tls_) return self->handshake();
          self->write(*self->socket_);
        });
  }

  void handshake() {
    if (!core::TlsContext::expectServer(stream_->native_handle(), server_->url.host))
      return fail("invalid host name for TLS");
    stream_->async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this()](const boost::system::error_code& ec) {
          if (ec) return self->fail("TLS handshake failed: " + ec.message());
          std::string error;
          if (!core::TlsContext::checkServer(self->stream_->native_handle(), self->server_->fingerprint,
                                             "authHTTPFingerprint", error))
            return self->fail(error);
          self->write(*self->stream_);
        });
  }

  template <class Stream>
  void write(Stream& stream) {
    http::async_write(stream, request_,
                      [self = shared_from_this(), &stream](const boost::system::error_code& ec, size_t) {
                        if (ec) return self->fail("cannot send the request: " + ec.message());
                        self->read(stream);
                      });
  }

  template <class Stream>
  void read(Stream& stream) {
    http::async_read(stream, buffer_, parser_,
                     [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                       if (ec) return self->fail("no valid HTTP answer: " + ec.message());
                       AuthServerReply reply;
                       reply.answered = true;
                       reply.status = self->parser_.get().result_int();
                       reply.body = std::move(self->parser_.get().body());
                       self->finish(std::move(reply));
                     });
  }

  void fail(std::string error) {
    AuthServerReply reply;
    reply.error = std::move(error);
    finish(std::move(reply));
  }

  void finish(AuthServerReply reply) {
    if (!done_) return;  // the deadline and a handler both ended the call: the first one wins
    AuthServerDone done = std::move(done_);
    done_ = nullptr;
    deadline_.cancel();
    resolver_.cancel();
    boost::system::error_code ignored;
    socket().close(ignored);  // pending operations end with operation_aborted
    done(std::move(reply));
  }

  std::shared_ptr<const AuthManager::Server> server_;  // shared: kept across a reload
  std::shared_ptr<core::TlsContext> tls_;              // https only
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::optional<tcp::socket> socket_;                     // http
  std::optional<asio::ssl::stream<tcp::socket>> stream_;  // https
  http::request<http::string_body> request_;
  boost::beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  AuthServerDone done_;
};

}  // namespace

void callAuthServer(asio::io_context& io, std::shared_ptr<const AuthManager::Server> server, std::string body,
                    AuthServerDone done) {
  std::shared_ptr<core::TlsContext> tls;
  if (server->url.tls) {
    std::string error;
    tls = core::TlsContext::client(error);
    if (!tls) {
      AuthServerReply reply;
      reply.error = "no TLS client: " + error;
      asio::post(io,
                 [done = std::move(done), reply = std::move(reply)]() mutable { done(std::move(reply)); });
      return;
    }
  }
  std::make_shared<AuthServerCall>(io, std::move(server), std::move(tls), std::move(body), std::move(done))
      ->start();
}

std::string authServerRequestBody(const AuthRequest& request) {
  const nlohmann::json body = {
      {"ip", request.ip},
      {"user", request.user},
      {"password", request.pass},
      {"token", request.token},
      {"action", std::string(actionName(request.action))},
      {"path", request.path},
      {"protocol", request.protocol},
      {"id", nullptr},
      {"query", request.query},
  };
  // Invalid UTF-8 from a client (a user name in Latin-1) is replaced, never a throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice::auth
