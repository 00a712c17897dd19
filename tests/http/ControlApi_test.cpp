// Control API v3 over a real HttpServer, against a fake application.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "ApiTestSupport.h"
#include "http/ApiJson.h"
#include "http/ApiQuery.h"
#include "http/ControlApiRoutes.h"

using namespace sluice::http;
using namespace sluice::http::testing;
using json = nlohmann::ordered_json;

namespace {

const char* const kCamJson =
    R"({"name":"cam","confName":"cam","ready":true,"readyTime":"2026-08-22T10:00:00.123Z",)"
    R"("available":true,"availableTime":"2026-08-22T10:00:00.123Z",)"
    R"("online":true,"onlineTime":"2026-08-22T10:00:00.123Z","source":{"type":"rtspSource","id":""},)"
    R"("tracks":["H264","G711"],"tracks2":[{"codec":"H264","codecProps":{"width":1920,"height":1080,)"
    R"("profile":"Main","level":"4.1"}},{"codec":"G711","codecProps":{"muLaw":false,"sampleRate":8000,)"
    R"("channelCount":1}}],"readers":[{"type":"webRTCSession","id":"1884e185-7b0d-4c35-9d2e-5a0a8b3c1f11"}],)"
    R"("inboundBytes":123456,"outboundBytes":654321,"inboundFramesInError":2,"bytesReceived":123456,)"
    R"("bytesSent":654321})";

const char* const kSessionJson =
    R"({"id":"1884e185-7b0d-4c35-9d2e-5a0a8b3c1f11","created":"2026-08-22T10:00:05Z",)"
    R"("remoteAddr":"192.168.0.55:32342","peerConnectionEstablished":true,)"
    R"("localCandidate":"host/udp/192.168.1.74/8189","remoteCandidate":"prflx/udp/192.168.0.55/48883",)"
    R"("state":"read","path":"cam","query":"controls=0","user":"","userAgent":"Mozilla/5.0",)"
    R"("inboundBytes":0,"inboundRTPPackets":0,"inboundRTPPacketsLost":0,"inboundRTPPacketsJitter":0.5,)"
    R"("inboundRTCPPackets":12,"outboundBytes":469706375,"outboundRTPPackets":380000,"outboundRTCPPackets":300,)"
    R"("outboundFramesDiscarded":7,"bytesReceived":0,"bytesSent":469706375,"rtpPacketsReceived":0,)"
    R"("rtpPacketsSent":380000,"rtpPacketsLost":0,"rtpPacketsJitter":0.5,"rtcpPacketsReceived":12,)"
    R"("rtcpPacketsSent":300})";

class ControlApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PathItem floor;
    floor.name = "floor/1";
    floor.confName = "floor/1";
    floor.source = ApiPeer{"rtspSource", ""};
    backend_.pathItems = {floor, readyCamPath()};  // unsorted on purpose
    backend_.sessions = {camSession()};
    ASSERT_TRUE(server_.started()) << server_.error();
  }

  static void expectError(const RawResponse& r, int status, const std::string& message) {
    ASSERT_TRUE(r.complete);
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(r.body, json({{"status", "error"}, {"error", message}}).dump());
  }
  static void expectOk(const RawResponse& r) {
    ASSERT_TRUE(r.complete);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
  }
  static void expectNotFoundPage(const RawResponse& r) {
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, "404 page not found");
  }
  static json body(const RawResponse& r) { return json::parse(r.body); }

  FakeBackend backend_;
  ControlApiRoutes routes_{backend_};
  TestServer server_{routes_.handler(), [] {
                       HttpServerOptions o;
                       o.bodyLimit = kControlApiBodyLimit;
                       return o;
                     }()};
};

TEST_F(ControlApiTest, Info) {
  RawResponse r = server_.get("/v3/info");
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.body, R"({"version":"v1.20.1","started":"2026-08-22T10:00:00.123Z"})");
  RawResponse head = server_.request("HEAD", "/v3/info");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(ControlApiTest, PathItemHasMediaMtxFieldsInOrder) {
  RawResponse r = server_.get("/v3/paths/get/cam");
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kCamJson);
}

TEST_F(ControlApiTest, PathsListIsSortedAndPaginated) {
  RawResponse r = server_.get("/v3/paths/list");
  ASSERT_EQ(r.status, 200);
  json j = body(r);
  EXPECT_EQ(j["itemCount"], 2);
  EXPECT_EQ(j["pageCount"], 1);
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0].dump(), kCamJson);
  const json& floor = j["items"][1];
  EXPECT_EQ(floor["name"], "floor/1");
  EXPECT_EQ(floor["ready"], false);
  EXPECT_TRUE(floor["readyTime"].is_null());
  EXPECT_TRUE(floor["onlineTime"].is_null());
  EXPECT_EQ(floor["tracks"], json::array());
  EXPECT_EQ(floor["tracks2"], json::array());
  EXPECT_EQ(floor["readers"], json::array());
  EXPECT_EQ(floor["source"], json({{"type", "rtspSource"}, {"id", ""}}));
}

TEST_F(ControlApiTest, PaginationFollowsMediaMtx) {
  backend_.pathItems.clear();
  for (int i = 0; i < 5; ++i) {
    PathItem p;
    p.name = "p" + std::to_string(i);
    p.confName = "all_others";
    backend_.pathItems.push_back(p);
  }
  auto names = [](const json& j) {
    std::vector<std::string> out;
    for (const auto& item : j["items"]) out.push_back(item["name"]);
    return out;
  };
  json j = body(server_.get("/v3/paths/list?itemsPerPage=2&page=1"));
  EXPECT_EQ(j["itemCount"], 5);
  EXPECT_EQ(j["pageCount"], 3);
  EXPECT_EQ(names(j), (std::vector<std::string>{"p2", "p3"}));
  j = body(server_.get("/v3/paths/list?itemsPerPage=2&page=2"));
  EXPECT_EQ(names(j), (std::vector<std::string>{"p4"}));
  // Past the end: an empty page, not an error.
  j = body(server_.get("/v3/paths/list?itemsPerPage=2&page=7"));
  EXPECT_EQ(j["pageCount"], 3);
  EXPECT_EQ(j["items"], json::array());
  // Default 100 per page; empty values mean "default".
  j = body(server_.get("/v3/paths/list?itemsPerPage=&page="));
  EXPECT_EQ(j["pageCount"], 1);
  EXPECT_EQ(j["items"].size(), 5u);
  // The first of repeated keys wins; '+'/%XX decoding applies.
  j = body(server_.get("/v3/paths/list?itemsPerPage=%31&itemsPerPage=3"));
  EXPECT_EQ(j["pageCount"], 5);

  expectError(server_.get("/v3/paths/list?itemsPerPage=0"), 400, "invalid items per page");
  expectError(server_.get("/v3/paths/list?itemsPerPage=abc"), 400,
              "strconv.ParseUint: parsing \"abc\": invalid syntax");
  expectError(server_.get("/v3/paths/list?page=-1"), 400,
              "strconv.ParseUint: parsing \"-1\": invalid syntax");
  expectError(server_.get("/v3/paths/list?page=+1"), 400,
              "strconv.ParseUint: parsing \" 1\": invalid syntax");
  expectError(server_.get("/v3/paths/list?page=2147483648"), 400,
              "strconv.ParseUint: parsing \"2147483648\": value out of range");
  // 2^31-1 is still valid.
  j = body(server_.get("/v3/paths/list?itemsPerPage=2147483647&page=2147483647"));
  EXPECT_EQ(j["pageCount"], 1);
  EXPECT_EQ(j["items"], json::array());

  backend_.pathItems.clear();
  RawResponse empty = server_.get("/v3/paths/list?itemsPerPage=3");
  EXPECT_EQ(empty.body, R"({"itemCount":0,"pageCount":0,"items":[]})");
}

TEST_F(ControlApiTest, PathNamesMayContainSlashes) {
  EXPECT_EQ(body(server_.get("/v3/paths/get/floor/1"))["name"], "floor/1");
  EXPECT_EQ(body(server_.get("/v3/paths/get/floor%2F1"))["name"], "floor/1");
  expectError(server_.get("/v3/paths/get/"), 400, "invalid name");
  expectError(server_.get("/v3/paths/get"), 400, "invalid name");
  expectError(server_.get("/v3/paths/get/nope"), 404, "path not found");
  expectError(server_.get("/v3/paths/get/floor"), 404, "path not found");
}

TEST_F(ControlApiTest, ConfigGlobalAndPathDefaults) {
  RawResponse r = server_.get("/v3/config/global/get");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, backend_.globalJson);
  expectOk(server_.request("PATCH", "/v3/config/global/patch", {}, R"({"logLevel":"debug"})"));
  ASSERT_FALSE(backend_.calls.empty());
  EXPECT_EQ(backend_.calls.back(), R"(patchGlobal {"logLevel":"debug"})");

  EXPECT_EQ(server_.get("/v3/config/pathdefaults/get").body, backend_.pathDefaultsJson);
  expectOk(server_.request("PATCH", "/v3/config/pathdefaults/patch", {}, R"({"sourceOnDemand":true})"));
  EXPECT_EQ(backend_.calls.back(), R"(patchDefaults {"sourceOnDemand":true})");

  // Bad bodies never reach the backend.
  const size_t calls = backend_.calls.size();
  RawResponse bad = server_.request("PATCH", "/v3/config/global/patch", {}, "{\"logLevel\":");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(body(bad)["error"].get<std::string>().find("invalid JSON"), std::string::npos);
  expectError(server_.request("PATCH", "/v3/config/global/patch", {}, "[1,2]"), 400,
              "invalid JSON: expected an object");
  EXPECT_EQ(server_.request("PATCH", "/v3/config/global/patch", {}, "").status, 400);
  EXPECT_EQ(backend_.calls.size(), calls);

  // The backend's verdict is passed on.
  backend_.patchStatus = 400;
  backend_.patchError = "json: unknown field \"nope\"";
  expectError(server_.request("PATCH", "/v3/config/global/patch", {}, R"({"nope":1})"), 400,
              "json: unknown field \"nope\"");

  // Methods are strict.
  RawResponse wrong = server_.request("POST", "/v3/config/global/patch", {}, "{}");
  expectError(wrong, 405, "method not allowed");
  EXPECT_EQ(wrong.header("Allow"), "PATCH");
  EXPECT_EQ(server_.request("GET", "/v3/config/global/patch").status, 405);
}

TEST_F(ControlApiTest, ConfigPaths) {
  json list = body(server_.get("/v3/config/paths/list"));
  EXPECT_EQ(list["itemCount"], 2);
  EXPECT_EQ(list["pageCount"], 1);
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["name"], "cam");  // sorted despite the backend's order
  EXPECT_EQ(list["items"][1]["name"], "floor/1");
  json page = body(server_.get("/v3/config/paths/list?itemsPerPage=1&page=1"));
  EXPECT_EQ(page["pageCount"], 2);
  EXPECT_EQ(page["items"][0]["name"], "floor/1");
  expectError(server_.get("/v3/config/paths/list?page=x"), 400,
              "strconv.ParseUint: parsing \"x\": invalid syntax");

  EXPECT_EQ(server_.get("/v3/config/paths/get/floor/1").body, backend_.pathConfs["floor/1"]);
  expectError(server_.get("/v3/config/paths/get/nope"), 404, "path configuration not found");
  expectError(server_.get("/v3/config/paths/get/"), 400, "invalid name");

  expectOk(server_.request("POST", "/v3/config/paths/add/new/cam", {}, R"({"source":"publisher"})"));
  EXPECT_EQ(backend_.calls.back(), R"(add new/cam {"source":"publisher"})");
  expectError(server_.request("POST", "/v3/config/paths/add/cam", {}, "{}"), 400,
              "path 'cam' already exists");
  expectError(server_.request("POST", "/v3/config/paths/add/x", {}, "nope"), 400,
              body(server_.request("POST", "/v3/config/paths/add/x", {}, "nope"))["error"]);
  EXPECT_EQ(server_.request("GET", "/v3/config/paths/add/x").status, 405);

  expectOk(server_.request("PATCH", "/v3/config/paths/patch/cam", {}, R"({"sourceOnDemand":true})"));
  EXPECT_EQ(backend_.calls.back(), R"(patch cam {"sourceOnDemand":true})");
  expectError(server_.request("PATCH", "/v3/config/paths/patch/nope", {}, "{}"), 404,
              "path configuration not found");

  expectOk(server_.request("POST", "/v3/config/paths/replace/floor/1", {}, R"({"source":"publisher"})"));
  EXPECT_EQ(backend_.calls.back(), R"(replace floor/1 {"source":"publisher"})");

  expectOk(server_.request("DELETE", "/v3/config/paths/delete/floor/1"));
  EXPECT_EQ(backend_.calls.back(), "delete floor/1");
  expectError(server_.request("DELETE", "/v3/config/paths/delete/nope"), 404, "path configuration not found");
  expectError(server_.request("DELETE", "/v3/config/paths/delete/"), 400, "invalid name");
  RawResponse wrong = server_.request("POST", "/v3/config/paths/delete/cam", {}, "{}");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("Allow"), "DELETE");
}

TEST_F(ControlApiTest, BrokenBackendJsonIsA500) {
  backend_.globalJson = "{not json";
  expectError(server_.get("/v3/config/global/get"), 500, "invalid configuration JSON");
  backend_.pathConfs["bad"] = "[";
  expectError(server_.get("/v3/config/paths/list"), 500, "invalid configuration JSON");
}

TEST_F(ControlApiTest, WebrtcSessions) {
  RawResponse list = server_.get("/v3/webrtcsessions/list");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body, std::string(R"({"itemCount":1,"pageCount":1,"items":[)") + kSessionJson + "]}");

  EXPECT_EQ(server_.get(std::string("/v3/webrtcsessions/get/") + kSessionId).body, kSessionJson);
  // Any form uuid.Parse accepts, in any case.
  EXPECT_EQ(server_.get("/v3/webrtcsessions/get/1884E1857B0D4C359D2E5A0A8B3C1F11").status, 200);
  expectError(server_.get("/v3/webrtcsessions/get/abc"), 400, "invalid UUID length: 3");
  expectError(server_.get("/v3/webrtcsessions/get/zz84e185-7b0d-4c35-9d2e-5a0a8b3c1f11"), 400,
              "invalid UUID format");
  expectError(server_.get("/v3/webrtcsessions/get/00000000-0000-4000-8000-000000000000"), 404,
              "session not found");
  expectNotFoundPage(server_.get("/v3/webrtcsessions/get/"));
  expectNotFoundPage(server_.get(std::string("/v3/webrtcsessions/get/") + kSessionId + "/x"));

  // Kick is POST-only.
  RawResponse get = server_.get(std::string("/v3/webrtcsessions/kick/") + kSessionId);
  expectError(get, 405, "method not allowed");
  EXPECT_EQ(get.header("Allow"), "POST");
  EXPECT_TRUE(backend_.calls.empty());
  expectOk(server_.request("POST", std::string("/v3/webrtcsessions/kick/") + kSessionId));
  EXPECT_EQ(backend_.calls.back(), std::string("kick ") + kSessionId);
  expectError(server_.request("POST", "/v3/webrtcsessions/kick/00000000-0000-4000-8000-000000000000"), 404,
              "session not found");
  expectError(server_.request("POST", "/v3/webrtcsessions/kick/nope"), 400, "invalid UUID length: 4");

  backend_.webrtcOn = false;
  expectNotFoundPage(server_.get("/v3/webrtcsessions/list"));
}

TEST_F(ControlApiTest, RtspListsAreEmptyUntilThereIsAnRtspServer) {
  EXPECT_EQ(server_.get("/v3/rtspconns/list").body, R"({"itemCount":0,"pageCount":0,"items":[]})");
  EXPECT_EQ(server_.get("/v3/rtspsessions/list").body, R"({"itemCount":0,"pageCount":0,"items":[]})");
  expectError(server_.get("/v3/rtspconns/get/00000000-0000-4000-8000-000000000000"), 404,
              "connection not found");
  expectError(server_.get("/v3/rtspsessions/get/00000000-0000-4000-8000-000000000000"), 404,
              "session not found");
  expectError(server_.request("POST", "/v3/rtspsessions/kick/00000000-0000-4000-8000-000000000000"), 404,
              "session not found");
  EXPECT_EQ(server_.get("/v3/rtspsessions/kick/00000000-0000-4000-8000-000000000000").status, 405);
  expectError(server_.get("/v3/rtspsessions/list?itemsPerPage=0"), 400, "invalid items per page");
  backend_.rtspOn = false;
  expectNotFoundPage(server_.get("/v3/rtspconns/list"));
}

TEST_F(ControlApiTest, RtspsRoutesListTheTlsListenersSessionsOnly) {
  // Without an RTSPS listener MediaMTX has no such routes.
  expectNotFoundPage(server_.get("/v3/rtspsconns/list"));
  expectNotFoundPage(server_.get("/v3/rtspssessions/list"));

  backend_.rtspsOn = true;
  RtspSessionItem s;
  s.id = kSessionId;
  s.created = wallTime(kT0);
  s.state = "publish";
  s.path = "cam";
  s.transport = "TCP";
  s.conns = {"00000000-0000-4000-8000-0000000000c1"};
  backend_.rtspsSessionItems = {s};
  RtspConnItem c;
  c.id = "00000000-0000-4000-8000-0000000000c1";
  c.created = wallTime(kT0);
  c.session = kSessionId;
  c.inboundBytes = 1234;
  backend_.rtspsConnItems = {c};

  const std::string sessions = server_.get("/v3/rtspssessions/list").body;
  EXPECT_NE(sessions.find(R"("itemCount":1)"), std::string::npos) << sessions;
  EXPECT_NE(sessions.find(std::string(R"("id":")") + kSessionId), std::string::npos) << sessions;
  EXPECT_NE(sessions.find(R"("state":"publish")"), std::string::npos) << sessions;
  const std::string conns = server_.get("/v3/rtspsconns/list").body;
  EXPECT_NE(conns.find(R"("inboundBytes":1234)"), std::string::npos) << conns;
  RawResponse one = server_.get(std::string("/v3/rtspssessions/get/") + kSessionId);
  EXPECT_EQ(one.status, 200);
  EXPECT_NE(one.body.find(R"("conns":["00000000-0000-4000-8000-0000000000c1"])"), std::string::npos)
      << one.body;
  one = server_.get("/v3/rtspsconns/get/00000000-0000-4000-8000-0000000000c1");
  EXPECT_EQ(one.status, 200);
  EXPECT_NE(one.body.find(std::string(R"("session":")") + kSessionId), std::string::npos) << one.body;
  expectError(server_.get("/v3/rtspsconns/get/00000000-0000-4000-8000-000000000000"), 404,
              "connection not found");
  expectOk(server_.request("POST", std::string("/v3/rtspssessions/kick/") + kSessionId));
  EXPECT_EQ(backend_.calls.back(), std::string("kick rtsps ") + kSessionId);
  expectError(server_.request("POST", "/v3/rtspssessions/kick/00000000-0000-4000-8000-000000000000"), 404,
              "session not found");
  EXPECT_EQ(server_.get(std::string("/v3/rtspssessions/kick/") + kSessionId).status, 405);
  // The plain listener's lists do not show them.
  EXPECT_EQ(server_.get("/v3/rtspsessions/list").body, R"({"itemCount":0,"pageCount":0,"items":[]})");
}

TEST_F(ControlApiTest, RtspItemsSerialiseWithAliases) {
  RtspSessionItem s;
  s.id = kSessionId;
  s.created = wallTime(kT0);
  s.transport = "TCP";
  s.conns = {"c1"};
  s.inboundRtpPackets = 5;
  s.outboundRtcpPackets = 6;
  json j = json::parse(dumpJson(toJson(s)));
  EXPECT_EQ(j["transport"], "TCP");
  EXPECT_TRUE(j["profile"].is_null());
  EXPECT_EQ(j["state"], "idle");
  EXPECT_EQ(j["conns"], json::array({"c1"}));
  EXPECT_EQ(j["rtpPacketsReceived"], 5);
  EXPECT_EQ(j["rtcpPacketsSent"], 6);
  EXPECT_EQ(j["inboundRTPPacketsJitter"], 0);
  RtspConnItem c;
  c.id = kSessionId;
  j = json::parse(dumpJson(toJson(c)));
  EXPECT_TRUE(j["session"].is_null());
  EXPECT_EQ(j["tunnel"], "none");
  EXPECT_EQ(j.size(), 9u);
}

TEST_F(ControlApiTest, UnknownRoutesAndPreflight) {
  expectNotFoundPage(server_.get("/v3/nope"));
  expectNotFoundPage(server_.get("/v3/info/"));
  expectNotFoundPage(server_.get("/v2/paths/list"));
  expectNotFoundPage(server_.get("/"));
  RawResponse pre =
      server_.request("OPTIONS", "/v3/config/global/patch",
                      {{"Origin", "http://dash.example.com"}, {"Access-Control-Request-Method", "PATCH"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("Access-Control-Allow-Methods"), "OPTIONS, GET, POST, PATCH, DELETE");
  EXPECT_EQ(pre.header("Access-Control-Allow-Headers"), "Authorization, Content-Type");
}

TEST_F(ControlApiTest, JsonIsEscapedLikeGo) {
  PathItem odd;
  odd.name = "<b>&\"\xff";  // HTML-ish and invalid UTF-8
  odd.confName = "~^.*$";
  backend_.pathItems = {odd};
  RawResponse r = server_.get("/v3/paths/list");
  ASSERT_EQ(r.status, 200);
  // Invalid UTF-8 becomes U+FFFD (Go writes it as the escape \ufffd; both decode alike).
  EXPECT_NE(r.body.find("\"name\":\"\\u003cb\\u003e\\u0026\\\"\xef\xbf\xbd\""), std::string::npos) << r.body;
  EXPECT_NO_THROW(json::parse(r.body));
}

TEST(ControlApiGate, NonLoopbackGets401WithChallenge) {
  FakeBackend backend;
  ControlApiRoutes routes(backend);
  HttpResponse r = callRoutes(routes, "GET", "/v3/info", "192.168.1.5:40000");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"mediamtx\"");
  EXPECT_EQ(r.body, R"({"status":"error","error":"authentication error"})");
  // Unknown routes are gated too, as in MediaMTX (auth middleware runs first).
  EXPECT_EQ(callRoutes(routes, "GET", "/v3/nope", "10.0.0.1:1").status, 401);
  EXPECT_EQ(callRoutes(routes, "GET", "/v3/info", "127.0.0.1:40000").status, 200);
  EXPECT_EQ(callRoutes(routes, "GET", "/v3/info", "[::1]:40000").status, 200);
  EXPECT_EQ(callRoutes(routes, "GET", "/v3/info", "127.0.0.2:40000").status, 401);
  EXPECT_EQ(callRoutes(routes, "GET", "/v3/info", "[fe80::1]:40000").status, 401);
  // The CORS preflight is answered before the check.
  HttpRequest pre;
  pre.method = "OPTIONS";
  pre.path = "/v3/info";
  pre.remoteAddress = "192.168.1.5:1";
  pre.headers = {{"Access-Control-Request-Method", "GET"}};
  int status = 0;
  routes.handle(pre, HttpResponder([&](HttpResponse res) { status = res.status; }));
  EXPECT_EQ(status, 204);
}

TEST(ControlApiGate, InjectedCheckSeesRequestAndAction) {
  FakeBackend backend;
  std::string seenAction, seenAuth;
  auto check = [&](const HttpRequest& request, std::string_view action, std::string_view, AccessDone done) {
    seenAction = action;
    seenAuth = request.header("Authorization");
    const bool ok = request.header("Authorization") == "Basic YWRtaW46c2VjcmV0";
    done({ok ? AccessVerdict::Allowed : AccessVerdict::Denied, {}});
  };
  ControlApiRoutes routes(backend, check);
  HttpRequest request;
  request.method = "GET";
  request.path = "/v3/info";
  request.remoteAddress = "203.0.113.9:5555";
  request.headers = {{"Authorization", "Basic YWRtaW46c2VjcmV0"}};
  int status = 0;
  routes.handle(request, HttpResponder([&](HttpResponse r) { status = r.status; }));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(seenAction, "api");
  request.headers = {{"Authorization", "Basic d3Jvbmc6d3Jvbmc="}};
  routes.handle(request, HttpResponder([&](HttpResponse r) { status = r.status; }));
  EXPECT_EQ(status, 401);
}

TEST(ControlApiGate, CheckAnsweringLaterServesTheKeptRequest) {
  // The real check answers a wrong password only after a pause: the routes must keep the
  // request until then, and answer nothing before.
  FakeBackend backend;
  std::vector<AccessDone> pending;
  auto check = [&](const HttpRequest&, std::string_view, std::string_view, AccessDone done) {
    pending.push_back(std::move(done));
  };
  ControlApiRoutes routes(backend, check);
  std::optional<HttpResponse> first, second;
  {
    HttpRequest request;
    request.method = "GET";
    request.path = "/v3/info";
    request.remoteAddress = "203.0.113.9:5555";
    routes.handle(request, HttpResponder([&](HttpResponse r) { first = std::move(r); }));
    request.path = "/v3/paths/list";
    routes.handle(request, HttpResponder([&](HttpResponse r) { second = std::move(r); }));
  }  // the caller's request objects are gone
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_FALSE(first);
  pending[1]({AccessVerdict::Allowed, {}});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_NE(second->body.find("\"itemCount\""), std::string::npos) << second->body;
  EXPECT_FALSE(first);
  pending[0]({AccessVerdict::Denied, {}});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 401);
  EXPECT_FALSE(first->headers.empty());
  EXPECT_EQ(first->header("WWW-Authenticate"), "");  // wrong credentials: no new challenge
  // Throttled: 429 with the check's message.
  std::optional<HttpResponse> third;
  HttpRequest request;
  request.method = "GET";
  request.path = "/v3/info";
  routes.handle(request, HttpResponder([&](HttpResponse r) { third = std::move(r); }));
  pending[2]({AccessVerdict::Throttled, "slow down"});
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 429);
  EXPECT_EQ(third->body, "{\"status\":\"error\",\"error\":\"slow down\"}");
}

TEST(AccessGate, LoopbackAddresses) {
  EXPECT_EQ(remoteIp("127.0.0.1:80"), "127.0.0.1");
  EXPECT_EQ(remoteIp("[::1]:80"), "::1");
  EXPECT_EQ(remoteIp("::1"), "::1");
  EXPECT_EQ(remoteIp("[::1"), "");
  EXPECT_TRUE(isDefaultLocalIp("127.0.0.1"));
  EXPECT_TRUE(isDefaultLocalIp("::1"));
  EXPECT_TRUE(isDefaultLocalIp("::FFFF:127.0.0.1"));
  EXPECT_FALSE(isDefaultLocalIp("127.0.0.2"));
  EXPECT_FALSE(isDefaultLocalIp("::2"));
  EXPECT_FALSE(isDefaultLocalIp(""));
  EXPECT_FALSE(isDefaultLocalIp("127.0.0.1.evil"));
  AccessCheck check = loopbackOnlyAccess();
  auto verdict = [&check](const HttpRequest& r, std::string_view action) {
    std::optional<AccessVerdict> out;
    check(r, action, {}, [&out](AccessResult result) { out = result.verdict; });
    return out;
  };
  HttpRequest r;
  for (const char* addr : {"127.0.0.1:1", "[::1]:2", "[::ffff:127.0.0.1]:3"}) {
    r.remoteAddress = addr;
    EXPECT_EQ(verdict(r, kActionApi), AccessVerdict::Allowed) << addr;
  }
  for (const char* addr : {"10.1.2.3:1", "[2001:db8::1]:2", "", "garbage"}) {
    r.remoteAddress = addr;
    EXPECT_EQ(verdict(r, kActionPprof), AccessVerdict::AskCredentials) << addr;
  }
  // MediaMTX's default users: reading is open to anyone, the API only to localhost.
  AccessCheck defaults = defaultUsersAccess();
  std::optional<AccessVerdict> got;
  r.remoteAddress = "10.1.2.3:1";
  defaults(r, kActionRead, "cam", [&got](AccessResult result) { got = result.verdict; });
  EXPECT_EQ(got, AccessVerdict::Allowed);
  defaults(r, kActionApi, {}, [&got](AccessResult result) { got = result.verdict; });
  EXPECT_EQ(got, AccessVerdict::AskCredentials);
}

TEST(ApiQuery, GoQueryRules) {
  EXPECT_EQ(queryParam("a=1&b=2", "b"), "2");
  EXPECT_EQ(queryParam("a=1&a=2", "a"), "1");
  EXPECT_EQ(queryParam("a=x+y%21", "a"), "x y!");
  EXPECT_EQ(queryParam("a=%zz&a=ok", "a"), "ok");  // a bad escape drops only its pair
  EXPECT_EQ(queryParam("a=1;b=2&a=3", "a"), "3");  // ';' invalidates the pair (Go 1.17+)
  EXPECT_EQ(queryParam("%61=yes", "a"), "yes");
  EXPECT_EQ(queryParam("a", "a"), "");
  EXPECT_TRUE(hasQueryParam("a", "a"));
  EXPECT_FALSE(hasQueryParam("ab=1", "a"));
  EXPECT_EQ(goQuote("a\"b\\\n\x01\xc3"), "\"a\\\"b\\\\\\n\\x01\\xc3\"");
}

TEST(ApiQuery, PaginateEdges) {
  PageSlice p;
  std::string error;
  ASSERT_TRUE(paginate(0, "1", "0", p, error));
  EXPECT_EQ(p.pageCount, 0u);
  EXPECT_EQ(p.last, 0u);
  ASSERT_TRUE(paginate(5, "1", "1", p, error));
  EXPECT_EQ(p.pageCount, 5u);
  EXPECT_EQ(p.first, 1u);
  EXPECT_EQ(p.last, 2u);
  ASSERT_TRUE(paginate(5, "3", "2", p, error));
  EXPECT_EQ(p.pageCount, 2u);
  EXPECT_EQ(p.first, p.last);
  ASSERT_TRUE(paginate(6, "4", "1", p, error));
  EXPECT_EQ(p.first, 4u);
  EXPECT_EQ(p.last, 6u);
  EXPECT_FALSE(paginate(6, "99999999999999999999999", "", p, error));
  EXPECT_EQ(error, "strconv.ParseUint: parsing \"99999999999999999999999\": value out of range");
  EXPECT_FALSE(paginate(6, "1x", "", p, error));
  EXPECT_EQ(error, "strconv.ParseUint: parsing \"1x\": invalid syntax");  // syntax wins over range
}

TEST(ApiJsonTime, Rfc3339LikeGo) {
  EXPECT_EQ(formatRfc3339(wallTime(kT0)), "2026-08-22T10:00:00Z");
  EXPECT_EQ(formatRfc3339(wallTime(kT0, 120)), "2026-08-22T10:00:00.12Z");
  EXPECT_EQ(formatRfc3339(wallTime(kT0) + std::chrono::nanoseconds(1)), "2026-08-22T10:00:00.000000001Z");
  EXPECT_EQ(formatRfc3339(WallTime{}), "1970-01-01T00:00:00Z");
}

}  // namespace
