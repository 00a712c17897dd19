// RtspClient against GStreamer's RTSP server (tests/tools/rtsp_camera.py): transports,
// authentication, failures, and the allocation-free packet path.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <cstdlib>
#include <new>
#include <optional>

#include "RtspTestCamera.h"
#include "core/Log.h"
#include "media/RtpPacket.h"
#include "rtsp/RtspClient.h"
#include "rtsp/RtspText.h"

// Counts heap allocations made by the test thread while `tCounting` is set.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // malloc/free behind new/delete is the point
namespace {
thread_local bool tCounting = false;
thread_local uint64_t tAllocations = 0;
}  // namespace

void* operator new(size_t n) {
  if (tCounting) ++tAllocations;
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace sluice::rtsp {
namespace {

using namespace std::chrono_literals;
using testing::runUntil;
using testing::TestCamera;
using Clock = std::chrono::steady_clock;

struct ClientRun {
  boost::asio::io_context io;
  std::unique_ptr<RtspClient> client;
  std::optional<RtspSessionInfo> ready;
  int validRtp = 0;
  int invalidRtp = 0;
  int rtcp = 0;
  bool rtpBeforeReady = false;
  std::vector<std::string> closed;
  Clock::time_point startedAt;
  Clock::time_point closedAt;

  void start(RtspClientConfig config) {
    RtspClient::Callbacks cb;
    cb.onReady = [this](const RtspSessionInfo& info) { ready = info; };
    cb.onRtp = [this](size_t track, const uint8_t* data, size_t size) {
      if (!ready) rtpBeforeReady = true;
      media::RtpHeader h;
      const uint8_t* payload;
      size_t payloadSize;
      bool ok = media::parseRtp(data, size, h, payload, payloadSize) == media::RtpError::None;
      if (ok && ready && track < ready->tracks.size() && h.payloadType == ready->tracks[track].payloadType) {
        ++validRtp;
      } else {
        ++invalidRtp;
      }
    };
    cb.onRtcp = [this](size_t, const uint8_t*, size_t) { ++rtcp; };
    cb.onClosed = [this](const std::string& error) {
      closed.push_back(error);
      closedAt = Clock::now();
    };
    client = std::make_unique<RtspClient>(io, std::move(config), std::move(cb));
    startedAt = Clock::now();
    client->start();
  }
};

RtspClientConfig configFor(const std::string& url, RtspTransport transport) {
  RtspClientConfig c;
  c.url = url;
  c.transport = transport;
  c.readTimeout = 4s;
  c.logPrefix = "[test] ";
  return c;
}

void expectH264Stream(ClientRun& run, RtspTransport expectedTransport) {
  ASSERT_TRUE(runUntil(run.io, 5s, [&] { return run.validRtp >= 60 || !run.closed.empty(); }));
  ASSERT_TRUE(run.closed.empty()) << run.closed.front();
  EXPECT_GE(run.validRtp, 60);
  EXPECT_LE(Clock::now() - run.startedAt, 5s);
  EXPECT_EQ(run.invalidRtp, 0);
  EXPECT_FALSE(run.rtpBeforeReady);
  ASSERT_TRUE(run.ready);
  EXPECT_EQ(run.ready->transport, expectedTransport);
  EXPECT_NE(run.ready->sdp.find("m=video"), std::string::npos);
  bool foundH264 = false;
  for (const auto& t : run.ready->tracks) {
    if (!iequals(t.codecName, "H264")) continue;
    foundH264 = true;
    EXPECT_EQ(t.mediaType, "video");
    EXPECT_EQ(t.clockRate, 90000u);
    EXPECT_GE(t.payloadType, 96);
    EXPECT_NE(t.fmtp.find("sprop-parameter-sets="), std::string::npos) << t.fmtp;
    EXPECT_EQ(t.controlUrl.rfind("rtsp://127.0.0.1:", 0), 0u) << t.controlUrl;
  }
  EXPECT_TRUE(foundH264);
  auto stats = run.client->stats();
  EXPECT_GE(stats.rtpPackets, 60u);
  EXPECT_EQ(stats.rtpPacketsInvalid, 0u);
}

void closeAndExpectTerminated(ClientRun& run) {
  run.client->close();
  ASSERT_EQ(run.closed.size(), 1u);
  EXPECT_EQ(run.closed.front(), "terminated");
  int before = run.validRtp;
  runUntil(run.io, 300ms, [] { return false; });
  EXPECT_EQ(run.validRtp, before);  // nothing after close()
  EXPECT_EQ(run.closed.size(), 1u);
}

class RtspClientCamera : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::testClipPath().empty()) GTEST_SKIP() << "ffmpeg could not make the test clip";
  }
};

TEST_F(RtspClientCamera, Tcp) {
  TestCamera cam({"--path", "cam"});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.url(), RtspTransport::Tcp));
  expectH264Stream(run, RtspTransport::Tcp);
  closeAndExpectTerminated(run);
}

TEST_F(RtspClientCamera, Udp) {
  TestCamera cam({});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.url(), RtspTransport::Udp));
  expectH264Stream(run, RtspTransport::Udp);
  closeAndExpectTerminated(run);
}

TEST_F(RtspClientCamera, AutomaticPrefersUdp) {
  TestCamera cam({});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.url(), RtspTransport::Automatic));
  expectH264Stream(run, RtspTransport::Udp);
  closeAndExpectTerminated(run);
}

TEST_F(RtspClientCamera, AutomaticFallsBackToTcpOn461) {
  TestCamera cam({"--protocols", "tcp"});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.url(), RtspTransport::Automatic));
  expectH264Stream(run, RtspTransport::Tcp);
  closeAndExpectTerminated(run);
}

TEST_F(RtspClientCamera, ForcedUdpOnTcpOnlyCameraFails) {
  TestCamera cam({"--protocols", "tcp"});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.url(), RtspTransport::Udp));
  ASSERT_TRUE(runUntil(run.io, 5s, [&] { return !run.closed.empty(); }));
  EXPECT_NE(run.closed.front().find("461"), std::string::npos) << run.closed.front();
  EXPECT_FALSE(run.ready);
}

TEST_F(RtspClientCamera, DigestAuth) {
  TestCamera cam({"--user", "admin", "--password", "s3cret", "--digest"});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.urlWithCredentials("admin", "s3cret"), RtspTransport::Automatic));
  expectH264Stream(run, RtspTransport::Udp);
  closeAndExpectTerminated(run);
}

TEST_F(RtspClientCamera, DigestAuthTcp) {
  TestCamera cam({"--user", "admin", "--password", "s3cret", "--digest"});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.urlWithCredentials("admin", "s3cret"), RtspTransport::Tcp));
  expectH264Stream(run, RtspTransport::Tcp);
}

TEST_F(RtspClientCamera, BasicAuthWithPercentEncodedPassword) {
  TestCamera cam({"--user", "admin", "--password", "p@ss:word"});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.urlWithCredentials("admin", "p%40ss%3Aword"), RtspTransport::Tcp));
  expectH264Stream(run, RtspTransport::Tcp);
}

TEST_F(RtspClientCamera, WrongPasswordEndsWith401) {
  TestCamera cam({"--user", "admin", "--password", "s3cret", "--digest"});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.urlWithCredentials("admin", "wrong"), RtspTransport::Tcp));
  ASSERT_TRUE(runUntil(run.io, 5s, [&] { return !run.closed.empty(); }));
  EXPECT_NE(run.closed.front().find("401"), std::string::npos) << run.closed.front();
  ClientRun anonymous;
  anonymous.start(configFor(cam.url(), RtspTransport::Tcp));
  ASSERT_TRUE(runUntil(anonymous.io, 5s, [&] { return !anonymous.closed.empty(); }));
  EXPECT_NE(anonymous.closed.front().find("401"), std::string::npos) << anonymous.closed.front();
}

void expectEndWhenCameraKilled(RtspTransport transport) {
  TestCamera cam({});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  run.start(configFor(cam.url(), transport));
  ASSERT_TRUE(runUntil(run.io, 5s, [&] { return run.validRtp >= 30 || !run.closed.empty(); }));
  ASSERT_TRUE(run.closed.empty()) << run.closed.front();
  auto killedAt = Clock::now();
  cam.kill(SIGKILL);
  auto limit = run.client->config().readTimeout + 1s;
  ASSERT_TRUE(runUntil(run.io, limit + 1s, [&] { return !run.closed.empty(); }));
  EXPECT_LE(run.closedAt - killedAt, limit);
  EXPECT_NE(run.closed.front(), "terminated");
  EXPECT_FALSE(run.closed.front().empty());
  run.client->close();  // after the end: no second onClosed
  EXPECT_EQ(run.closed.size(), 1u);
}

TEST_F(RtspClientCamera, CameraKilledTcp) { expectEndWhenCameraKilled(RtspTransport::Tcp); }
TEST_F(RtspClientCamera, CameraKilledUdp) { expectEndWhenCameraKilled(RtspTransport::Udp); }

void expectTimeoutWhenCameraFrozen(RtspTransport transport, const std::string& error) {
  TestCamera cam({});
  ASSERT_FALSE(cam.url().empty());
  ClientRun run;
  auto config = configFor(cam.url(), transport);
  config.readTimeout = 2s;
  run.start(config);
  ASSERT_TRUE(runUntil(run.io, 5s, [&] { return run.validRtp >= 30 || !run.closed.empty(); }));
  ASSERT_TRUE(run.closed.empty()) << run.closed.front();
  // A stopped process keeps its sockets open: only the read timeout can notice.
  cam.freeze();
  auto frozenAt = Clock::now();
  ASSERT_TRUE(runUntil(run.io, config.readTimeout + 2s, [&] { return !run.closed.empty(); }));
  EXPECT_EQ(run.closed.front(), error);
  EXPECT_LE(run.closedAt - frozenAt, config.readTimeout + 1s);
}

TEST_F(RtspClientCamera, FrozenCameraTcpTimeout) {
  expectTimeoutWhenCameraFrozen(RtspTransport::Tcp, "TCP timeout");
}
TEST_F(RtspClientCamera, FrozenCameraUdpTimeout) {
  expectTimeoutWhenCameraFrozen(RtspTransport::Udp, "UDP timeout");
}

TEST_F(RtspClientCamera, NoHeapAllocationPerPacket) {
  for (RtspTransport transport : {RtspTransport::Udp, RtspTransport::Tcp}) {
    SCOPED_TRACE(rtspTransportName(transport));
    TestCamera cam({});
    ASSERT_FALSE(cam.url().empty());
    ClientRun run;
    run.start(configFor(cam.url(), transport));
    ASSERT_TRUE(runUntil(run.io, 5s, [&] { return run.validRtp >= 100 || !run.closed.empty(); }));
    ASSERT_TRUE(run.closed.empty()) << run.closed.front();
    int packetsBefore = run.validRtp;
    tAllocations = 0;
    tCounting = true;
    runUntil(run.io, 2s, [] { return false; });
    tCounting = false;
    int packets = run.validRtp - packetsBefore;
    EXPECT_GE(packets, 100);
    // Keepalives and receiver reports may allocate; packets must not.
    EXPECT_LE(tAllocations, 4u) << packets << " packets";
    run.client->close();
  }
}

TEST(RtspClientFailures, UnreachablePort) {
  // A port that was free a moment ago: nothing listens there.
  boost::asio::io_context probe;
  boost::asio::ip::tcp::acceptor a(probe, {boost::asio::ip::address_v4::loopback(), 0});
  uint16_t port = a.local_endpoint().port();
  a.close();
  ClientRun run;
  run.start(configFor("rtsp://127.0.0.1:" + std::to_string(port) + "/cam", RtspTransport::Automatic));
  ASSERT_TRUE(runUntil(run.io, 5s, [&] { return !run.closed.empty(); }));
  EXPECT_NE(run.closed.front().find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << run.closed.front();
  EXPECT_NE(run.closed.front().find("refused"), std::string::npos) << run.closed.front();
  EXPECT_FALSE(run.ready);
}

TEST(RtspClientFailures, MalformedUrl) {
  ClientRun run;
  run.start(configFor("http://127.0.0.1/cam", RtspTransport::Tcp));
  ASSERT_TRUE(runUntil(run.io, 2s, [&] { return !run.closed.empty(); }));
  EXPECT_NE(run.closed.front().find("invalid URL"), std::string::npos) << run.closed.front();
}

TEST(RtspClientFailures, CloseWhileWaitingForAnAnswer) {
  // A listener that never accepts: the kernel completes the handshake, nobody answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::address_v4::loopback(), 0});
  int closedCalls = 0;
  std::string error;
  RtspClient::Callbacks cb;
  cb.onClosed = [&](const std::string& e) {
    ++closedCalls;
    error = e;
  };
  RtspClient client(io,
                    configFor("rtsp://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/x",
                              RtspTransport::Tcp),
                    cb);
  client.start();
  runUntil(io, 300ms, [] { return false; });
  EXPECT_EQ(closedCalls, 0);
  EXPECT_TRUE(client.running());
  client.close();
  EXPECT_EQ(closedCalls, 1);
  EXPECT_EQ(error, "terminated");
  EXPECT_FALSE(client.running());
  runUntil(io, 200ms, [] { return false; });
  EXPECT_EQ(closedCalls, 1);
}

TEST(RtspClientFailures, ReadTimeoutWhenServerNeverAnswers) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::address_v4::loopback(), 0});
  ClientRun run;
  auto config = configFor("rtsp://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/x",
                          RtspTransport::Tcp);
  config.readTimeout = 1s;
  run.start(config);
  ASSERT_TRUE(runUntil(run.io, 3s, [&] { return !run.closed.empty(); }));
  EXPECT_EQ(run.closed.front(), "timed out waiting for the OPTIONS response");
  EXPECT_LE(run.closedAt - run.startedAt, 2s);
}

TEST(RtspClientFailures, OwnerDestroysClientInsideOnClosed) {
  boost::asio::io_context probe;
  boost::asio::ip::tcp::acceptor a(probe, {boost::asio::ip::address_v4::loopback(), 0});
  uint16_t port = a.local_endpoint().port();
  a.close();
  boost::asio::io_context io;
  int closedCalls = 0;
  std::unique_ptr<RtspClient> client;
  RtspClient::Callbacks cb;
  cb.onClosed = [&](const std::string&) {
    ++closedCalls;
    client.reset();
  };
  client = std::make_unique<RtspClient>(
      io, configFor("rtsp://127.0.0.1:" + std::to_string(port) + "/x", RtspTransport::Tcp), cb);
  client->start();
  ASSERT_TRUE(runUntil(io, 3s, [&] { return closedCalls > 0; }));
  EXPECT_FALSE(client);
  runUntil(io, 100ms, [] { return false; });
  EXPECT_EQ(closedCalls, 1);
}

}  // namespace
}  // namespace sluice::rtsp
