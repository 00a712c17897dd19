// RtspClient against a scripted server: the automatic UDP→TCP fallbacks, keepalives and
// receiver reports, which GStreamer's server cannot be made to stage.
#include <gtest/gtest.h>

#include <optional>

#include "FakeRtspServer.h"
#include "RtspTestCamera.h"
#include "rtsp/RtspClient.h"

namespace sluice::rtsp {
namespace {

using namespace std::chrono_literals;
using testing::FakeRtspServer;
using testing::runUntil;
using Clock = std::chrono::steady_clock;

struct Observed {
  std::optional<RtspSessionInfo> ready;
  int rtp = 0;
  int rtcp = 0;
  std::vector<std::string> closed;
};

std::unique_ptr<RtspClient> startClient(boost::asio::io_context& io, const std::string& url,
                                        RtspTransport transport, Observed& seen) {
  RtspClientConfig config;
  config.url = url;
  config.transport = transport;
  config.readTimeout = 4s;
  RtspClient::Callbacks cb;
  cb.onReady = [&seen](const RtspSessionInfo& info) { seen.ready = info; };
  cb.onRtp = [&seen](size_t, const uint8_t*, size_t) { ++seen.rtp; };
  cb.onRtcp = [&seen](size_t, const uint8_t*, size_t) { ++seen.rtcp; };
  cb.onClosed = [&seen](const std::string& e) { seen.closed.push_back(e); };
  auto client = std::make_unique<RtspClient>(io, config, cb);
  client->start();
  return client;
}

TEST(RtspClientScripted, AutomaticSwitchesToTcpWhenNoUdpArrives) {
  FakeRtspServer::Options o;
  o.sendUdpMedia = false;
  FakeRtspServer server(o);
  boost::asio::io_context io;
  Observed seen;
  auto start = Clock::now();
  auto client = startClient(io, server.url(), RtspTransport::Automatic, seen);
  ASSERT_TRUE(runUntil(io, 8s, [&] { return seen.rtp >= 20 || !seen.closed.empty(); }));
  ASSERT_TRUE(seen.closed.empty()) << seen.closed.front();
  EXPECT_GE(Clock::now() - start, 3s);  // InitialUDPReadTimeout
  ASSERT_TRUE(seen.ready);
  EXPECT_EQ(seen.ready->transport, RtspTransport::Tcp);
  // The fallback re-ran DESCRIBE on a fresh connection, then released the UDP session.
  EXPECT_EQ(server.count("DESCRIBE"), 2);
  runUntil(io, 300ms, [] { return false; });
  auto requests = server.requests();
  EXPECT_NE(std::find(requests.begin(), requests.end(), "0 TEARDOWN"), requests.end());
  EXPECT_NE(std::find(requests.begin(), requests.end(), "1 PLAY"), requests.end());
  client->close();
  EXPECT_EQ(seen.closed.size(), 1u);
}

TEST(RtspClientScripted, UdpSetupAnsweredWithTcpIsKept) {
  FakeRtspServer::Options o;
  o.answerUdpWithTcp = true;
  FakeRtspServer server(o);
  boost::asio::io_context io;
  Observed seen;
  auto client = startClient(io, server.url(), RtspTransport::Automatic, seen);
  ASSERT_TRUE(runUntil(io, 3s, [&] { return seen.rtp >= 20 || !seen.closed.empty(); }));
  ASSERT_TRUE(seen.closed.empty()) << seen.closed.front();
  EXPECT_EQ(seen.ready->transport, RtspTransport::Tcp);
  EXPECT_EQ(server.count("DESCRIBE"), 1);
}

TEST(RtspClientScripted, ForcedUdpRejectsTcpAnswer) {
  FakeRtspServer::Options o;
  o.answerUdpWithTcp = true;
  FakeRtspServer server(o);
  boost::asio::io_context io;
  Observed seen;
  auto client = startClient(io, server.url(), RtspTransport::Udp, seen);
  ASSERT_TRUE(runUntil(io, 3s, [&] { return !seen.closed.empty(); }));
  EXPECT_EQ(seen.closed.front(), "server answered the UDP SETUP with a TCP transport");
}

void expectKeepalivesAndReports(RtspTransport transport) {
  FakeRtspServer::Options o;
  o.advertiseGetParameter = true;
  o.sessionTimeout = 6;  // keepalive every 1 s
  FakeRtspServer server(o);
  boost::asio::io_context io;
  Observed seen;
  auto client = startClient(io, server.url(), transport, seen);
  // Receiver reports go out every 5 s.
  ASSERT_TRUE(runUntil(io, 7s, [&] { return !server.reportBlocks().empty() || !seen.closed.empty(); }));
  ASSERT_TRUE(seen.closed.empty()) << seen.closed.front();
  EXPECT_EQ(seen.ready->transport, transport);
  EXPECT_GE(server.count("GET_PARAMETER"), 3);
  EXPECT_EQ(server.count("OPTIONS"), 1);  // keepalives use GET_PARAMETER when Public lists it
  EXPECT_GT(seen.rtcp, 0);                // the server's sender reports
  auto block = server.reportBlocks().front();
  EXPECT_EQ(block.ssrc, FakeRtspServer::kSsrc);
  EXPECT_GT(block.highestSeq, 1000u);
  EXPECT_GT(block.cumulativeLost, 0);  // the server skips one sequence number in 50
  EXPECT_NE(block.lastSr, 0u);         // LSR from the server's sender reports
  EXPECT_GT(client->stats().rtpPacketsLost, 0u);
  client->close();
  runUntil(io, 200ms, [] { return false; });
  EXPECT_EQ(server.count("TEARDOWN"), 1);
}

TEST(RtspClientScripted, TcpKeepalivesAndReceiverReports) { expectKeepalivesAndReports(RtspTransport::Tcp); }
TEST(RtspClientScripted, UdpKeepalivesAndReceiverReports) { expectKeepalivesAndReports(RtspTransport::Udp); }

TEST(RtspClientScripted, MediaTheOwnerDoesNotWantAreNotSetUp) {
  FakeRtspServer server(FakeRtspServer::Options{});
  boost::asio::io_context io;
  Observed seen;
  RtspClientConfig config;
  config.url = server.url();
  config.transport = RtspTransport::Tcp;
  std::vector<std::string> asked;
  config.wantTrack = [&asked](const RtspTrackInfo& t) {
    asked.push_back(t.mediaType + " " + t.codecName);
    return false;
  };
  RtspClient::Callbacks cb;
  cb.onReady = [&seen](const RtspSessionInfo& info) { seen.ready = info; };
  cb.onRtp = [&seen](size_t, const uint8_t*, size_t) { ++seen.rtp; };
  cb.onClosed = [&seen](const std::string& e) { seen.closed.push_back(e); };
  RtspClient client(io, config, cb);
  client.start();
  ASSERT_TRUE(runUntil(io, 3s, [&] { return !seen.closed.empty(); }));
  EXPECT_EQ(seen.closed.front(), "the stream has no media that can be read");
  EXPECT_EQ(asked, std::vector<std::string>{"video H264"});
  EXPECT_EQ(server.count("SETUP"), 0);
  EXPECT_FALSE(seen.ready);
}

TEST(RtspClientScripted, FollowsDescribeRedirect) {
  FakeRtspServer::Options o;
  o.redirect = true;
  FakeRtspServer server(o);
  boost::asio::io_context io;
  Observed seen;
  auto client = startClient(io, server.url(), RtspTransport::Tcp, seen);
  ASSERT_TRUE(runUntil(io, 3s, [&] { return seen.rtp >= 20 || !seen.closed.empty(); }));
  ASSERT_TRUE(seen.closed.empty()) << seen.closed.front();
  EXPECT_EQ(seen.ready->baseUrl, server.url() + "/moved/");
  EXPECT_EQ(server.count("DESCRIBE"), 2);
  auto requests = server.requests();
  EXPECT_NE(std::find(requests.begin(), requests.end(), "1 PLAY"), requests.end());
}

}  // namespace
}  // namespace sluice::rtsp
