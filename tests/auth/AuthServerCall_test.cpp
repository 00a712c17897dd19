// authMethod http: AccessControl asks an authentication server (a scripted HTTP server on
// loopback here) and turns its answer into a verdict, as MediaMTX's http method does.
#include "auth/AuthServerCall.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "auth/AccessControl.h"
#include "config/Config.h"

namespace sluice::auth {
namespace {

using namespace std::chrono_literals;

// Accepts one connection, reads one request and answers `response` (or nothing, when empty,
// until the client gives up). The request it read is in `request` once join() returned.
class ScriptedAuthServer {
 public:
  ScriptedAuthServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t n = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
  }
  ~ScriptedAuthServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

  void answerOnce(std::string response) {
    thread_ = std::thread([this, response = std::move(response)] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      for (;;) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
        const size_t end = request.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        const size_t cl = request.find("Content-Length: ");
        const size_t length = cl == std::string::npos ? 0 : std::stoul(request.substr(cl + 16));
        if (request.size() >= end + 4 + length) break;
      }
      if (!response.empty()) {
        (void)!::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      } else {
        while (::recv(c, buf, sizeof buf, 0) > 0) {  // until the client closes
        }
      }
      ::close(c);
    });
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  std::string body() const { return request.substr(request.find("\r\n\r\n") + 4); }

  std::string request;  // written by the server's thread until join()

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

std::shared_ptr<const AuthManager> httpMethod(const std::string& address,
                                              std::chrono::milliseconds timeout = 5s) {
  config::Config c;
  c.authMethod = "http";
  c.authHTTPAddress = address;
  c.readTimeout = timeout;
  return std::make_shared<const AuthManager>(AuthManager::fromConfig(c));
}

AuthRequest readRequest(std::string user = {}, std::string pass = {}) {
  AuthRequest r;
  r.ip = "192.0.2.9";
  r.action = Action::Read;
  r.path = "cam/1";
  r.user = std::move(user);
  r.pass = std::move(pass);
  r.protocol = "rtsp";
  r.query = "a=1&b=2";
  return r;
}

// askServer's verdict, run to completion on a loop of this thread.
AccessDecision ask(AccessControl& access, const AuthRequest& r) {
  boost::asio::io_context io;
  std::optional<AccessDecision> out;
  access.askServer(io, r, "RTSP", [&](AccessDecision d) { out = std::move(d); });
  EXPECT_FALSE(out) << "the verdict comes from the loop, never before askServer returns";
  io.run_for(10s);
  EXPECT_TRUE(out);
  return out.value_or(AccessDecision{});
}

TEST(AuthServer, A2xxAllowsAndTheServerGetsMediaMtxsJson) {
  ScriptedAuthServer server;
  server.answerOnce("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  AccessControl access(
      httpMethod("http://hook:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/auth?k=v"));
  const AuthRequest r = readRequest("viewer", "pw");
  ASSERT_EQ(access.check(r, "RTSP").verdict, AccessVerdict::AskServer);
  EXPECT_EQ(ask(access, r).verdict, AccessVerdict::Allowed);
  server.join();
  EXPECT_EQ(server.request.rfind("POST /auth?k=v HTTP/1.1\r\n", 0), 0u) << server.request;
  EXPECT_NE(server.request.find("Content-Type: application/json"), std::string::npos);
  // The credentials in authHTTPAddress go as Basic: hook:s3cret.
  EXPECT_NE(server.request.find("Authorization: Basic aG9vazpzM2NyZXQ="), std::string::npos)
      << server.request;
  const nlohmann::json body = nlohmann::json::parse(server.body());
  EXPECT_EQ(body["ip"], "192.0.2.9");
  EXPECT_EQ(body["user"], "viewer");
  EXPECT_EQ(body["password"], "pw");
  EXPECT_EQ(body["token"], "");
  EXPECT_EQ(body["action"], "read");
  EXPECT_EQ(body["path"], "cam/1");
  EXPECT_EQ(body["protocol"], "rtsp");
  EXPECT_TRUE(body["id"].is_null());
  EXPECT_EQ(body["query"], "a=1&b=2");
}

TEST(AuthServer, ARefusalDeniesSuppliedCredentialsAndAsksForMissingOnes) {
  ScriptedAuthServer withCredentials, without;
  withCredentials.answerOnce("HTTP/1.1 401 Unauthorized\r\nContent-Length: 9\r\n\r\nbad token");
  without.answerOnce("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  AccessControl a(httpMethod("http://127.0.0.1:" + std::to_string(withCredentials.port())));
  const AccessDecision denied = ask(a, readRequest("viewer", "wrong"));
  EXPECT_EQ(denied.verdict, AccessVerdict::Denied);
  EXPECT_LE(denied.delay, 4000ms);
  AccessControl b(httpMethod("http://127.0.0.1:" + std::to_string(without.port()) + "/"));
  EXPECT_EQ(ask(b, readRequest()).verdict, AccessVerdict::AskCredentials);
}

TEST(AuthServer, AServerThatCannotBeReachedOrIsSilentDenies) {
  int closedPort = 0;
  {
    ScriptedAuthServer gone;  // bound, then closed: nothing listens there any more
    closedPort = gone.port();
  }
  AccessControl unreachable(httpMethod("http://127.0.0.1:" + std::to_string(closedPort)));
  EXPECT_EQ(ask(unreachable, readRequest("viewer", "pw")).verdict, AccessVerdict::Denied);
  EXPECT_EQ(ask(unreachable, readRequest()).verdict, AccessVerdict::AskCredentials);

  ScriptedAuthServer silent;
  silent.answerOnce("");
  AccessControl slow(httpMethod("http://127.0.0.1:" + std::to_string(silent.port()), 300ms));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ask(slow, readRequest("viewer", "pw")).verdict, AccessVerdict::Denied);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << "readTimeout bounds the call";
}

TEST(AuthServer, ExcludedRequestsAndRefusedFormsAreDecidedWithoutAsking) {
  AccessControl access(httpMethod("http://127.0.0.1:9"));  // never called
  AuthRequest api;
  api.ip = "192.0.2.9";
  api.action = Action::Api;  // MediaMTX's default authHTTPExclude: api, metrics, pprof
  EXPECT_EQ(access.check(api, "API").verdict, AccessVerdict::Allowed);
  AuthRequest digest = readRequest("viewer");
  digest.unusableCredentials = true;
  EXPECT_EQ(access.check(digest, "RTSP").verdict, AccessVerdict::Denied);
  EXPECT_EQ(access.check(readRequest(), "RTSP").verdict, AccessVerdict::AskServer);
}

TEST(AuthServer, TheBodyIsValidJsonWhateverTheClientSent) {
  AuthRequest r = readRequest(std::string("us\"er\xff", 7), std::string("p\0w\n", 4));
  const nlohmann::json body = nlohmann::json::parse(authServerRequestBody(r));
  EXPECT_EQ(body["password"], std::string("p\0w\n", 4));
  EXPECT_EQ(body["user"].get<std::string>().substr(0, 5), "us\"er");
}

}  // namespace
}  // namespace sluice::auth
