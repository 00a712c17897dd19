// HttpServer + WebrtcRoutes over real sockets, against a fake application.
#include "http/HttpServer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "RawHttpClient.h"
#include "http/WebrtcRoutes.h"

using namespace sluice::http;
using sluice::http::testing::buildRequest;
using sluice::http::testing::RawHttpClient;
using sluice::http::testing::RawResponse;

namespace {

const char* const kSecret = "0f8fad5b-d9cb-469f-a165-70867728950e";
const char* const kOffer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
const char* const kAnswer = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

class FakeWebrtcApp : public WebrtcHttpHandler {
 public:
  // Settings (set before requests are sent).
  std::set<std::string> configured{"cam", "floor/1", "a b", "<b>&"};
  std::set<std::string> ready{"cam"};
  std::set<std::string> onDemand{"a b"};
  std::vector<std::string> links{
      "<stun:stun.example.com:3478>; rel=\"ice-server\"",
      "<turn:turn.example.com:3478?transport=udp>; rel=\"ice-server\"; username=\"u\"; "
      "credential=\"p\"; credential-type=\"password\""};
  WhepCreateResult result{201, "", kAnswer, "11111111-2222-4333-8444-555555555555", kSecret};
  enum class CreateMode { Answer, Defer, Drop } createMode = CreateMode::Answer;
  int patchStatus = 204;
  std::string patchError;
  int deleteStatus = 200;
  std::string deleteError;

  // Observations (read after the response arrived).
  std::mutex mutex;
  WhepCreateRequest lastCreate;
  std::function<void(WhepCreateResult)> pendingDone;
  std::string lastPatchPath, lastPatchSecret, lastPatchBody;
  std::string lastDeletePath, lastDeleteSecret;
  std::atomic<int> creates{0};

  void createWhepSession(WhepCreateRequest request, std::function<void(WhepCreateResult)> done) override {
    std::lock_guard lock(mutex);
    ++creates;
    lastCreate = std::move(request);
    switch (createMode) {
      case CreateMode::Answer:
        done(result);
        break;
      case CreateMode::Defer:
        pendingDone = std::move(done);
        break;
      case CreateMode::Drop:
        break;
    }
  }
  int patchWhepSession(const std::string& path, const std::string& secret, const std::string& body,
                       std::string& error) override {
    std::lock_guard lock(mutex);
    lastPatchPath = path;
    lastPatchSecret = secret;
    lastPatchBody = body;
    error = patchError;
    return patchStatus;
  }
  int deleteWhepSession(const std::string& path, const std::string& secret, std::string& error) override {
    std::lock_guard lock(mutex);
    lastDeletePath = path;
    lastDeleteSecret = secret;
    error = deleteError;
    return deleteStatus;
  }
  bool pathConfigured(const std::string& path) override { return configured.count(path) != 0; }
  std::vector<PathListing> listPaths() override {
    std::vector<PathListing> out;
    for (const auto& name : configured) {
      out.push_back({name, ready.count(name) != 0, onDemand.count(name) != 0});
    }
    return out;
  }
  std::vector<std::string> iceServerLinks() override { return links; }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    options.address = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(io_, options, routes_.handler());
    std::string error;
    ASSERT_TRUE(server_->start(error)) << error;
    port_ = server_->boundPort();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      onIo([this] { server_->stop(); });
      guard_.reset();
      io_.stop();
      thread_.join();
    }
    server_.reset();
  }

  template <class F>
  void onIo(F f) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  RawResponse roundTrip(const std::string& request, bool head = false) {
    RawHttpClient client(port_);
    EXPECT_TRUE(client.connected());
    client.send(request);
    return client.read(head);
  }

  static void expectCommonHeaders(const RawResponse& r) {
    EXPECT_EQ(r.header("Server"), "sluice");
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
    EXPECT_TRUE(r.has("Date"));
  }

  static void expectJsonError(const RawResponse& r, int status, const std::string& message) {
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(r.body, "{\"status\":\"error\",\"error\":\"" + message + "\"}");
  }

  static void expectNotFoundPage(const RawResponse& r) {
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("Content-Type"), "text/plain");
    EXPECT_EQ(r.body, "404 page not found");
  }

  std::string postOffer(const std::string& target, const std::string& contentType = "application/sdp") {
    return buildRequest("POST", target, {{"Content-Type", contentType}}, kOffer);
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  FakeWebrtcApp app_;
  // The routes' access check; allows everything unless a test sets it (on the io thread).
  AccessCheck access_;
  WebrtcRoutes routes_{app_, [this](const HttpRequest& request, std::string_view action,
                                    std::string_view path, AccessDone done) {
                         if (access_) return access_(request, action, path, std::move(done));
                         done({AccessVerdict::Allowed, {}});
                       }};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, PreflightOnAnyUrl) {
  start();
  for (const char* url : {"/cam/whep", "/anything/at/all", "/cam/whep/" /*sic*/}) {
    RawResponse r = roundTrip(
        buildRequest("OPTIONS", url,
                     {{"Origin", "http://player.example.com"}, {"Access-Control-Request-Method", "POST"}}));
    ASSERT_TRUE(r.complete) << url;
    EXPECT_EQ(r.status, 204) << url;
    EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "OPTIONS, GET, POST, PATCH, DELETE");
    EXPECT_EQ(r.header("Access-Control-Allow-Headers"), "Authorization, Content-Type, If-Match");
    EXPECT_EQ(r.header("Server"), "sluice");
    EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
    EXPECT_FALSE(r.has("Content-Length"));
  }
}

TEST_F(HttpServerTest, WhepOptionsAdvertisesIceServers) {
  start();
  RawResponse r = roundTrip(buildRequest("OPTIONS", "/cam/whep"));
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 204);
  expectCommonHeaders(r);
  EXPECT_EQ(r.header("Accept-Post"), "application/sdp");
  EXPECT_EQ(r.header("Access-Control-Expose-Headers"), "Accept-Post, Link");
  EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "OPTIONS, GET, POST, PATCH, DELETE");
  EXPECT_EQ(r.all("Link"), app_.links);
}

TEST_F(HttpServerTest, PostCreatesSessionWithMediaMtxHeaders) {
  start();
  std::string request =
      buildRequest("POST", "/cam/whep?token=abc&x=1",
                   {{"Content-Type", "application/sdp"}, {"Authorization", "Bearer t"}}, kOffer);
  RawResponse r = roundTrip(request);
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 201);
  expectCommonHeaders(r);
  EXPECT_EQ(r.header("Content-Type"), "application/sdp");
  EXPECT_EQ(r.header("ETag"), "*");
  EXPECT_EQ(r.header("ID"), "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(r.header("Accept-Patch"), "application/trickle-ice-sdpfrag");
  EXPECT_EQ(r.header("Access-Control-Expose-Headers"), "ETag, ID, Accept-Patch, Link, Location");
  EXPECT_EQ(r.header("Location"), std::string("/cam/whep/") + kSecret + "?token=abc&x=1");
  EXPECT_EQ(r.all("Link"), app_.links);
  EXPECT_EQ(r.body, kAnswer);

  std::lock_guard lock(app_.mutex);
  EXPECT_EQ(app_.lastCreate.path, "cam");
  EXPECT_EQ(app_.lastCreate.query, "token=abc&x=1");
  EXPECT_EQ(app_.lastCreate.offer, kOffer);
  EXPECT_EQ(app_.lastCreate.authorization, "Bearer t");
  EXPECT_EQ(app_.lastCreate.remoteAddress.rfind("127.0.0.1:", 0), 0u) << app_.lastCreate.remoteAddress;
}

TEST_F(HttpServerTest, PostOnNestedAndEncodedPaths) {
  start();
  RawResponse r = roundTrip(postOffer("/floor/1/whep"));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("Location"), std::string("/floor/1/whep/") + kSecret);
  {
    std::lock_guard lock(app_.mutex);
    EXPECT_EQ(app_.lastCreate.path, "floor/1");
  }
  r = roundTrip(postOffer("/a%20b/whep"));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("Location"), std::string("/a%20b/whep/") + kSecret);
  // A decoded CR in the path must not break the Location header.
  r = roundTrip(postOffer("/x%0DInjected:%20yes/whep"));
  EXPECT_EQ(r.status, 201);
  EXPECT_FALSE(r.has("Injected"));
  EXPECT_EQ(r.header("Location"), std::string("/x%0DInjected:%20yes/whep/") + kSecret);
  // Go's regexes don't match across a newline: such a path is no WHEP endpoint.
  expectNotFoundPage(roundTrip(postOffer("/x%0Ay/whep")));
}

TEST_F(HttpServerTest, PostContentTypeParametersAreAccepted) {
  start();
  EXPECT_EQ(roundTrip(postOffer("/cam/whep", "Application/SDP; charset=utf-8")).status, 201);
}

TEST_F(HttpServerTest, PostRejectsWrongContentType) {
  start();
  RawResponse r = roundTrip(postOffer("/cam/whep", "text/plain"));
  expectJsonError(r, 400, "invalid Content-Type");
  expectCommonHeaders(r);
  r = roundTrip(buildRequest("POST", "/cam/whep", {}, kOffer));
  expectJsonError(r, 400, "invalid Content-Type");
  EXPECT_EQ(app_.creates.load(), 0);
}

TEST_F(HttpServerTest, PostErrorsUseTheAppStatus) {
  start();
  app_.result = WhepCreateResult{404, "no stream is available on path 'cam'", "", "", ""};
  expectJsonError(roundTrip(postOffer("/cam/whep")), 404, "no stream is available on path 'cam'");
  app_.result = WhepCreateResult{400, "path 'nope' is not configured", "", "", ""};
  expectJsonError(roundTrip(postOffer("/nope/whep")), 400, "path 'nope' is not configured");
  app_.result = WhepCreateResult{400, "codecs not supported by client", "", "", ""};
  expectJsonError(roundTrip(postOffer("/cam/whep")), 400, "codecs not supported by client");
  // An error message with a success status is still an error.
  app_.result = WhepCreateResult{201, "boom", "", "", ""};
  expectJsonError(roundTrip(postOffer("/cam/whep")), 500, "boom");
}

TEST_F(HttpServerTest, UnauthorizedWithoutCredentialsGetsChallenge) {
  start();
  app_.result = WhepCreateResult{401, "authentication failed", "", "", ""};
  RawResponse r = roundTrip(postOffer("/cam/whep"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"mediamtx\"");
  r = roundTrip(buildRequest("POST", "/cam/whep",
                             {{"Content-Type", "application/sdp"}, {"Authorization", "Basic dTpw"}}, kOffer));
  expectJsonError(r, 401, "authentication failed");
  EXPECT_FALSE(r.has("WWW-Authenticate"));
}

TEST_F(HttpServerTest, AsyncCreateIsAnsweredLaterWithoutBlockingOthers) {
  start();
  app_.createMode = FakeWebrtcApp::CreateMode::Defer;
  RawHttpClient slow(port_);
  ASSERT_TRUE(slow.send(postOffer("/cam/whep?q=1")));
  EXPECT_FALSE(slow.hasData(300));  // waiting for the app

  // Meanwhile the server keeps serving.
  RawResponse other = roundTrip(buildRequest("GET", "/cam/reader.js"));
  EXPECT_EQ(other.status, 200);

  onIo([&] {
    std::lock_guard lock(app_.mutex);
    ASSERT_TRUE(app_.pendingDone);
    app_.pendingDone(app_.result);
    app_.pendingDone(WhepCreateResult{500, "second answer is ignored", "", "", ""});
  });
  RawResponse r = slow.read();
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("Location"), std::string("/cam/whep/") + kSecret + "?q=1");
  EXPECT_EQ(r.body, kAnswer);
  // The connection stays usable afterwards.
  ASSERT_TRUE(slow.send(buildRequest("GET", "/favicon.ico")));
  expectNotFoundPage(slow.read());
}

TEST_F(HttpServerTest, AsyncCreateAnsweredFromAnotherThreadIsDelivered) {
  start();
  app_.createMode = FakeWebrtcApp::CreateMode::Defer;
  RawHttpClient client(port_);
  ASSERT_TRUE(client.send(postOffer("/cam/whep")));
  std::function<void(WhepCreateResult)> done;
  for (int i = 0; i < 200 && !done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard lock(app_.mutex);
    done = app_.pendingDone;
  }
  ASSERT_TRUE(done);
  std::thread([&] { done(app_.result); }).join();
  EXPECT_EQ(client.read().status, 201);
  onIo([&] {
    std::lock_guard lock(app_.mutex);
    app_.pendingDone = nullptr;
    done = nullptr;
  });
}

TEST_F(HttpServerTest, DroppedCreateCallbackAnswers500) {
  start();
  app_.createMode = FakeWebrtcApp::CreateMode::Drop;
  RawResponse r = roundTrip(postOffer("/cam/whep"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
}

TEST_F(HttpServerTest, PatchSendsCanonicalSecretAndBody) {
  start();
  const std::string frag = "a=ice-ufrag:abcd\r\na=ice-pwd:x\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n";
  RawResponse r =
      roundTrip(buildRequest("PATCH", "/floor/1/whep/0F8FAD5B-D9CB-469F-A165-70867728950E",
                             {{"Content-Type", "application/trickle-ice-sdpfrag"}, {"If-Match", "*"}}, frag));
  EXPECT_EQ(r.status, 204);
  expectCommonHeaders(r);
  EXPECT_TRUE(r.body.empty());
  std::lock_guard lock(app_.mutex);
  EXPECT_EQ(app_.lastPatchPath, "floor/1");
  EXPECT_EQ(app_.lastPatchSecret, kSecret);
  EXPECT_EQ(app_.lastPatchBody, frag);
}

TEST_F(HttpServerTest, PatchErrors) {
  start();
  const std::string url = std::string("/cam/whep/") + kSecret;
  expectJsonError(roundTrip(buildRequest("PATCH", "/cam/whep/not-a-uuid",
                                         {{"Content-Type", "application/trickle-ice-sdpfrag"}}, "x")),
                  400, "invalid secret");
  expectJsonError(roundTrip(buildRequest("PATCH", url, {{"Content-Type", "application/sdp"}}, "x")), 400,
                  "invalid Content-Type");
  app_.patchStatus = 404;
  app_.patchError = "session not found";
  expectJsonError(
      roundTrip(buildRequest("PATCH", url, {{"Content-Type", "application/trickle-ice-sdpfrag"}}, "x")), 404,
      "session not found");
  app_.patchStatus = 400;
  app_.patchError = "invalid candidate";
  expectJsonError(
      roundTrip(buildRequest("PATCH", url, {{"Content-Type", "application/trickle-ice-sdpfrag"}}, "x")), 400,
      "invalid candidate");
}

TEST_F(HttpServerTest, DeleteSession) {
  start();
  RawResponse r = roundTrip(buildRequest("DELETE", std::string("/cam/whep/") + kSecret));
  EXPECT_EQ(r.status, 200);
  expectCommonHeaders(r);
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}");
  {
    std::lock_guard lock(app_.mutex);
    EXPECT_EQ(app_.lastDeletePath, "cam");
    EXPECT_EQ(app_.lastDeleteSecret, kSecret);
  }
  expectJsonError(roundTrip(buildRequest("DELETE", "/cam/whep/1234")), 400, "invalid secret");
  app_.deleteStatus = 404;
  app_.deleteError = "session not found";
  expectJsonError(roundTrip(buildRequest("DELETE", std::string("/cam/whep/") + kSecret)), 404,
                  "session not found");
}

TEST_F(HttpServerTest, WhepEndpointRejectsGetHeadPut) {
  start();
  expectJsonError(roundTrip(buildRequest("GET", "/cam/whep")), 405, "method not allowed");
  expectJsonError(roundTrip(buildRequest("PUT", "/cam/whep", {}, "x")), 405, "method not allowed");
  RawResponse head = roundTrip(buildRequest("HEAD", "/cam/whep"), /*head=*/true);
  EXPECT_EQ(head.status, 405);
  EXPECT_EQ(head.header("Content-Length"), "47");  // the GET body's size, no body sent
  // Methods the endpoints don't know fall through to the default 404.
  expectNotFoundPage(roundTrip(buildRequest("DELETE", "/cam/whep")));
  expectNotFoundPage(roundTrip(buildRequest("GET", std::string("/cam/whep/") + kSecret)));
  expectNotFoundPage(roundTrip(buildRequest("POST", std::string("/cam/whep/") + kSecret, {}, "x")));
}

TEST_F(HttpServerTest, PathWithoutSlashRedirectsKeepingQuery) {
  start();
  RawResponse r = roundTrip(buildRequest("GET", "/cam?controls=0&muted=no"));
  EXPECT_EQ(r.status, 302);
  expectCommonHeaders(r);
  EXPECT_EQ(r.header("Location"), "/cam/?controls=0&muted=no");
  r = roundTrip(buildRequest("GET", "/floor/1"));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.header("Location"), "/floor/1/");
  r = roundTrip(buildRequest("GET", "/a%20b"));
  EXPECT_EQ(r.header("Location"), "/a%20b/");
  expectNotFoundPage(roundTrip(buildRequest("GET", "/unknown")));
}

TEST_F(HttpServerTest, PlayerPageForConfiguredPaths) {
  start();
  RawResponse r = roundTrip(buildRequest("GET", "/cam/?autoplay=false"));
  EXPECT_EQ(r.status, 200);
  expectCommonHeaders(r);
  EXPECT_EQ(r.header("Content-Type"), "text/html");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_NE(r.body.find("<video"), std::string::npos);
  EXPECT_NE(r.body.find("reader.js"), std::string::npos);
  EXPECT_EQ(r.body.find("http://"), std::string::npos);  // no external resources
  EXPECT_EQ(r.body.find("https://"), std::string::npos);
  EXPECT_EQ(roundTrip(buildRequest("GET", "/floor/1/")).status, 200);
  expectNotFoundPage(roundTrip(buildRequest("GET", "/nope/")));
  expectNotFoundPage(roundTrip(buildRequest("GET", "//")));
  expectNotFoundPage(roundTrip(buildRequest("POST", "/cam/", {}, "x")));
  expectNotFoundPage(roundTrip(buildRequest("OPTIONS", "/cam/")));
}

TEST_F(HttpServerTest, ReaderScript) {
  start();
  RawResponse r = roundTrip(buildRequest("GET", "/floor/1/reader.js"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/javascript");
  EXPECT_EQ(r.header("Cache-Control"), "max-age=3600");
  EXPECT_NE(r.body.find("class WhepReader"), std::string::npos);
}

TEST_F(HttpServerTest, IndexListsPathsEscaped) {
  start();
  RawResponse r = roundTrip(buildRequest("GET", "/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/html");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_NE(r.body.find("<tr data-path=\"cam\" data-ready=\"true\"><td><a href=\"/cam/\">cam</a></td>"
                        "<td class=\"ready\">ready</td>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<tr data-path=\"floor/1\" data-ready=\"false\">"), std::string::npos);
  EXPECT_NE(r.body.find("<a href=\"/floor/1/\">floor/1</a></td><td class=\"waiting\">not ready</td>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<a href=\"/%3Cb%3E&amp;/\">&lt;b&gt;&amp;</a>"), std::string::npos);
  EXPECT_EQ(r.body.find("<b>&"), std::string::npos);
  EXPECT_EQ(r.body.find("SLUICE_PATH_ROWS"), std::string::npos);
}

TEST_F(HttpServerTest, IndexIsTheCameraWall) {
  start();
  RawResponse r = roundTrip(buildRequest("GET", "/?layout=9"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/html");
  EXPECT_NE(r.body.find("<script src=\"reader.js\"></script>"), std::string::npos);
  EXPECT_NE(r.body.find("window.sluiceWall"), std::string::npos);
  EXPECT_NE(r.body.find("<tr data-path=\"cam\" data-ready=\"true\">"), std::string::npos);
  // No external resources: the page works offline.
  EXPECT_EQ(r.body.find("http://"), std::string::npos);
  EXPECT_EQ(r.body.find("https://"), std::string::npos);
}

TEST_F(HttpServerTest, IndexListQueryIsJsonSortedAndEscaped) {
  start();
  const std::string expected =
      "{\"items\":[{\"name\":\"\\u003cb\\u003e\\u0026\",\"ready\":false,\"sourceOnDemand\":false},"
      "{\"name\":\"a b\",\"ready\":false,\"sourceOnDemand\":true},"
      "{\"name\":\"cam\",\"ready\":true,\"sourceOnDemand\":false},"
      "{\"name\":\"floor/1\",\"ready\":false,\"sourceOnDemand\":false}]}";
  for (const char* target : {"/?list", "/?list=1", "/?token=x&list", "/?list&user=u&pass=p"}) {
    RawResponse r = roundTrip(buildRequest("GET", target));
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8") << target;
    EXPECT_EQ(r.header("Cache-Control"), "no-cache") << target;
    EXPECT_EQ(r.body, expected) << target;
  }
  // "listing" is not "list": the page.
  EXPECT_EQ(roundTrip(buildRequest("GET", "/?listing")).header("Content-Type"), "text/html");
  app_.configured.clear();
  EXPECT_EQ(roundTrip(buildRequest("GET", "/?list")).body, "{\"items\":[]}");
}

TEST_F(HttpServerTest, FaviconAndUnknownUrlsAre404Text) {
  start();
  RawResponse r = roundTrip(buildRequest("GET", "/favicon.ico"));
  expectNotFoundPage(r);
  expectCommonHeaders(r);
  expectNotFoundPage(roundTrip(buildRequest("BREW", "/cam/")));
}

TEST_F(HttpServerTest, EmptyPathIsBadRequest) {
  start();
  RawResponse r = roundTrip("GET http://127.0.0.1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  r = roundTrip("OPTIONS * HTTP/1.1\r\nHost: x\r\nAccess-Control-Request-Method: POST\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  // Absolute-form with a path is routed normally.
  EXPECT_EQ(roundTrip("GET http://127.0.0.1/cam/ HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TEST_F(HttpServerTest, CorsEchoesAllowedOriginsOnly) {
  HttpServerOptions options;
  options.allowOrigins = {"http://*.example.com", "https://player.test"};
  start(options);
  RawResponse r = roundTrip(buildRequest("GET", "/cam/", {{"Origin", "http://a.example.com"}}));
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "http://a.example.com");
  EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(r.header("Vary"), "Origin");
  r = roundTrip(buildRequest("OPTIONS", "/cam/whep",
                             {{"Origin", "https://player.test"}, {"Access-Control-Request-Method", "POST"}}));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://player.test");
  r = roundTrip(buildRequest("GET", "/cam/", {{"Origin", "http://evil.com"}}));
  EXPECT_FALSE(r.has("Access-Control-Allow-Origin"));
  EXPECT_FALSE(r.has("Access-Control-Allow-Credentials"));
  r = roundTrip(buildRequest("GET", "/cam/"));
  EXPECT_FALSE(r.has("Access-Control-Allow-Origin"));
}

TEST_F(HttpServerTest, WildcardAllowOriginStillEchoesNothingButStar) {
  start();
  RawResponse r = roundTrip(buildRequest(
      "POST", "/cam/whep", {{"Content-Type", "application/sdp"}, {"Origin", "http://x.test"}}, kOffer));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
}

TEST_F(HttpServerTest, OversizeBodyIs413AndCloses) {
  start();
  RawHttpClient client(port_);
  std::string body(128 * 1024 + 1, 'x');
  client.send(buildRequest("POST", "/cam/whep", {{"Content-Type", "application/sdp"}}, body));
  RawResponse r = client.read();
  ASSERT_TRUE(r.complete);
  expectJsonError(r, 413, "request body too large");
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(client.waitClosed());
  EXPECT_EQ(app_.creates.load(), 0);

  // Exactly the limit is fine.
  std::string atLimit(128 * 1024, 'x');
  EXPECT_EQ(
      roundTrip(buildRequest("POST", "/cam/whep", {{"Content-Type", "application/sdp"}}, atLimit)).status,
      201);
}

TEST_F(HttpServerTest, OversizeChunkedBodyIs413) {
  start();
  RawHttpClient client(port_);
  std::string request =
      "POST /cam/whep HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nTransfer-Encoding: "
      "chunked\r\n\r\n";
  std::string chunk(64 * 1024, 'y');
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", chunk.size());
  for (int i = 0; i < 3; ++i) request += size + chunk + "\r\n";
  request += "0\r\n\r\n";
  client.send(request);
  RawResponse r = client.read();
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 413);
}

TEST_F(HttpServerTest, ChunkedBodyWithinLimitWorks) {
  start();
  std::string offer = kOffer;
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", offer.size());
  RawResponse r = roundTrip(
      "POST /cam/whep HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      std::string(size) + offer + "\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 201);
  std::lock_guard lock(app_.mutex);
  EXPECT_EQ(app_.lastCreate.offer, offer);
}

TEST_F(HttpServerTest, ExpectContinueIsHonoured) {
  start();
  RawHttpClient client(port_);
  std::string head =
      "POST /cam/whep HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(std::strlen(kOffer)) + "\r\n\r\n";
  client.send(head);
  RawResponse interim = client.read();
  ASSERT_TRUE(interim.complete);
  EXPECT_EQ(interim.status, 100);
  client.send(kOffer);
  EXPECT_EQ(client.read().status, 201);
}

TEST_F(HttpServerTest, OversizeHeaderIs431) {
  start();
  RawHttpClient client(port_);
  client.send("GET /cam/ HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  RawResponse r = client.read();
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(client.waitClosed());
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndClose) {
  start();
  // Beast serves HTTP/1.0 and 1.1 only; other versions are answered 400 (Go: 505).
  for (const char* garbage : {"GARBAGE\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                              "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                              "GET / HTTP/1.1\r\nBad Header\r\n\r\n", "G@T / HTTP/1.1\r\n\r\n"}) {
    RawHttpClient client(port_);
    client.send(garbage);
    RawResponse r = client.read();
    ASSERT_TRUE(r.complete) << garbage;
    EXPECT_EQ(r.status, 400) << garbage;
    EXPECT_EQ(r.header("Server"), "sluice");
    EXPECT_TRUE(client.waitClosed()) << garbage;
  }
}

TEST_F(HttpServerTest, ErrorAfterHeadRequestStillHasABody) {
  start();
  RawHttpClient client(port_);
  client.send(buildRequest("HEAD", "/cam/", {{"Origin", "http://x.test"}}));
  EXPECT_EQ(client.read(/*head=*/true).status, 200);
  client.send("NOT HTTP AT ALL\r\n\r\n");
  RawResponse r = client.read();
  ASSERT_TRUE(r.complete);
  expectJsonError(r, 400, "malformed request");
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
}

TEST_F(HttpServerTest, BadPercentEscapeIs400) {
  start();
  RawHttpClient client(port_);
  client.send(buildRequest("GET", "/cam%zz/"));
  EXPECT_EQ(client.read().status, 400);
  EXPECT_TRUE(client.waitClosed());
}

TEST_F(HttpServerTest, GarbageAndHalfOpenConnectionsDontDisturbOthers) {
  HttpServerOptions options;
  options.readTimeout = std::chrono::milliseconds(1000);
  start(options);

  // A stalled request, an idle connection and a pending async create stay open...
  RawHttpClient stalled(port_);
  stalled.send("POST /cam/whep HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf");
  RawHttpClient silent(port_);
  RawHttpClient halfHeader(port_);
  halfHeader.send("GET /cam/ HTTP/1.1\r\nHo");

  // ...while random binary junk hits other connections.
  std::mt19937 rng(7);
  std::vector<std::unique_ptr<RawHttpClient>> junk;
  for (int i = 0; i < 20; ++i) {
    std::string bytes(1 + rng() % 3000, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    junk.push_back(std::make_unique<RawHttpClient>(port_));
    junk.back()->send(bytes);
  }

  // A valid request is served at once.
  auto t0 = std::chrono::steady_clock::now();
  RawResponse r = roundTrip(postOffer("/cam/whep"));
  EXPECT_EQ(r.status, 201);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(800));

  // Junk connections are answered (400) or dropped; either way they end.
  for (auto& j : junk) EXPECT_TRUE(j->waitClosed(3000));
  // Stalled ones are closed by the read timeout, without an answer.
  EXPECT_TRUE(stalled.waitClosed(3000));
  EXPECT_TRUE(silent.waitClosed(3000));
  EXPECT_TRUE(halfHeader.waitClosed(3000));

  EXPECT_EQ(roundTrip(buildRequest("GET", "/cam/")).status, 200);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  RawHttpClient client(port_);
  std::string batch = buildRequest("GET", "/cam/reader.js") + buildRequest("OPTIONS", "/cam/whep") +
                      postOffer("/cam/whep?n=3") + buildRequest("HEAD", "/cam/") +
                      buildRequest("DELETE", std::string("/cam/whep/") + kSecret) +
                      buildRequest("GET", "/favicon.ico");
  client.send(batch);
  RawResponse r1 = client.read();
  EXPECT_EQ(r1.status, 200);
  EXPECT_NE(r1.body.find("WhepReader"), std::string::npos);
  EXPECT_EQ(client.read().status, 204);
  RawResponse r3 = client.read();
  EXPECT_EQ(r3.status, 201);
  EXPECT_EQ(r3.header("Location"), std::string("/cam/whep/") + kSecret + "?n=3");
  RawResponse r4 = client.read(/*head=*/true);
  EXPECT_EQ(r4.status, 200);
  EXPECT_NE(r4.header("Content-Length"), "0");
  RawResponse r5 = client.read();
  EXPECT_EQ(r5.body, "{\"status\":\"ok\"}");
  expectNotFoundPage(client.read());
  EXPECT_FALSE(client.hasData(100));
}

TEST_F(HttpServerTest, PipelinedBehindAsyncCreateWaitsItsTurn) {
  start();
  app_.createMode = FakeWebrtcApp::CreateMode::Defer;
  RawHttpClient client(port_);
  client.send(postOffer("/cam/whep") + buildRequest("GET", "/favicon.ico"));
  EXPECT_FALSE(client.hasData(200));
  onIo([&] {
    std::lock_guard lock(app_.mutex);
    app_.pendingDone(app_.result);
  });
  EXPECT_EQ(client.read().status, 201);
  expectNotFoundPage(client.read());
}

TEST_F(HttpServerTest, KeepAliveAndIdleTimeout) {
  HttpServerOptions options;
  options.idleTimeout = std::chrono::milliseconds(300);
  start(options);
  RawHttpClient client(port_);
  for (int i = 0; i < 3; ++i) {
    client.send(buildRequest("GET", "/cam/"));
    RawResponse r = client.read();
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(r.has("Connection"));
  }
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.waitClosed(3000));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10) {
  start();
  {
    RawHttpClient client(port_);
    client.send(buildRequest("GET", "/cam/", {{"Connection", "close"}}));
    RawResponse r = client.read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Connection"), "close");
    EXPECT_TRUE(client.waitClosed());
  }
  {
    RawHttpClient client(port_);
    client.send("GET /cam/ HTTP/1.0\r\n\r\n");
    RawResponse r = client.read();
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(client.waitClosed());
  }
}

TEST_F(HttpServerTest, ClientClosingWhileCreatePendingIsHarmless) {
  start();
  app_.createMode = FakeWebrtcApp::CreateMode::Defer;
  {
    RawHttpClient client(port_);
    client.send(postOffer("/cam/whep"));
    for (int i = 0; i < 200 && app_.creates.load() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  onIo([&] {
    std::lock_guard lock(app_.mutex);
    ASSERT_TRUE(app_.pendingDone);
    app_.pendingDone(app_.result);
  });
  EXPECT_EQ(roundTrip(buildRequest("GET", "/cam/")).status, 200);
}

TEST_F(HttpServerTest, ManyConcurrentConnections) {
  start();
  constexpr int kClients = 300;
  std::vector<std::unique_ptr<RawHttpClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawHttpClient>(port_));
    ASSERT_TRUE(clients.back()->connected());
  }
  for (auto& c : clients) c->send(buildRequest("GET", "/cam/reader.js"));
  int ok = 0;
  for (auto& c : clients) ok += c->read().status == 200;
  EXPECT_EQ(ok, kClients);
  std::size_t open = 0;
  onIo([&] { open = server_->connectionCount(); });
  EXPECT_EQ(open, static_cast<size_t>(kClients));
}

TEST_F(HttpServerTest, ConnectionLimitClosesExtraConnections) {
  HttpServerOptions options;
  options.maxConnections = 2;
  start(options);
  RawHttpClient a(port_), b(port_);
  a.send(buildRequest("GET", "/cam/"));
  b.send(buildRequest("GET", "/cam/"));
  EXPECT_EQ(a.read().status, 200);
  EXPECT_EQ(b.read().status, 200);
  RawHttpClient c(port_);
  EXPECT_TRUE(c.waitClosed(2000));
}

TEST_F(HttpServerTest, StopClosesConnectionsAndPendingRequests) {
  start();
  app_.createMode = FakeWebrtcApp::CreateMode::Defer;
  RawHttpClient pending(port_);
  pending.send(postOffer("/cam/whep"));
  RawHttpClient idle(port_);
  idle.send(buildRequest("GET", "/cam/"));
  EXPECT_EQ(idle.read().status, 200);
  for (int i = 0; i < 200 && app_.creates.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  onIo([&] { server_->stop(); });
  EXPECT_TRUE(pending.waitClosed());
  EXPECT_TRUE(idle.waitClosed());
  // A late answer after stop is dropped quietly.
  onIo([&] {
    std::lock_guard lock(app_.mutex);
    ASSERT_TRUE(app_.pendingDone);
    app_.pendingDone(app_.result);
    app_.pendingDone = nullptr;
  });
  RawHttpClient refused(port_);
  EXPECT_FALSE(refused.connected());
}

TEST(HttpServerStart, ReportsUnusableAddresses) {
  boost::asio::io_context io;
  HttpServerOptions options;
  options.address = "no-port";
  HttpServer bad(io, options, nullptr);
  std::string error;
  EXPECT_FALSE(bad.start(error));
  EXPECT_NE(error.find("missing port"), std::string::npos) << error;

  options.address = "127.0.0.1:0";
  HttpServer first(io, options, nullptr);
  ASSERT_TRUE(first.start(error)) << error;
  options.address = "127.0.0.1:" + std::to_string(first.boundPort());
  HttpServer second(io, options, nullptr);
  EXPECT_FALSE(second.start(error));
  EXPECT_FALSE(error.empty());
}

TEST(HttpServerStart, ListensOnAllInterfacesWithEmptyHost) {
  boost::asio::io_context io;
  HttpServerOptions options;
  options.address = ":0";
  HttpServer server(io, options, [](HttpRequest, HttpResponder respond) {
    respond(textResponse(200, "text/plain", "hi"));
  });
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;
  std::thread t([&] { io.run_for(std::chrono::seconds(2)); });
  RawHttpClient client(server.boundPort());  // IPv4 loopback reaches the dual-stack socket
  ASSERT_TRUE(client.connected());
  client.send(buildRequest("GET", "/"));
  RawResponse r = client.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hi");
  io.stop();
  t.join();
}

}  // namespace

TEST_F(HttpServerTest, PerClientConnectionLimitAnswers429AndSparesOthers) {
  HttpServerOptions options;
  options.maxConnectionsPerClient = 2;
  start(options);
  RawHttpClient a(port_, "127.0.0.2"), b(port_, "127.0.0.2");
  ASSERT_TRUE(a.connected() && b.connected());
  a.send(buildRequest("GET", "/cam/"));
  b.send(buildRequest("GET", "/cam/"));
  EXPECT_EQ(a.read().status, 200);
  EXPECT_EQ(b.read().status, 200);
  // A third connection of the same client gets a JSON 429 and is closed.
  RawHttpClient c(port_, "127.0.0.2");
  c.send(buildRequest("GET", "/cam/"));
  RawResponse refused = c.read();
  ASSERT_TRUE(refused.complete);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(refused.body, "{\"status\":\"error\",\"error\":\"too many connections from this address\"}");
  EXPECT_TRUE(c.waitClosed(2000));
  // Another client is not affected.
  RawHttpClient other(port_, "127.0.0.3");
  other.send(buildRequest("GET", "/cam/"));
  EXPECT_EQ(other.read().status, 200);
  uint64_t refusedCount = 0;
  onIo([&] { refusedCount = server_->refusedConnections(); });
  EXPECT_EQ(refusedCount, 1u);
  // Once one of its connections is closed, the client may open another.
  a.send(buildRequest("GET", "/cam/", {{"Connection", "close"}}));
  EXPECT_EQ(a.read().status, 200);
  EXPECT_TRUE(a.waitClosed(2000));
  // The server keeps a closed connection's slot while it lingers for the client's FIN (at most
  // kLingerTime, 1 s), so allow well beyond that on a loaded machine.
  bool served = false;
  for (int i = 0; i < 150 && !served; ++i) {
    RawHttpClient d(port_, "127.0.0.2");
    d.send(buildRequest("GET", "/cam/"));
    served = d.read().status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);
  // This host's own 127.0.0.1 (a local reverse proxy, local tools) is not limited.
  std::vector<std::unique_ptr<RawHttpClient>> local;
  for (int i = 0; i < 5; ++i) {
    local.push_back(std::make_unique<RawHttpClient>(port_, "127.0.0.1"));
    local.back()->send(buildRequest("GET", "/cam/"));
  }
  for (auto& c : local) EXPECT_EQ(c->read().status, 200);
}

TEST_F(HttpServerTest, ReadAccessGatesWhepAndPlayerPage) {
  // A check that answers later, as the real one does after a wrong password.
  std::vector<std::pair<std::string, std::string>> asked;  // action, path
  std::vector<AccessDone> pending;
  access_ = [&](const HttpRequest& request, std::string_view action, std::string_view path, AccessDone done) {
    asked.emplace_back(std::string(action), std::string(path));
    if (request.header("Authorization") == "Basic dTpw") return done({AccessVerdict::Allowed, {}});
    if (request.header("Authorization").empty()) return done({AccessVerdict::AskCredentials, {}});
    pending.push_back(std::move(done));
  };
  start();
  // No credentials: 401 with the challenge; the app never sees the offer.
  RawResponse r = roundTrip(postOffer("/cam/whep"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"mediamtx\"");
  EXPECT_EQ(app_.creates.load(), 0);
  // Wrong credentials: no answer until the check answers; others are served meanwhile.
  RawHttpClient wrong(port_);
  const HttpHeaders sdp = {{"Content-Type", "application/sdp"}};
  HttpHeaders wrongHeaders = sdp, rightHeaders = sdp;
  wrongHeaders.emplace_back("Authorization", "Basic eDp5");
  rightHeaders.emplace_back("Authorization", "Basic dTpw");
  wrong.send(buildRequest("POST", "/cam/whep", wrongHeaders, kOffer));
  EXPECT_FALSE(wrong.hasData(200));
  RawResponse right = roundTrip(buildRequest("POST", "/cam/whep", rightHeaders, kOffer));
  EXPECT_EQ(right.status, 201);
  EXPECT_EQ(app_.creates.load(), 1);
  onIo([&] {
    ASSERT_EQ(pending.size(), 1u);
    pending.front()({AccessVerdict::Denied, {}});
    pending.clear();
  });
  RawResponse denied = wrong.read();
  expectJsonError(denied, 401, "authentication error");
  EXPECT_FALSE(denied.has("WWW-Authenticate"));
  EXPECT_EQ(app_.creates.load(), 1);
  // Throttled: 429 with the check's message.
  onIo([&] {
    access_ = [&](const HttpRequest&, std::string_view, std::string_view, AccessDone done) {
      done({AccessVerdict::Throttled, "slow down"});
    };
  });
  expectJsonError(roundTrip(buildRequest("GET", "/cam/", {{"Authorization", "Basic eDp5"}})), 429,
                  "slow down");
  onIo([&] { access_ = nullptr; });
  // The non-preflight OPTIONS and the player page are checked too, for `read` on the path;
  // the preflight, the script, the index and unknown paths are not.
  onIo([&] {
    asked.clear();
    access_ = [&](const HttpRequest&, std::string_view action, std::string_view path, AccessDone done) {
      asked.emplace_back(std::string(action), std::string(path));
      done({AccessVerdict::AskCredentials, {}});
    };
  });
  EXPECT_EQ(roundTrip(buildRequest("OPTIONS", "/floor/1/whep")).status, 401);
  EXPECT_EQ(roundTrip(buildRequest("GET", "/floor/1/")).status, 401);
  EXPECT_EQ(roundTrip(buildRequest("HEAD", "/cam/"), true).status, 401);
  EXPECT_EQ(
      roundTrip(buildRequest("OPTIONS", "/cam/whep", {{"Access-Control-Request-Method", "POST"}})).status,
      204);
  EXPECT_EQ(roundTrip(buildRequest("GET", "/cam/reader.js")).status, 200);
  EXPECT_EQ(roundTrip(buildRequest("GET", "/")).status, 200);
  EXPECT_EQ(roundTrip(buildRequest("GET", "/nope/")).status, 404);
  EXPECT_EQ(roundTrip(postOffer("/nope/whep")).status, 201);  // the app answers unknown paths
  std::vector<std::pair<std::string, std::string>> seen;
  onIo([&] {
    seen = asked;
    access_ = nullptr;
  });
  std::vector<std::pair<std::string, std::string>> expected{
      {"read", "floor/1"}, {"read", "floor/1"}, {"read", "cam"}};
  EXPECT_EQ(seen, expected);
}

namespace {

// A server on its own thread whose handler answers with the request's remoteAddress.
class EchoAddressServer {
 public:
  explicit EchoAddressServer(HttpServerOptions options) {
    options.address = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(io_, options, [](HttpRequest request, HttpResponder respond) {
      respond(textResponse(200, "text/plain", request.remoteAddress));
    });
    std::string error;
    started_ = server_->start(error);
    EXPECT_TRUE(started_) << error;
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoAddressServer() {
    boost::asio::post(io_, [this] { server_->stop(); });
    guard_.reset();
    thread_.join();
  }
  uint16_t port() const { return server_->boundPort(); }

  // The address the handler saw for a request from `source` with these headers.
  std::string seen(const char* source, std::vector<std::pair<std::string, std::string>> headers) {
    RawHttpClient client(port(), source);
    EXPECT_TRUE(client.connected());
    client.send(buildRequest("GET", "/", headers));
    RawResponse r = client.read();
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  bool started_ = false;
};

std::string ipOf(const std::string& address) { return address.substr(0, address.rfind(':')); }

TEST(HttpServerTrustedProxies, ForwardedAddressOnlyFromTrustedPeers) {
  HttpServerOptions options;
  options.trustedProxies = {"127.0.0.1", "10.0.0.0/8"};
  EchoAddressServer server(options);
  EXPECT_EQ(ipOf(server.seen("127.0.0.1", {{"X-Forwarded-For", "198.51.100.7"}})), "198.51.100.7");
  EXPECT_EQ(ipOf(server.seen("127.0.0.1", {{"X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.0.0.1"}})),
            "198.51.100.7");
  // Two headers are one list: the last one is the nearest proxy's.
  EXPECT_EQ(
      ipOf(server.seen("127.0.0.1", {{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "198.51.100.8"}})),
      "198.51.100.8");
  EXPECT_EQ(server.seen("127.0.0.1", {{"X-Forwarded-For", "2001:db8::1"}}).substr(0, 14), "[2001:db8::1]:");
  EXPECT_EQ(ipOf(server.seen("127.0.0.1", {{"X-Real-Ip", "198.51.100.9"}})), "198.51.100.9");
  // Malformed: the peer stays the client.
  EXPECT_EQ(ipOf(server.seen("127.0.0.1", {{"X-Forwarded-For", "198.51.100.7:80"}})), "127.0.0.1");
  EXPECT_EQ(ipOf(server.seen("127.0.0.1", {})), "127.0.0.1");
  // An untrusted peer's headers are ignored.
  EXPECT_EQ(ipOf(server.seen("127.0.0.2", {{"X-Forwarded-For", "198.51.100.7"}})), "127.0.0.2");
  EXPECT_EQ(ipOf(server.seen("127.0.0.2", {{"X-Real-Ip", "198.51.100.7"}})), "127.0.0.2");
}

TEST(HttpServerTrustedProxies, NoTrustedProxiesMeansHeadersAreIgnored) {
  EchoAddressServer server(HttpServerOptions{});
  EXPECT_EQ(ipOf(server.seen("127.0.0.1", {{"X-Forwarded-For", "198.51.100.7"}})), "127.0.0.1");
}

TEST(HttpServerTrustedProxies, ConnectionLimitExemptsTheProxiesInsteadOfLoopback) {
  HttpServerOptions options;
  options.maxConnectionsPerClient = 2;
  options.trustedProxies = {"127.0.0.2"};
  EchoAddressServer server(options);
  auto holdThree = [&](const char* source) {
    std::vector<std::unique_ptr<RawHttpClient>> clients;
    std::vector<int> statuses;
    for (int i = 0; i < 3; ++i) {
      clients.push_back(std::make_unique<RawHttpClient>(server.port(), source));
      clients.back()->send(buildRequest("GET", "/"));
      statuses.push_back(clients.back()->read().status);
    }
    return statuses;
  };
  EXPECT_EQ(holdThree("127.0.0.2"), (std::vector<int>{200, 200, 200}));  // the proxy
  EXPECT_EQ(holdThree("127.0.0.1"), (std::vector<int>{200, 200, 429}));  // loopback is a client
}

TEST(HttpServerTls, MissingOrBadFilesAreNamedAtStart) {
  boost::asio::io_context io;
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls = true;
  options.tlsCertFile = "/nonexistent/server.crt";
  options.tlsKeyFile = "/nonexistent/server.key";
  std::string error;
  HttpServer missing(io, options, nullptr);
  EXPECT_FALSE(missing.start(error));
  EXPECT_EQ(error, "cannot read server certificate '/nonexistent/server.crt': No such file or directory");

  options.tlsCertFile = std::string(SLUICE_SOURCE_DIR) + "/CMakeLists.txt";  // readable, not PEM
  options.tlsKeyFile = options.tlsCertFile;
  HttpServer notPem(io, options, nullptr);
  EXPECT_FALSE(notPem.start(error));
  EXPECT_NE(error.find("holds no PEM certificate"), std::string::npos) << error;
  EXPECT_NE(error.find("CMakeLists.txt"), std::string::npos) << error;
}

TEST(HttpServerTrustedProxies, BadEntryFailsStart) {
  boost::asio::io_context io;
  HttpServerOptions options;
  options.address = "127.0.0.1:0";
  options.trustedProxies = {"proxy.example"};
  HttpServer server(io, options, nullptr);
  std::string error;
  EXPECT_FALSE(server.start(error));
  EXPECT_NE(error.find("'proxy.example'"), std::string::npos) << error;
}

}  // namespace
