// The RTSP server's request handling (RtspServerSession) on well-formed, malformed and
// out-of-order requests, its reader backlog (RtspPlayQueue), and the server over a real
// loopback socket: garbage and oversize headers close the connection, a reader gets the
// stream's packets framed as '$' + channel + length, a publisher's frames reach the stream.
#include "rtsp/RtspServer.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "auth/AccessControl.h"
#include "auth/DigestAuthorization.h"
#include "auth/HttpAuth.h"
#include "media/Rtcp.h"
#include "media/RtpPacket.h"
#include "rtsp/RtspDigestAuth.h"
#include "rtsp/RtspPlayQueue.h"
#include "rtsp/RtspServerSdp.h"
#include "rtsp/RtspServerSession.h"
#include "rtsp/RtspStreamParser.h"

using namespace sluice;
using namespace sluice::rtsp;

namespace {

const std::vector<uint8_t> kSps = {0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8};
const std::vector<uint8_t> kPps = {0x68, 0xce, 0x3c, 0x80};

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, size_t payload, uint8_t first) {
  std::vector<uint8_t> p(12 + payload, 0x55);
  media::RtpHeader h;
  h.marker = true;
  h.payloadType = pt;
  h.sequence = seq;
  h.timestamp = ts;
  h.ssrc = 42;
  media::writeRtpHeader(p.data(), h);
  p[12] = first;
  return p;
}

stream::StreamFormat videoAndPcmu() {
  media::TrackDescription video = stream::h264Track(kSps, kPps);
  video.payloadType = 96;
  return {video, media::describeTrack("audio", 0, "PCMU", 8000, 1, "")};
}

// Called on the server's threads, read by the test's: every access under the mutex.
struct FakeSink : RtspPublishSink {
  mutable std::mutex mutex;
  std::vector<stream::StreamFormat> begun;
  std::vector<std::string> ended;
  bool begin(const stream::StreamFormat& f, std::string&) override {
    std::lock_guard lock(mutex);
    begun.push_back(f);
    return true;
  }
  void end(const std::string& reason) override {
    std::lock_guard lock(mutex);
    ended.push_back(reason);
  }
  size_t begunCount() const {
    std::lock_guard lock(mutex);
    return begun.size();
  }
  size_t endedCount() const {
    std::lock_guard lock(mutex);
    return ended.size();
  }
};

struct FakeHandler : RtspServerHandler {
  RtspAccessVerdict verdict = RtspAccessVerdict::Allowed;
  std::vector<RtspAccessQuery> asked;
  std::shared_ptr<stream::Stream> stream;  // served as path "cam"
  boost::asio::io_context* worker = nullptr;
  std::shared_ptr<FakeSink> sink = std::make_shared<FakeSink>();
  std::vector<std::string> closedPublishers;

  RtspAccessResult checkAccess(const RtspAccessQuery& q) override {
    asked.push_back(q);
    return {verdict, std::chrono::milliseconds(verdict == RtspAccessVerdict::Denied ? 10 : 0)};
  }
  bool ondemandReady = false;
  bool findReadable(const std::string& path, RtspReadTarget& out, RtspRefusal& refusal) override {
    if (path == "moved" || path == "away") {
      refusal = {301, "redirect", false, path == "moved" ? "/cam" : "rtsps://other.example:322/x"};
      return false;
    }
    if (path == "ondemand" && !ondemandReady) {
      refusal = {404, "no stream is available on path 'ondemand'", true};
      return false;
    }
    if ((path != "cam" && path != "ondemand") || !stream) {
      refusal = {404, "no stream is available on path '" + path + "'"};
      return false;
    }
    out.stream = stream;
    out.worker = worker;
    out.format = stream->formatSnapshot();
    return true;
  }
  bool canPublish(const std::string& path, RtspRefusal& refusal) override {
    if (path == "cam") {
      refusal = {400, "can't publish to path 'cam' since 'source' is not 'publisher'"};
      return false;
    }
    return true;
  }
  bool startPublishing(const std::string&, const std::string&, std::function<void()>, RtspPublishTarget& out,
                       RtspRefusal&) override {
    out.stream = stream;
    out.worker = worker;
    out.sink = sink;
    return true;
  }
  void publisherClosed(const std::string&, const std::string& id) override { closedPublishers.push_back(id); }
};

RtspRequest req(std::string method, std::string uri, int cseq,
                std::vector<std::pair<std::string, std::string>> h = {}, std::string body = {}) {
  RtspRequest r;
  r.method = std::move(method);
  r.uri = std::move(uri);
  r.headers.set("CSeq", std::to_string(cseq));
  for (auto& [k, v] : h) r.headers.set(k, v);
  r.body = std::move(body);
  return r;
}

const char* kAnnounceSdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 "
    "packetization-mode=1\r\na=control:streamid=0\r\n"
    "m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:streamid=1\r\n";

class ServerSession : public ::testing::Test {
 protected:
  void SetUp() override {
    handler.stream = std::make_shared<stream::Stream>("cam", 1024);
    handler.stream->start(videoAndPcmu());
  }
  FakeHandler handler;
  RtspServerOptions options;
  RtspServerSession s{handler, options, "10.0.0.7"};
};

}  // namespace

TEST_F(ServerSession, OptionsEchoesCSeqAndListsMethods) {
  RtspReply r = s.handle(req("OPTIONS", "rtsp://h/cam", 7));
  EXPECT_EQ(r.response.statusCode, 200);
  EXPECT_EQ(r.response.headers.get("CSeq").value_or(""), "7");
  EXPECT_EQ(r.response.headers.get("Server").value_or(""), "sluice");
  EXPECT_NE(r.response.headers.get("Public").value_or("").find("ANNOUNCE"), std::string::npos);
  EXPECT_EQ(r.then, RtspReply::Then::Continue);
}

TEST_F(ServerSession, MissingOrBadCSeqIs400AndCloses) {
  RtspRequest r = req("OPTIONS", "rtsp://h/cam", 1);
  r.headers.remove("CSeq");
  EXPECT_EQ(s.handle(r).response.statusCode, 400);
  r.headers.set("CSeq", "x1");
  RtspReply out = s.handle(r);
  EXPECT_EQ(out.response.statusCode, 400);
  EXPECT_EQ(out.then, RtspReply::Then::Close);
}

TEST_F(ServerSession, DescribeAnswersTheStreamsSdp) {
  RtspReply r = s.handle(req("DESCRIBE", "rtsp://h:8554/cam?x=1", 2));
  ASSERT_EQ(r.response.statusCode, 200);
  EXPECT_EQ(r.response.headers.get("Content-Base").value_or(""), "rtsp://h:8554/cam?x=1/");
  const std::string& sdp = r.response.body;
  EXPECT_NE(sdp.find("m=video 0 RTP/AVP 96\r\na=control:trackID=0\r\na=rtpmap:96 H264/90000"),
            std::string::npos)
      << sdp;
  EXPECT_NE(sdp.find("sprop-parameter-sets=Z0LAH9oBQBbo,aM48gA=="), std::string::npos) << sdp;
  EXPECT_NE(sdp.find("m=audio 0 RTP/AVP 0\r\na=control:trackID=1\r\na=rtpmap:0 PCMU/8000"), std::string::npos)
      << sdp;
  EXPECT_EQ(s.path(), "cam");
  EXPECT_EQ(s.query(), "x=1");
  ASSERT_EQ(handler.asked.size(), 1u);
  EXPECT_FALSE(handler.asked[0].publish);
  EXPECT_EQ(handler.asked[0].remoteIp, "10.0.0.7");
}

TEST_F(ServerSession, DescribeOfAPathWithoutStreamIs404AndCloses) {
  RtspReply r = s.handle(req("DESCRIBE", "rtsp://h/nothing", 2));
  EXPECT_EQ(r.response.statusCode, 404);
  EXPECT_EQ(r.then, RtspReply::Then::Close);
  EXPECT_EQ(s.handle(req("DESCRIBE", "http://h/cam", 3)).response.statusCode, 400);
}

// source: redirect: 301 to the target, a path of this server given as the client named the
// server (its query dropped); the connection stays open.
TEST_F(ServerSession, DescribeOfARedirectPathIs301WithTheLocation) {
  RtspReply r = s.handle(req("DESCRIBE", "rtsp://user:pw@h:8554/moved?token=1", 2));
  EXPECT_EQ(r.response.statusCode, 301);
  EXPECT_EQ(r.response.reason, "Moved Permanently");
  EXPECT_EQ(r.response.headers.get("Location").value_or(""), "rtsp://user:pw@h:8554/cam");
  EXPECT_EQ(r.then, RtspReply::Then::Continue);
  EXPECT_TRUE(r.logError.empty());
  r = s.handle(req("DESCRIBE", "rtsp://h/away", 3));
  EXPECT_EQ(r.response.statusCode, 301);
  EXPECT_EQ(r.response.headers.get("Location").value_or(""), "rtsps://other.example:322/x");
  EXPECT_EQ(s.handle(req("DESCRIBE", "rtsp://h:8554/cam", 4)).response.statusCode, 200) << "and then reads";
}

TEST_F(ServerSession, ADescribeWaitsForAnOnDemandSourceOnce) {
  RtspReply wait = s.handle(req("DESCRIBE", "rtsp://h/ondemand", 1));
  EXPECT_EQ(wait.then, RtspReply::Then::WaitForSource);
  EXPECT_EQ(wait.waitPath, "ondemand");
  // Handled again after the wait: the answer, whatever it is, is final.
  s.waitForSources(false);
  RtspReply late = s.handle(req("DESCRIBE", "rtsp://h/ondemand", 1));
  EXPECT_EQ(late.response.statusCode, 404);
  EXPECT_EQ(late.then, RtspReply::Then::Close);
  handler.ondemandReady = true;
  EXPECT_EQ(s.handle(req("DESCRIBE", "rtsp://h/ondemand", 2)).response.statusCode, 200);
}

TEST_F(ServerSession, ReadSetupPlay) {
  ASSERT_EQ(s.handle(req("DESCRIBE", "rtsp://h/cam", 1)).response.statusCode, 200);
  RtspReply a = s.handle(
      req("SETUP", "rtsp://h/cam/trackID=0", 2, {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"}}));
  ASSERT_EQ(a.response.statusCode, 200);
  EXPECT_EQ(a.response.headers.get("Transport").value_or(""), "RTP/AVP/TCP;unicast;interleaved=0-1");
  const std::string session(a.response.headers.get("Session").value_or(""));
  EXPECT_EQ(session, s.id() + ";timeout=55");
  RtspReply b = s.handle(req("SETUP", "rtsp://h/cam/trackID=1", 3,
                             {{"Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"}, {"Session", s.id()}}));
  ASSERT_EQ(b.response.statusCode, 200);
  RtspReply p = s.handle(req("PLAY", "rtsp://h/cam/", 4, {{"Session", s.id()}}));
  EXPECT_EQ(p.response.statusCode, 200);
  EXPECT_EQ(p.then, RtspReply::Then::Play);
  ASSERT_EQ(s.tracks().size(), 2u);
  EXPECT_EQ(s.tracks()[1].streamTrack, 1u);
  EXPECT_EQ(s.tracks()[1].rtpChannel, 2);
  // Nothing can be set up once playing.
  EXPECT_EQ(
      s.handle(req("SETUP", "rtsp://h/cam/trackID=1", 5, {{"Transport", "RTP/AVP/TCP;interleaved=4-5"}}))
          .response.statusCode,
      455);
}

TEST_F(ServerSession, SetupWithoutDescribeLooksThePathUp) {
  RtspReply a =
      s.handle(req("SETUP", "rtsp://h/cam/trackID=1", 1, {{"Transport", "RTP/AVP/TCP;interleaved=0-1"}}));
  EXPECT_EQ(a.response.statusCode, 200);
  EXPECT_EQ(s.path(), "cam");
  RtspReply b = s.handle(req("SETUP", "rtsp://h/other/trackID=0", 2,
                             {{"Transport", "RTP/AVP/TCP;interleaved=2-3"}, {"Session", s.id()}}));
  EXPECT_EQ(b.response.statusCode, 400);  // can't setup medias with different paths
}

TEST_F(ServerSession, UdpIsUnsupportedTransportAndKeepsTheConnection) {
  RtspReply r = s.handle(
      req("SETUP", "rtsp://h/cam/trackID=0", 1, {{"Transport", "RTP/AVP;unicast;client_port=5000-5001"}}));
  EXPECT_EQ(r.response.statusCode, 461);
  EXPECT_EQ(r.then, RtspReply::Then::Continue);  // the client retries over TCP
  options.tcp = false;
  EXPECT_EQ(
      s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 2, {{"Transport", "RTP/AVP/TCP;interleaved=0-1"}}))
          .response.statusCode,
      461);
}

TEST_F(ServerSession, UdpSetupAnswersServerPortsAndSsrc) {
  options.udp = true;
  options.udpRtpPort = 8000;
  options.udpRtcpPort = 8001;
  ASSERT_EQ(s.handle(req("DESCRIBE", "rtsp://h/cam", 1)).response.statusCode, 200);
  RtspReply a = s.handle(
      req("SETUP", "rtsp://h/cam/trackID=0", 2, {{"Transport", "RTP/AVP;unicast;client_port=5000-5001"}}));
  ASSERT_EQ(a.response.statusCode, 200) << a.logError;
  const std::string ssrc = fmt::format("{:08X}", handler.stream->track(0).ssrc());
  EXPECT_EQ(a.response.headers.get("Transport").value_or(""),
            "RTP/AVP;unicast;client_port=5000-5001;server_port=8000-8001;ssrc=" + ssrc);
  EXPECT_EQ(s.transport(), RtspMediaTransport::Udp);
  // RTP/AVP/UDP is the same transport.
  RtspReply b =
      s.handle(req("SETUP", "rtsp://h/cam/trackID=1", 3,
                   {{"Transport", "RTP/AVP/UDP;unicast;client_port=5002-5003"}, {"Session", s.id()}}));
  ASSERT_EQ(b.response.statusCode, 200) << b.logError;
  ASSERT_EQ(s.tracks().size(), 2u);
  EXPECT_EQ(s.tracks()[0].clientRtpPort, 5000);
  EXPECT_EQ(s.tracks()[0].clientRtcpPort, 5001);
  EXPECT_EQ(s.tracks()[1].clientRtpPort, 5002);
  EXPECT_NE(s.tracks()[0].rtpChannel, s.tracks()[1].rtpChannel);
  EXPECT_EQ(s.handle(req("PLAY", "rtsp://h/cam/", 4, {{"Session", s.id()}})).then, RtspReply::Then::Play);
}

TEST_F(ServerSession, SetupTakesTheFirstOfferedTransportThatIsServed) {
  options.udp = true;
  options.udpRtpPort = 8000;
  options.udpRtcpPort = 8001;
  // Multicast and an unknown profile are skipped; the unicast UDP offer wins.
  RtspReply a = s.handle(req(
      "SETUP", "rtsp://h/cam/trackID=0", 1,
      {{"Transport",
        "RTP/AVP;multicast, RTP/SAVP;unicast;client_port=7000-7001, RTP/AVP;unicast;client_port=6000-6001, "
        "RTP/AVP/TCP;unicast;interleaved=0-1"}}));
  ASSERT_EQ(a.response.statusCode, 200) << a.logError;
  EXPECT_EQ(s.transport(), RtspMediaTransport::Udp);
  EXPECT_EQ(s.tracks()[0].clientRtpPort, 6000);
  // The client's order decides: TCP first is TCP.
  RtspServerSession t{handler, options, "10.0.0.8"};
  RtspReply b = t.handle(
      req("SETUP", "rtsp://h/cam/trackID=0", 1,
          {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1,RTP/AVP;unicast;client_port=6000-6001"}}));
  ASSERT_EQ(b.response.statusCode, 200) << b.logError;
  EXPECT_EQ(t.transport(), RtspMediaTransport::Tcp);
  EXPECT_EQ(b.response.headers.get("Transport").value_or(""), "RTP/AVP/TCP;unicast;interleaved=0-1");
  // TCP disabled: the UDP alternative behind it is taken.
  options.tcp = false;
  RtspServerSession u{handler, options, "10.0.0.9"};
  RtspReply c = u.handle(
      req("SETUP", "rtsp://h/cam/trackID=0", 1,
          {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1,RTP/AVP;unicast;client_port=6000-6001"}}));
  ASSERT_EQ(c.response.statusCode, 200) << c.logError;
  EXPECT_EQ(u.transport(), RtspMediaTransport::Udp);
}

TEST_F(ServerSession, MulticastSetupGetsTheStreamsGroupPerTrack) {
  RtspMulticastOptions mo;
  mo.firstGroup = 0xe0010000;  // 224.1.0.0/16
  mo.groupCount = 1 << 16;
  RtspMulticastGroups groups(mo);
  options.multicast = true;
  options.multicastOptions = mo;
  options.multicastGroups = &groups;
  ASSERT_EQ(s.handle(req("DESCRIBE", "rtsp://h/cam", 1)).response.statusCode, 200);
  RtspReply a = s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 2,
                             {{"Transport", "RTP/AVP;multicast;destination=10.9.9.9;port=4000-4001"}}));
  ASSERT_EQ(a.response.statusCode, 200) << a.logError;
  EXPECT_EQ(s.transport(), RtspMediaTransport::Multicast);
  // The server's group and ports, never the client's destination.
  EXPECT_TRUE(a.response.headers.get("Transport")
                  .value_or("")
                  .starts_with("RTP/AVP;multicast;destination=224.1.0.1;port=8002-8003;ttl=16;ssrc="))
      << a.response.headers.get("Transport").value_or("");
  const std::string session = s.id();
  RtspReply b = s.handle(
      req("SETUP", "rtsp://h/cam/trackID=1", 3, {{"Transport", "RTP/AVP;multicast"}, {"Session", session}}));
  ASSERT_EQ(b.response.statusCode, 200) << b.logError;
  EXPECT_TRUE(b.response.headers.get("Transport")
                  .value_or("")
                  .starts_with("RTP/AVP;multicast;destination=224.1.0.2;"));
  // A TCP track in the same session is refused: one transport per session.
  RtspServerSession t{handler, options, "10.0.0.8"};
  ASSERT_EQ(t.handle(req("SETUP", "rtsp://h/cam/trackID=1", 1, {{"Transport", "RTP/AVP;multicast"}}))
                .response.statusCode,
            200);
  // A second reader of the same stream gets the same group for the same track.
  EXPECT_TRUE(t.tracks().size() == 1);
  RtspReply c = t.handle(req("SETUP", "rtsp://h/cam/trackID=0", 2,
                             {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"}, {"Session", t.id()}}));
  EXPECT_EQ(c.response.statusCode, 461);
  EXPECT_EQ(c.logError,
            "no offered transport is served: the session's other tracks are set up over UDP multicast");
  EXPECT_EQ(groups.streams(), 1u);
  // A publisher cannot use multicast.
  RtspServerSession p{handler, options, "10.0.0.9"};
  const std::string sdp =
      "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:streamid=0\r\n";
  RtspRequest announce = req("ANNOUNCE", "rtsp://h/pub", 1, {{"Content-Type", "application/sdp"}});
  announce.body = sdp;
  if (p.handle(announce).response.statusCode == 200) {
    RtspReply d = p.handle(
        req("SETUP", "rtsp://h/pub/streamid=0", 2, {{"Transport", "RTP/AVP;multicast;mode=record"}}));
    EXPECT_EQ(d.response.statusCode, 461);
    EXPECT_EQ(d.logError, "no offered transport is served: publishing over UDP multicast is not served");
  }
}

TEST_F(ServerSession, MulticastRangeRunsOutWithAClearError) {
  RtspMulticastOptions mo;
  mo.firstGroup = 0xe0010000;
  mo.groupCount = 4;  // a /30: two usable groups
  RtspMulticastGroups groups(mo);
  options.multicast = true;
  options.multicastOptions = mo;
  options.multicastGroups = &groups;
  std::string error;
  // Asking for the audio track first gives every track its group: video keeps the first.
  EXPECT_EQ(groups.groupFor(handler.stream, 1, error).value_or(0), 0xe0010002u);
  EXPECT_EQ(groups.groupFor(handler.stream, 0, error).value_or(0), 0xe0010001u);
  EXPECT_EQ(groups.groupFor(handler.stream, 1, error).value_or(0), 0xe0010002u);  // the same again
  auto other = std::make_shared<stream::Stream>("other", 1024);
  EXPECT_FALSE(groups.groupFor(other, 0, error));
  EXPECT_EQ(error, "every address of multicastIPRange is in use");
  // A stream that ended gives its groups back.
  handler.stream.reset();
  EXPECT_EQ(groups.groupFor(other, 0, error).value_or(0), 0xe0010001u);
}

TEST_F(ServerSession, NoServedTransportIs461WithTheReasons) {
  // Neither UDP nor multicast enabled: 461, the connection stays for a retry.
  RtspReply a = s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 1,
                             {{"Transport", "RTP/AVP;unicast;client_port=5000-5001,RTP/AVP;multicast"}}));
  EXPECT_EQ(a.response.statusCode, 461);
  EXPECT_EQ(a.then, RtspReply::Then::Continue);
  EXPECT_EQ(
      a.logError,
      "no offered transport is served: UDP is not enabled (rtspTransports); UDP multicast is not enabled "
      "(rtspTransports)");
  options.udp = true;
  options.udpRtpPort = 8000;
  options.udpRtcpPort = 8001;
  RtspReply b = s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 2, {{"Transport", "RTP/AVP;unicast"}}));
  EXPECT_EQ(b.response.statusCode, 461);
  EXPECT_EQ(b.logError, "no offered transport is served: UDP without client_port");
  // Every track of a session travels the same way.
  ASSERT_EQ(s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 3,
                         {{"Transport", "RTP/AVP;unicast;client_port=5000-5001"}}))
                .response.statusCode,
            200);
  RtspReply c = s.handle(req("SETUP", "rtsp://h/cam/trackID=1", 4,
                             {{"Transport", "RTP/AVP/TCP;interleaved=2-3"}, {"Session", s.id()}}));
  EXPECT_EQ(c.response.statusCode, 461);
  EXPECT_EQ(c.logError, "no offered transport is served: the session's other tracks are set up over UDP");
  // Nothing parses: 461 and why.
  RtspReply d = s.handle(req("SETUP", "rtsp://h/cam/trackID=1", 5,
                             {{"Transport", "RTP/AVP;client_port=x, RAW/RAW/UDP"}, {"Session", s.id()}}));
  EXPECT_EQ(d.response.statusCode, 461);
  EXPECT_EQ(d.logError, "invalid Transport: invalid client_port in Transport header");
}

TEST_F(ServerSession, PublishingOverUdpAnswersTheServerPorts) {
  options.udp = true;
  options.udpRtpPort = 8000;
  options.udpRtcpPort = 8001;
  ASSERT_EQ(s.handle(req("ANNOUNCE", "rtsp://h/pub", 1, {{"Content-Type", "application/sdp"}}, kAnnounceSdp))
                .response.statusCode,
            200);
  // ffmpeg's -rtsp_transport udp: the server's pair is where RTP and RTCP go.
  RtspReply a = s.handle(req("SETUP", "rtsp://h/pub/streamid=0", 2,
                             {{"Transport", "RTP/AVP/UDP;unicast;client_port=5000-5001;mode=record"}}));
  ASSERT_EQ(a.response.statusCode, 200) << a.logError;
  EXPECT_EQ(a.response.headers.get("Transport").value_or(""),
            "RTP/AVP;unicast;client_port=5000-5001;server_port=8000-8001");
  EXPECT_EQ(s.transport(), RtspMediaTransport::Udp);
  // Every track of a session travels the same way: TCP for the second is refused (461, kept).
  RtspReply b =
      s.handle(req("SETUP", "rtsp://h/pub/streamid=1", 3,
                   {{"Transport", "RTP/AVP/TCP;unicast;interleaved=2-3;mode=record"}, {"Session", s.id()}}));
  EXPECT_EQ(b.response.statusCode, 461);
  EXPECT_EQ(b.then, RtspReply::Then::Continue);
  EXPECT_EQ(b.logError, "no offered transport is served: the session's other tracks are set up over UDP");
  RtspReply c = s.handle(
      req("SETUP", "rtsp://h/pub/streamid=1", 4,
          {{"Transport", "RTP/AVP;unicast;client_port=5002-5003;mode=record"}, {"Session", s.id()}}));
  ASSERT_EQ(c.response.statusCode, 200) << c.logError;
  ASSERT_EQ(s.tracks().size(), 2u);
  EXPECT_EQ(s.tracks()[1].clientRtpPort, 5002);
  EXPECT_EQ(s.tracks()[1].clientRtcpPort, 5003);
  EXPECT_EQ(s.tracks()[1].streamTrack, 1u);
  RtspReply r = s.handle(req("RECORD", "rtsp://h/pub", 5, {{"Session", s.id()}}));
  EXPECT_EQ(r.response.statusCode, 200) << r.logError;
  EXPECT_EQ(r.then, RtspReply::Then::Record);
}

TEST_F(ServerSession, PublishingOverUdpRefusals) {
  const auto announced = [&](RtspServerSession& x) {
    return x.handle(req("ANNOUNCE", "rtsp://h/pub", 1, {{"Content-Type", "application/sdp"}}, kAnnounceSdp))
               .response.statusCode == 200;
  };
  // UDP not in rtspTransports: 461 with the reason; the client may retry over TCP.
  ASSERT_TRUE(announced(s));
  RtspReply a = s.handle(req("SETUP", "rtsp://h/pub/streamid=0", 2,
                             {{"Transport", "RTP/AVP;unicast;client_port=5000-5001;mode=record"}}));
  EXPECT_EQ(a.response.statusCode, 461);
  EXPECT_EQ(a.then, RtspReply::Then::Continue);
  EXPECT_EQ(a.logError, "no offered transport is served: UDP is not enabled (rtspTransports)");
  EXPECT_EQ(s.handle(req("SETUP", "rtsp://h/pub/streamid=0", 3,
                         {{"Transport",
                           "RTP/AVP;unicast;client_port=5000-5001;mode=record,"
                           "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"}}))
                .response.statusCode,
            200);
  EXPECT_EQ(s.transport(), RtspMediaTransport::Tcp);

  options.udp = true;
  options.udpRtpPort = 8000;
  options.udpRtcpPort = 8001;
  RtspServerSession t{handler, options, "10.0.0.8"};
  ASSERT_TRUE(announced(t));
  // No client_port, a zero port, an unparsable one.
  RtspReply b =
      t.handle(req("SETUP", "rtsp://h/pub/streamid=0", 2, {{"Transport", "RTP/AVP;unicast;mode=record"}}));
  EXPECT_EQ(b.response.statusCode, 461);
  EXPECT_EQ(b.logError, "no offered transport is served: UDP without client_port");
  RtspReply c = t.handle(req("SETUP", "rtsp://h/pub/streamid=0", 3,
                             {{"Transport", "RTP/AVP;unicast;client_port=0-1;mode=record"}}));
  EXPECT_EQ(c.response.statusCode, 461);
  RtspReply d = t.handle(req("SETUP", "rtsp://h/pub/streamid=0", 4,
                             {{"Transport", "RTP/AVP;unicast;client_port=70000-70001;mode=record"}}));
  EXPECT_EQ(d.response.statusCode, 461);
  EXPECT_EQ(d.logError, "invalid Transport: invalid client_port in Transport header");
  // A TCP track first: a UDP one after it is refused.
  ASSERT_EQ(t.handle(req("SETUP", "rtsp://h/pub/streamid=0", 5,
                         {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"}}))
                .response.statusCode,
            200);
  RtspReply e = t.handle(
      req("SETUP", "rtsp://h/pub/streamid=1", 6,
          {{"Transport", "RTP/AVP;unicast;client_port=5002-5003;mode=record"}, {"Session", t.id()}}));
  EXPECT_EQ(e.response.statusCode, 461);
  EXPECT_EQ(e.logError, "no offered transport is served: the session's other tracks are set up over TCP");
  // A publisher's SETUP in play mode.
  RtspServerSession u{handler, options, "10.0.0.9"};
  ASSERT_TRUE(announced(u));
  EXPECT_EQ(u.handle(req("SETUP", "rtsp://h/pub/streamid=0", 2,
                         {{"Transport", "RTP/AVP;unicast;client_port=5000-5001;mode=play"}}))
                .response.statusCode,
            400);
}

TEST_F(ServerSession, BadTransportHeaders) {
  EXPECT_EQ(s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 1)).response.statusCode, 461);
  EXPECT_EQ(s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 2, {{"Transport", "RAW/RAW/UDP;unicast"}}))
                .response.statusCode,
            461);
  EXPECT_EQ(
      s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 3, {{"Transport", "RTP/AVP/TCP;interleaved=1-2"}}))
          .response.statusCode,
      400);  // odd first channel
  EXPECT_EQ(
      s.handle(req("SETUP", "rtsp://h/cam/trackID=9", 4, {{"Transport", "RTP/AVP/TCP;interleaved=0-1"}}))
          .response.statusCode,
      400);  // no such track
}

TEST_F(ServerSession, InterleavedChannelCollisionIsRefused) {
  ASSERT_EQ(
      s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 1, {{"Transport", "RTP/AVP/TCP;interleaved=0-1"}}))
          .response.statusCode,
      200);
  RtspReply r = s.handle(req("SETUP", "rtsp://h/cam/trackID=1", 2,
                             {{"Transport", "RTP/AVP/TCP;interleaved=0-1"}, {"Session", s.id()}}));
  EXPECT_EQ(r.response.statusCode, 400);
  EXPECT_EQ(s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 3,
                         {{"Transport", "RTP/AVP/TCP;interleaved=4-5"}, {"Session", s.id()}}))
                .response.statusCode,
            400);  // set up twice
}

TEST_F(ServerSession, UnknownSessionAndPlayBeforeSetup) {
  EXPECT_EQ(s.handle(req("PLAY", "rtsp://h/cam", 1)).response.statusCode, 454);
  EXPECT_EQ(s.handle(req("PLAY", "rtsp://h/cam", 2, {{"Session", "nope"}})).response.statusCode, 454);
  ASSERT_EQ(
      s.handle(req("SETUP", "rtsp://h/cam/trackID=0", 3, {{"Transport", "RTP/AVP/TCP;interleaved=0-1"}}))
          .response.statusCode,
      200);
  EXPECT_EQ(s.handle(req("PLAY", "rtsp://h/cam", 4, {{"Session", "other"}})).response.statusCode, 454);
  EXPECT_EQ(s.handle(req("SETUP", "rtsp://h/cam/trackID=1", 5,
                         {{"Transport", "RTP/AVP/TCP;interleaved=2-3"}, {"Session", "other"}}))
                .response.statusCode,
            454);
  EXPECT_EQ(s.handle(req("RECORD", "rtsp://h/cam", 6, {{"Session", s.id()}})).response.statusCode, 455);
  EXPECT_EQ(s.handle(req("PAUSE", "rtsp://h/cam", 7, {{"Session", s.id()}})).response.statusCode, 455);
  EXPECT_EQ(s.handle(req("FLY", "rtsp://h/cam", 8)).response.statusCode, 501);
}

TEST_F(ServerSession, AskCredentialsKeepsTheConnectionWrongOnesCloseItAfterAPause) {
  handler.verdict = RtspAccessVerdict::AskCredentials;
  RtspReply ask = s.handle(req("DESCRIBE", "rtsp://h/cam", 1));
  EXPECT_EQ(ask.response.statusCode, 401);
  EXPECT_EQ(ask.response.headers.get("WWW-Authenticate").value_or(""), "Basic realm=\"ipcam\"");
  EXPECT_EQ(ask.then, RtspReply::Then::Continue);
  EXPECT_EQ(ask.delay.count(), 0);
  handler.verdict = RtspAccessVerdict::Denied;
  RtspReply denied = s.handle(req("DESCRIBE", "rtsp://h/cam", 2, {{"Authorization", "Basic dTpw"}}));
  EXPECT_EQ(denied.response.statusCode, 401);
  EXPECT_EQ(denied.then, RtspReply::Then::Close);
  EXPECT_GT(denied.delay.count(), 0);
  EXPECT_EQ(handler.asked.back().authorization, "Basic dTpw");
}

// ---- rtspAuthMethods -------------------------------------------------------------------------

namespace {

// Checks credentials as app/RtspBridge does: Digest answers through auth/, with the
// connection's challenge, a scheme the server did not offer as wrong credentials.
struct AuthCheckingHandler : FakeHandler {
  auth::AccessControl access{std::make_shared<const auth::AuthManager>(
      *auth::AuthManager::create({{"viewer", "s3cret", {}, {{"read", "cam"}}}}))};
  RtspAccessResult checkAccess(const RtspAccessQuery& q) override {
    asked.push_back(q);
    const bool digest = auth::isDigestAuthorization(q.authorization);
    auto request = auth::httpAuthRequest(digest ? "" : q.authorization, q.remoteIp, "read", q.path);
    if (digest) {
      request->digest = q.digestAllowed ? auth::parseDigestAuthorization(q.authorization) : std::nullopt;
      request->unusableCredentials = !request->digest;
      if (request->digest) request->user = request->digest->username;
      request->digestChallenge = {q.realm, q.nonce, q.method, q.uri};
    } else if (!q.basicAllowed && request->supplied()) {
      request->unusableCredentials = true;
    }
    const auth::AccessDecision d = access.check(*request, "RTSP");
    switch (d.verdict) {
      case auth::AccessVerdict::Allowed:
        return {RtspAccessVerdict::Allowed};
      case auth::AccessVerdict::AskCredentials:
        return {RtspAccessVerdict::AskCredentials};
      default:
        return {RtspAccessVerdict::Denied, d.delay + std::chrono::milliseconds(1)};
    }
  }
};

class DigestSession : public ::testing::Test {
 protected:
  void SetUp() override {
    handler.stream = std::make_shared<stream::Stream>("cam", 1024);
    handler.stream->start(videoAndPcmu());
    options.authMethods = {RtspAuthMethod::Digest};
  }
  // DESCRIBE without credentials, then with the Authorization `pass` gives for the 401's
  // challenge (as ffmpeg does), on session `s`.
  RtspReply describeWith(RtspServerSession& session, const std::string& pass,
                         RtspServerSession* challengeFrom = nullptr) {
    RtspReply ask = (challengeFrom ? *challengeFrom : session).handle(req("DESCRIBE", kUrl, 1));
    EXPECT_EQ(ask.response.statusCode, 401);
    RtspAuthenticator client("viewer", pass);
    std::string error;
    EXPECT_TRUE(client.acceptChallenges(ask.response.headers.getAll("WWW-Authenticate"), &error)) << error;
    return session.handle(req("DESCRIBE", kUrl, 2, {{"Authorization", client.authorize("DESCRIBE", kUrl)}}));
  }
  static constexpr const char* kUrl = "rtsp://127.0.0.1:8554/cam";
  AuthCheckingHandler handler;
  RtspServerOptions options;
  RtspServerSession s{handler, options, "10.0.0.7"};
};

}  // namespace

TEST_F(ServerSession, AnAccessDecidedLaterAnswersTheSameRequestWithTheVerdict) {
  handler.verdict = RtspAccessVerdict::AskLater;  // authMethod http: the server must be asked
  const RtspRequest describe = req("DESCRIBE", "rtsp://h/cam?token=t1", 2, {{"Authorization", "Basic dTpw"}});
  RtspReply wait = s.handle(describe);
  EXPECT_EQ(wait.then, RtspReply::Then::WaitForAccess);
  EXPECT_EQ(wait.response.statusCode, 0) << "nothing is answered before the verdict";
  EXPECT_EQ(wait.accessQuery.path, "cam");
  EXPECT_EQ(wait.accessQuery.query, "token=t1");
  EXPECT_EQ(wait.accessQuery.authorization, "Basic dTpw");
  EXPECT_EQ(s.state(), RtspServerSession::State::Initial);

  s.setAccessAnswer({RtspAccessVerdict::Allowed});
  EXPECT_EQ(s.handle(describe).response.statusCode, 200);
  // The verdict was for that request only: the next one is asked about again.
  EXPECT_EQ(s.handle(describe).then, RtspReply::Then::WaitForAccess);

  RtspServerSession other{handler, options, "10.0.0.8"};
  EXPECT_EQ(other.handle(describe).then, RtspReply::Then::WaitForAccess);
  other.setAccessAnswer({RtspAccessVerdict::Denied, std::chrono::milliseconds(5)});
  RtspReply denied = other.handle(describe);
  EXPECT_EQ(denied.response.statusCode, 401);
  EXPECT_EQ(denied.then, RtspReply::Then::Close);
  EXPECT_EQ(denied.delay, std::chrono::milliseconds(5));
  EXPECT_TRUE(denied.response.headers.get("WWW-Authenticate").has_value());

  // A request that then waits for its on-demand source keeps its verdict for when it is
  // handled again: the server is not asked twice.
  RtspServerSession third{handler, options, "10.0.0.9"};
  const RtspRequest ondemand = req("DESCRIBE", "rtsp://h/ondemand", 2);
  EXPECT_EQ(third.handle(ondemand).then, RtspReply::Then::WaitForAccess);
  third.setAccessAnswer({RtspAccessVerdict::Allowed});
  EXPECT_EQ(third.handle(ondemand).then, RtspReply::Then::WaitForSource);
  const size_t asked = handler.asked.size();
  handler.ondemandReady = true;
  third.waitForSources(false);
  EXPECT_EQ(third.handle(ondemand).response.statusCode, 200);
  EXPECT_EQ(handler.asked.size(), asked);
}

TEST_F(ServerSession, ChallengesFollowRtspAuthMethodsInOrder) {
  handler.verdict = RtspAccessVerdict::AskCredentials;
  options.authMethods = {RtspAuthMethod::Digest, RtspAuthMethod::Basic};
  const RtspReply ask = s.handle(req("DESCRIBE", "rtsp://h/cam", 1));
  ASSERT_EQ(ask.response.statusCode, 401);
  const auto challenges = ask.response.headers.getAll("WWW-Authenticate");
  ASSERT_EQ(challenges.size(), 2u);
  auto digest = parseRtspAuthChallenge(challenges[0]);
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->scheme, RtspAuthChallenge::Scheme::Digest);
  EXPECT_EQ(digest->realm, "ipcam");
  EXPECT_EQ(digest->nonce.size(), 32u);
  EXPECT_EQ(challenges[0], "Digest realm=\"ipcam\", nonce=\"" + digest->nonce + "\", algorithm=\"MD5\"");
  EXPECT_EQ(challenges[1], "Basic realm=\"ipcam\"");
  // The handler gets what a Digest answer must match.
  const RtspAccessQuery& q = handler.asked.back();
  EXPECT_TRUE(q.basicAllowed);
  EXPECT_TRUE(q.digestAllowed);
  EXPECT_EQ(q.nonce, digest->nonce);
  EXPECT_EQ(q.realm, "ipcam");
  EXPECT_EQ(q.method, "DESCRIBE");
  EXPECT_EQ(q.uri, "rtsp://h/cam");
  // The same nonce for the whole connection, another one for another connection.
  const RtspReply second = s.handle(req("DESCRIBE", "rtsp://h/cam", 2));
  EXPECT_EQ(parseRtspAuthChallenge(second.response.headers.getAll("WWW-Authenticate").at(0))->nonce,
            digest->nonce);
  RtspServerSession other{handler, options, "10.0.0.8"};
  const RtspReply fromOther = other.handle(req("DESCRIBE", "rtsp://h/cam", 1));
  EXPECT_NE(parseRtspAuthChallenge(fromOther.response.headers.getAll("WWW-Authenticate").at(0))->nonce,
            digest->nonce);
  // Basic first, then digest.
  options.authMethods = {RtspAuthMethod::Basic, RtspAuthMethod::Digest};
  const RtspReply third = s.handle(req("DESCRIBE", "rtsp://h/cam", 3));
  const auto again = third.response.headers.getAll("WWW-Authenticate");
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0], "Basic realm=\"ipcam\"");
  EXPECT_EQ(again[1], "Digest realm=\"ipcam\", nonce=\"" + digest->nonce + "\", algorithm=\"MD5\"");
}

TEST_F(DigestSession, TheRightPasswordReads) {
  RtspReply ok = describeWith(s, "s3cret");
  EXPECT_EQ(ok.response.statusCode, 200);
  EXPECT_EQ(ok.response.headers.get("Content-Type").value_or(""), "application/sdp");
  EXPECT_EQ(s.state(), RtspServerSession::State::Reading);
}

TEST_F(DigestSession, AWrongPasswordIs401AfterThePauseAndCloses) {
  RtspReply denied = describeWith(s, "guess");
  EXPECT_EQ(denied.response.statusCode, 401);
  EXPECT_EQ(denied.then, RtspReply::Then::Close);
  EXPECT_GT(denied.delay.count(), 0);
}

TEST_F(DigestSession, AnAnswerToAnotherConnectionsNonceIsRefused) {
  RtspServerSession other{handler, options, "10.0.0.7"};
  RtspReply denied = describeWith(s, "s3cret", &other);
  EXPECT_EQ(denied.response.statusCode, 401);
  EXPECT_EQ(denied.then, RtspReply::Then::Close);
  EXPECT_GT(denied.delay.count(), 0);
}

TEST_F(DigestSession, BasicIsRefusedWhenOnlyDigestIsOfferedAndMalformedDigestToo) {
  RtspReply basic =
      s.handle(req("DESCRIBE", kUrl, 1, {{"Authorization", basicAuthorization("viewer", "s3cret")}}));
  EXPECT_EQ(basic.response.statusCode, 401);
  EXPECT_EQ(basic.then, RtspReply::Then::Close);
  RtspServerSession s2{handler, options, "10.0.0.9"};
  RtspReply malformed = s2.handle(req("DESCRIBE", kUrl, 1, {{"Authorization", "Digest username=\"viewer"}}));
  EXPECT_EQ(malformed.response.statusCode, 401);
  EXPECT_EQ(malformed.then, RtspReply::Then::Close);
  // With basic listed too, Basic works.
  options.authMethods = {RtspAuthMethod::Basic, RtspAuthMethod::Digest};
  RtspServerSession s3{handler, options, "10.0.0.10"};
  EXPECT_EQ(s3.handle(req("DESCRIBE", kUrl, 1, {{"Authorization", basicAuthorization("viewer", "s3cret")}}))
                .response.statusCode,
            200);
}

TEST_F(ServerSession, AnnounceSetupRecord) {
  RtspReply a =
      s.handle(req("ANNOUNCE", "rtsp://h/pub", 1, {{"Content-Type", "application/sdp"}}, kAnnounceSdp));
  ASSERT_EQ(a.response.statusCode, 200) << a.logError;
  EXPECT_TRUE(handler.asked.back().publish);
  ASSERT_EQ(s.announcedFormat().size(), 2u);
  RtspReply s1 = s.handle(req("SETUP", "rtsp://h/pub/streamid=0", 2,
                              {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"}}));
  ASSERT_EQ(s1.response.statusCode, 200) << s1.logError;
  // RECORD before every announced track is set up.
  EXPECT_EQ(s.handle(req("RECORD", "rtsp://h/pub", 3, {{"Session", s.id()}})).response.statusCode, 400);
}

TEST_F(ServerSession, AnnounceSetupRecordAllTracks) {
  ASSERT_EQ(s.handle(req("ANNOUNCE", "rtsp://h/pub", 1, {{"Content-Type", "application/sdp"}}, kAnnounceSdp))
                .response.statusCode,
            200);
  ASSERT_EQ(s.handle(req("SETUP", "rtsp://h/pub/streamid=1", 2,
                         {{"Transport", "RTP/AVP/TCP;interleaved=0-1;mode=record"}}))
                .response.statusCode,
            200);
  ASSERT_EQ(s.handle(req("SETUP", "rtsp://h/pub/streamid=0", 3,
                         {{"Transport", "RTP/AVP/TCP;interleaved=2-3;mode=record"}, {"Session", s.id()}}))
                .response.statusCode,
            200);
  RtspReply r = s.handle(req("RECORD", "rtsp://h/pub", 4, {{"Session", s.id()}}));
  EXPECT_EQ(r.response.statusCode, 200);
  EXPECT_EQ(r.then, RtspReply::Then::Record);
  bool rtcp = false;
  EXPECT_EQ(s.trackOfChannel(0, rtcp), 1);  // audio: stream track 1 (video comes first)
  EXPECT_FALSE(rtcp);
  EXPECT_EQ(s.trackOfChannel(3, rtcp), 0);
  EXPECT_TRUE(rtcp);
  EXPECT_EQ(s.trackOfChannel(8, rtcp), -1);  // an interleaved frame on a channel no SETUP declared
}

TEST_F(ServerSession, AnnounceRefusals) {
  EXPECT_EQ(s.handle(req("ANNOUNCE", "rtsp://h/pub", 1, {{"Content-Type", "application/sdp"}}, "garbage"))
                .response.statusCode,
            400);
  EXPECT_EQ(s.handle(req("ANNOUNCE", "rtsp://h/pub", 2, {}, kAnnounceSdp)).response.statusCode,
            400);  // no Content-Type
  EXPECT_EQ(s.handle(req("ANNOUNCE", "rtsp://h/pub", 3, {{"Content-Type", "application/sdp"}},
                         "v=0\r\no=- 0 0 IN IP4 1.2.3.4\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\n"))
                .response.statusCode,
            400);  // JPEG only: nothing Sluice can carry
  RtspReply cam =
      s.handle(req("ANNOUNCE", "rtsp://h/cam", 4, {{"Content-Type", "application/sdp"}}, kAnnounceSdp));
  EXPECT_EQ(cam.response.statusCode, 400);
  EXPECT_EQ(cam.logError, "can't publish to path 'cam' since 'source' is not 'publisher'");
}

// What a publisher announced reaches readers whole: LATM's StreamMuxConfig (without it
// GStreamer's depayloader never starts) and Opus's channels, which the rtpmap never says.
TEST(RtspServerSdp, RepeatsThePublishersAudioParameters) {
  stream::StreamFormat format{
      media::describeTrack("audio", 96, "MP4A-LATM", 48000, 0, "cpresent=0;config=40002310adca00"),
      media::describeTrack("audio", 97, "MP4A-LATM", 48000, 2,
                           "profile-level-id=15; object=2; cpresent=0; config=400023203fc0"),
      media::describeTrack("audio", 98, "opus", 48000, 2, "sprop-stereo=1"),
      media::describeTrack("audio", 99, "opus", 48000, 2, "useinbandfec=1"),
  };
  const std::string sdp = buildServerSdp(format);
  EXPECT_NE(sdp.find("a=rtpmap:96 MP4A-LATM/48000\r\n"
                     "a=fmtp:96 profile-level-id=30; cpresent=0; config=40002310adca00\r\n"),
            std::string::npos)
      << sdp;
  EXPECT_NE(sdp.find("a=rtpmap:97 MP4A-LATM/48000/2\r\n"
                     "a=fmtp:97 profile-level-id=15; object=2; cpresent=0; config=400023203fc0\r\n"),
            std::string::npos)
      << sdp;
  EXPECT_NE(sdp.find("a=rtpmap:98 opus/48000/2\r\na=fmtp:98 sprop-stereo=1\r\n"), std::string::npos) << sdp;
  EXPECT_NE(sdp.find("a=rtpmap:99 opus/48000/2\r\na=fmtp:99 sprop-stereo=0\r\n"), std::string::npos) << sdp;
}

TEST(RtspServerSdp, TrackIdOfUrl) {
  EXPECT_EQ(trackIdOfUrl("rtsp://h/cam/trackID=3"), 3u);
  EXPECT_FALSE(trackIdOfUrl("rtsp://h/cam"));
  EXPECT_FALSE(trackIdOfUrl("rtsp://h/cam/trackID=x"));
}

// ---- backlog --------------------------------------------------------------------------------

int64_t gNowUs = 1'000'000'000;
int64_t steppingClock() { return gNowUs += 1000; }  // every packet arrives 1 ms after the previous

// A stream reader that only queues, as RtspServerConnection does before its turn's writev.
struct QueueingReader : stream::StreamReader {
  RtspPlayQueue* q = nullptr;
  void onStreamPacket(size_t t, const stream::HistoryPacket& p) override { q->onPacket(t, p); }
  void onStreamEnded(const std::string&) override {}
  uint64_t historyNeededFrom(size_t t) const override { return q->neededFrom(t); }
};

// A video + PCMU stream whose one reader queues into `q` (at most `limit` live packets).
struct QueuedStream {
  explicit QueuedStream(size_t limit) : q(st, limit) {
    st.start(videoAndPcmu());
    reader.q = &q;
  }
  ~QueuedStream() { st.removeReader(&reader); }
  // The reader takes both tracks, video on channel 0 and audio on 2.
  void play() {
    q.addTrack(0, 0, true);
    q.addTrack(1, 2, false);
    st.addReader(&reader);
  }
  // Takes what the queue would send now; the channel of each packet.
  std::vector<uint8_t> drain() {
    std::vector<uint8_t> channels;
    uint8_t ch = 255;
    while (q.front(ch)) {
      channels.push_back(ch);
      q.pop();
    }
    return channels;
  }
  // A one-packet video frame 10 ms after the previous one (with the clock's own 1 ms a packet).
  void frame(bool idr) {
    gNowUs += 10'000;
    auto v = rtp(96, seq, seq * 3000u, 100, idr ? 0x65 : 0x41);
    ++seq;
    st.ingestRtp(0, v.data(), v.size());
  }
  // Takes what the queue (q unless told) would send now; the history index of each packet.
  std::vector<uint64_t> drainIndexes() { return drainIndexes(q); }
  static std::vector<uint64_t> drainIndexes(RtspPlayQueue& queue) {
    std::vector<uint64_t> sent;
    uint8_t ch = 255;
    while (const stream::HistoryPacket* p = queue.front(ch)) {
      sent.push_back(p->index);
      queue.pop();
    }
    return sent;
  }
  stream::Stream st{"cam", 1024, stream::kMaxRtpPayload, steppingClock};
  QueueingReader reader;
  RtspPlayQueue q;
  uint16_t seq = 1;
};

TEST(RtspPlayQueue, SendsInArrivalOrderAndSkipsToTheNextKeyframeWhenTooFarBehind) {
  QueuedStream s(8);
  stream::Stream& st = s.st;
  RtspPlayQueue& q = s.q;
  s.play();
  uint16_t vseq = 1, aseq = 1;
  auto video = [&](bool idr) {
    auto v = rtp(96, vseq, vseq * 3000u, 100, idr ? 0x65 : 0x41);
    ++vseq;
    st.ingestRtp(0, v.data(), v.size());
  };
  auto audio = [&] {
    auto a = rtp(0, aseq, aseq * 160u, 160, 0xff);
    ++aseq;
    st.ingestRtp(1, a.data(), a.size());
  };
  video(true);
  audio();
  video(false);
  // The IDR leaves as STAP-A [SPS, PPS] + the slice: video, video, audio, video.
  EXPECT_EQ(s.drain(), (std::vector<uint8_t>{0, 0, 2, 0}));
  uint8_t ch = 255;
  // Nobody sends: past 8 waiting packets the backlog is dropped...
  for (int i = 0; i < 12; ++i) video(false);
  EXPECT_EQ(q.skips(), 1u);
  EXPECT_TRUE(q.skipping());
  EXPECT_EQ(q.front(ch), nullptr);
  audio();
  EXPECT_EQ(q.front(ch), nullptr);  // ... and nothing is sent until the next keyframe
  video(true);
  const stream::HistoryPacket* p = q.front(ch);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->keyframeStart);
  EXPECT_EQ(ch, 0);
  EXPECT_GE(q.packetsDiscarded(), 9u);
}

// A reader resumed at a keyframe after a skip starts its audio from that keyframe's instant,
// but never below what it already sent: here the camera's video clock steps back five seconds
// (its encoder restarted inside the session), so audio already sent lies after that keyframe.
TEST(RtspPlayQueue, AReaderResumedAfterASkipNeverSendsAPacketTwice) {
  QueuedStream s(8);
  stream::Stream& st = s.st;
  RtspPlayQueue& q = s.q;
  s.play();
  uint8_t sr[64];
  const size_t n = media::buildSenderReport(sr, sizeof(sr), 42, uint64_t{1000} << 32, 0, 0, 0);
  st.ingestRtcp(0, sr, n);
  st.ingestRtcp(1, sr, n);
  uint16_t vseq = 1, aseq = 1;
  uint32_t vts = 10 * 90000;  // both clocks 10 s in, so that the video's can step back
  auto video = [&](bool idr) {
    auto v = rtp(96, vseq++, vts, 100, idr ? 0x65 : 0x41);
    vts += 900;
    st.ingestRtp(0, v.data(), v.size());
  };
  auto audio = [&] {
    auto a = rtp(0, aseq, 10 * 8000 + aseq * 88u, 160, 0xff);
    ++aseq;
    st.ingestRtp(1, a.data(), a.size());
  };
  uint64_t audioSent = 0;  // next audio index not sent yet
  auto send = [&] {
    uint8_t ch = 255;
    while (const stream::HistoryPacket* p = q.front(ch)) {
      if (ch == 2) {
        ASSERT_GE(p->index, audioSent) << "audio packet " << p->index << " sent again";
        audioSent = p->index + 1;
      }
      q.pop();
    }
  };
  for (int i = 0; i < 30; ++i) {
    video(i % 10 == 0);
    audio();
    send();
  }
  ASSERT_GT(audioSent, 20u);
  vts -= 5 * 90000;
  for (int i = 0; i < 12; ++i) video(false);  // nobody sends: the backlog is dropped
  ASSERT_EQ(q.skips(), 1u);
  audio();
  video(true);  // the reader resumes here
  audio();
  EXPECT_FALSE(q.skipping());
  send();
  EXPECT_EQ(q.skips(), 1u);
}

// PLAY after PAUSE: the reader detaches with its queue and comes back with a new one that
// knows what it sent. Within the same GOP it continues with the next packet (the cached
// keyframe and what followed it were sent already); once a newer keyframe is cached, it
// starts there. Never a packet twice, as a fresh join from the keyframe would send.
TEST(RtspPlayQueue, PlayAfterPauseContinuesWhereItStoppedOrAtANewerKeyframe) {
  QueuedStream s(4096);
  s.q.addTrack(0, 0, true);
  s.st.addReader(&s.reader);
  s.frame(true);
  for (int i = 0; i < 5; ++i) s.frame(false);
  std::vector<uint64_t> sent = s.drainIndexes();
  ASSERT_EQ(sent.size(), 2u + 5);  // STAP-A [SPS, PPS], the IDR, five P frames
  s.st.removeReader(&s.reader);    // PAUSE
  const uint64_t next = s.q.sentUpTo(0);
  EXPECT_EQ(next, 7u);
  for (int i = 0; i < 3; ++i) s.frame(false);

  // PLAY: the reader comes back with a new queue told what it sent.
  const auto play = [&](RtspPlayQueue& queue, uint64_t sentBefore) {
    queue.addTrack(0, 0, true, sentBefore);
    s.reader.q = &queue;
    s.st.addReader(&s.reader);
    return QueuedStream::drainIndexes(queue);
  };
  RtspPlayQueue resumed(s.st, 4096);
  EXPECT_EQ(play(resumed, next), (std::vector<uint64_t>{7, 8, 9}));
  EXPECT_EQ(resumed.cachedWaiting(), 0u);  // the packets sent before were not counted as waiting

  s.st.removeReader(&s.reader);  // PAUSE again, across a keyframe
  const uint64_t next2 = resumed.sentUpTo(0);
  s.frame(false);
  s.frame(true);  // indexes 11 (STAP-A) and 12
  s.frame(false);
  RtspPlayQueue resumed2(s.st, 4096);
  const std::vector<uint64_t> third = play(resumed2, next2);
  EXPECT_EQ(third, (std::vector<uint64_t>{11, 12, 13}));
  s.st.removeReader(&s.reader);
  s.reader.q = &s.q;
  s.st.addReader(&s.reader);  // the fixture's destructor removes it
}

TEST(RtspPlayQueue, TheHistoryKeepsWhatAReaderBehindAKeyframeHasYetToSend) {
  // The reader's socket takes nothing for 900 ms, across a keyframe: what precedes that
  // keyframe is older than the history's retention, but the reader still gets every packet.
  QueuedStream s(4096);
  s.q.addTrack(0, 0, true);
  s.st.addReader(&s.reader);
  s.frame(true);
  for (int i = 0; i < 30; ++i) s.frame(false);
  s.frame(true);
  for (int i = 0; i < 60; ++i) s.frame(false);
  const stream::PacketHistory& h = s.st.findTrack(0)->history();
  EXPECT_EQ(h.tail(), 0u) << "the first keyframe is 900 ms old and still held";
  const std::vector<uint64_t> sent = s.drainIndexes();
  // Each IDR leaves as STAP-A [SPS, PPS] + the slice.
  ASSERT_EQ(sent.size(), 2u + 30 + 2 + 60);
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i], i);
  EXPECT_EQ(s.q.skips(), 0u);
  // Once the reader has sent them, the history drops them with the packets that follow (the
  // next fan-out takes the reader's new position).
  s.frame(false);
  s.frame(false);
  EXPECT_EQ(h.tail(), 31u) << "the packets before the second keyframe went, but for the frame just before it";
}

TEST(RtspPlayQueue, AReaderSlowToTakeItsStartKeepsIt) {
  // A reader joins 600 ms into a GOP and its socket takes nothing while the stream hands it
  // the cached frames (a player still starting, a client starved of CPU): they are in the
  // history, so they do not count toward the backlog limit, and the reader still starts at
  // the keyframe. Live packets count as before.
  QueuedStream s(16);
  s.q.addTrack(0, 0, true);
  s.frame(true);
  for (int i = 0; i < 59; ++i) s.frame(false);
  s.st.addReader(&s.reader);
  EXPECT_GT(s.q.cachedWaiting(), 16u) << "the first 200 ms of the cache, at once";
  // The rest of the cache comes paced with the stream's next frames.
  for (int i = 0; i < 15; ++i) s.frame(false);
  EXPECT_EQ(s.q.skips(), 0u);
  EXPECT_GE(s.q.cachedWaiting(), 61u) << "the whole cache was handed on (the IDR is 2 packets)";
  EXPECT_LE(s.q.waiting(), 16u);
  const std::vector<uint64_t> sent = s.drainIndexes();
  ASSERT_EQ(sent.size(), 2u + 59 + 15);
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i], i);
  EXPECT_EQ(s.q.cachedWaiting(), 0u);
  EXPECT_EQ(s.q.waiting(), 0u);
  // Live, the socket again takes nothing: past 16 live packets the reader skips ahead.
  for (int i = 0; i < 17; ++i) s.frame(false);
  EXPECT_EQ(s.q.skips(), 1u);
  EXPECT_TRUE(s.q.skipping());
}

TEST(RtspPlayQueue, TheHistoryKeepsWhatAReaderStillCatchingUpHasYetToSend) {
  // A reader joins at the end of a GOP and its socket takes nothing; the next keyframe comes
  // while the stream is still handing it the cache. The old GOP is then past the history's
  // retention, but the reader's cursors (behind what the stream has handed it) keep it, as
  // long as the ring has room (it grew to 128 packets for the first GOP's 81).
  QueuedStream s(4096);
  s.q.addTrack(0, 0, true);
  s.frame(true);
  for (int i = 0; i < 79; ++i) s.frame(false);
  s.st.addReader(&s.reader);
  s.frame(true);
  for (int i = 0; i < 20; ++i) s.frame(false);  // the stream hands it the rest meanwhile
  EXPECT_EQ(s.st.findTrack(0)->history().tail(), 0u) << "the first GOP is still held";
  const std::vector<uint64_t> sent = s.drainIndexes();
  EXPECT_EQ(s.q.skips(), 0u);
  ASSERT_EQ(sent.size(), 2u + 79 + 2 + 20);
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i], i);
}

TEST(RtspPlayQueue, NeverReadsIntoAFrameTheStreamStillHolds) {
  QueuedStream s(64);
  s.q.addTrack(0, 0, true);
  s.st.addReader(&s.reader);
  auto slice = [&](uint16_t seq, bool marker) {
    auto v = rtp(96, seq, seq == 1 ? 3000u : 6000u, 100, seq == 1 ? 0x65 : 0x41);
    if (!marker) v[1] &= 0x7f;
    s.st.ingestRtp(0, v.data(), v.size());
  };
  slice(1, true);  // a keyframe of one slice: handed on at once (STAP-A + the slice)
  slice(2, false);
  size_t sent = s.drain().size();
  EXPECT_EQ(sent, 2u) << "the held half of the next frame stays in the history";
  slice(3, true);
  sent += s.drain().size();
  EXPECT_EQ(sent, 4u);
}

// ---- over a socket --------------------------------------------------------------------------

namespace {

class ServerOverSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    handler.stream = std::make_shared<stream::Stream>("cam", 1024);
    handler.worker = &io;
    options.address = "127.0.0.1:0";
    options.idleTimeout = std::chrono::milliseconds(60000);
    configure();
    server = std::make_unique<RtspServer>(io, handler, options);
    std::string error;
    ASSERT_TRUE(server->start(error)) << error;
    // The stream must be started on its worker (the io thread here).
    boost::asio::post(io, [this] { handler.stream->start(videoAndPcmu()); });
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    std::promise<void> done;
    boost::asio::post(io, [&] {
      server->stop();
      done.set_value();
    });
    done.get_future().wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    boost::asio::post(io, [this] { handler.stream->stop("test over"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    work.reset();
    io.stop();
    thread.join();
  }
  virtual void configure() {}
  boost::asio::ip::tcp::socket connect() {
    boost::asio::ip::tcp::socket s(client);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), server->port()});
    return s;
  }
  // Reads one response (headers and body).
  static RtspResponse readResponse(boost::asio::ip::tcp::socket& s, RtspStreamParser& parser) {
    while (true) {
      auto r = parser.next();
      if (r == RtspStreamParser::Result::Response) return parser.response();
      if (r == RtspStreamParser::Result::Error) return {};
      if (r == RtspStreamParser::Result::Interleaved) continue;
      auto space = parser.prepare();
      boost::system::error_code ec;
      size_t n = s.read_some(boost::asio::buffer(space.data(), space.size()), ec);
      if (ec) return {};
      parser.commit(n);
    }
  }
  static bool closedByServer(boost::asio::ip::tcp::socket& s) {
    std::array<char, 4096> buf;
    boost::system::error_code ec;
    for (int i = 0; i < 100 && !ec; ++i) s.read_some(boost::asio::buffer(buf), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
      io.get_executor()};
  boost::asio::io_context client;
  FakeHandler handler;
  RtspServerOptions options;
  std::unique_ptr<RtspServer> server;
  std::thread thread;
};

}  // namespace

TEST_F(ServerOverSocket, GarbageClosesTheConnection) {
  auto s = connect();
  boost::asio::write(s, boost::asio::buffer(std::string("\x01\x02 hello\r\n\r\n")));
  EXPECT_TRUE(closedByServer(s));
}

TEST_F(ServerOverSocket, OversizeHeadersCloseTheConnection) {
  auto s = connect();
  std::string big =
      "OPTIONS rtsp://h/cam RTSP/1.0\r\nCSeq: 1\r\nX-Pad: " + std::string(20000, 'a') + "\r\n\r\n";
  boost::system::error_code ec;
  boost::asio::write(s, boost::asio::buffer(big), ec);
  EXPECT_TRUE(closedByServer(s));
}

TEST_F(ServerOverSocket, ErrorResponsesCloseTheConnection) {
  auto s = connect();
  boost::asio::write(
      s, boost::asio::buffer(std::string("DESCRIBE rtsp://h/nothing RTSP/1.0\r\nCSeq: 1\r\n\r\n")));
  RtspStreamParser parser;
  EXPECT_EQ(readResponse(s, parser).statusCode, 404);
  EXPECT_TRUE(closedByServer(s));
}

TEST_F(ServerOverSocket, AReaderGetsTheStreamsPacketsInterleaved) {
  auto s = connect();
  RtspStreamParser parser;
  auto send = [&](const std::string& text) { boost::asio::write(s, boost::asio::buffer(text)); };
  send("DESCRIBE rtsp://127.0.0.1/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n");
  ASSERT_EQ(readResponse(s, parser).statusCode, 200);
  send(
      "SETUP rtsp://127.0.0.1/cam/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: "
      "RTP/AVP/TCP;unicast;interleaved=4-5\r\n\r\n");
  RtspResponse setup = readResponse(s, parser);
  ASSERT_EQ(setup.statusCode, 200);
  std::string session(setup.headers.get("Session").value_or(""));
  session = session.substr(0, session.find(';'));
  send("PLAY rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 3\r\nSession: " + session + "\r\n\r\n");
  RtspResponse play = readResponse(s, parser);
  ASSERT_EQ(play.statusCode, 200);
  // The camera sends an IDR then 20 P frames; audio is not set up and must not arrive.
  boost::asio::post(io, [this] {
    for (uint16_t i = 0; i < 21; ++i) {
      auto v = rtp(96, i, i * 3000u, 500, i == 0 ? 0x65 : 0x41);
      handler.stream->ingestRtp(0, v.data(), v.size());
      auto a = rtp(0, i, i * 160u, 160, 0xff);
      handler.stream->ingestRtp(1, a.data(), a.size());
    }
  });
  size_t frames = 0;
  uint16_t lastSeq = 0;
  while (frames < 22) {  // STAP-A + 21 slices
    auto r = parser.next();
    if (r == RtspStreamParser::Result::Interleaved) {
      const auto& f = parser.frame();
      ASSERT_EQ(f.channel, 4);
      ASSERT_GE(f.size, 12u);
      const uint16_t seq = media::readBe16(f.data + 2);
      if (frames > 0) {
        EXPECT_EQ(static_cast<uint16_t>(lastSeq + 1), seq);
      }
      lastSeq = seq;
      ++frames;
      continue;
    }
    ASSERT_EQ(r, RtspStreamParser::Result::NeedMore);
    auto space = parser.prepare();
    size_t n = s.read_some(boost::asio::buffer(space.data(), space.size()));
    parser.commit(n);
  }
  send("TEARDOWN rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 4\r\nSession: " + session + "\r\n\r\n");
  EXPECT_EQ(readResponse(s, parser).statusCode, 200);
  EXPECT_TRUE(closedByServer(s));
}

TEST_F(ServerOverSocket, PauseStopsThePacketsAndPlayResumesThem) {
  auto s = connect();
  RtspStreamParser parser;
  auto send = [&](const std::string& text) { boost::asio::write(s, boost::asio::buffer(text)); };
  auto feed = [&](uint16_t from, uint16_t count) {
    boost::asio::post(io, [this, from, count] {
      for (uint16_t i = from; i < from + count; ++i) {
        auto v = rtp(96, i, i * 3000u, 200, i % 10 == 0 ? 0x65 : 0x41);
        handler.stream->ingestRtp(0, v.data(), v.size());
      }
    });
  };
  // Reads until the response to CSeq `cseq`, counting the frames before it.
  auto until = [&](int cseq, size_t& frames) {
    while (true) {
      auto r = parser.next();
      if (r == RtspStreamParser::Result::Interleaved) {
        ++frames;
        continue;
      }
      if (r == RtspStreamParser::Result::Response) {
        if (parser.response().headers.get("CSeq").value_or("") == std::to_string(cseq))
          return parser.response().statusCode;
        continue;
      }
      if (r == RtspStreamParser::Result::Error) return -1;
      auto space = parser.prepare();
      parser.commit(s.read_some(boost::asio::buffer(space.data(), space.size())));
    }
  };
  size_t frames = 0;
  send(
      "SETUP rtsp://127.0.0.1/cam/trackID=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: "
      "RTP/AVP/TCP;interleaved=0-1\r\n\r\n");
  ASSERT_EQ(until(1, frames), 200);
  const std::string session =
      "Session: " + std::string(parser.response().headers.get("Session").value_or("")).substr(0, 16);
  send("PLAY rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 2\r\n" + session + "\r\n\r\n");
  ASSERT_EQ(until(2, frames), 200);
  feed(0, 10);
  send("GET_PARAMETER rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 3\r\n" + session + "\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(until(3, frames), 200);
  send("PAUSE rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 4\r\n" + session + "\r\n\r\n");
  ASSERT_EQ(until(4, frames), 200);
  const size_t beforePause = frames;
  EXPECT_GE(beforePause, 10u);
  feed(10, 10);  // while paused: nothing arrives
  send("GET_PARAMETER rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 5\r\n" + session + "\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(until(5, frames), 200);
  EXPECT_EQ(frames, beforePause);
  send("PLAY rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 6\r\n" + session + "\r\n\r\n");
  ASSERT_EQ(until(6, frames), 200);
  // Resumed at the last keyframe (index 10's IDR: STAP-A + slice ... 10 packets).
  send("GET_PARAMETER rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 7\r\n" + session + "\r\n\r\n");
  ASSERT_EQ(until(7, frames), 200);
  EXPECT_GT(frames, beforePause);
  // A SETUP while playing is not valid: 455 and the connection closes.
  send(
      "SETUP rtsp://127.0.0.1/cam/trackID=1 RTSP/1.0\r\nCSeq: 8\r\nTransport: "
      "RTP/AVP/TCP;interleaved=2-3\r\n" +
      session + "\r\n\r\n");
  EXPECT_EQ(until(8, frames), 455);
  EXPECT_TRUE(closedByServer(s));
}

TEST_F(ServerOverSocket, APublishersFramesReachTheStreamAndUnknownChannelsAreIgnored) {
  auto s = connect();
  RtspStreamParser parser;
  auto send = [&](const std::string& text) { boost::asio::write(s, boost::asio::buffer(text)); };
  const std::string sdp = kAnnounceSdp;
  send(
      "ANNOUNCE rtsp://127.0.0.1/pub RTSP/1.0\r\nCSeq: 1\r\nContent-Type: "
      "application/sdp\r\nContent-Length: " +
      std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
  ASSERT_EQ(readResponse(s, parser).statusCode, 200);
  send(
      "SETUP rtsp://127.0.0.1/pub/streamid=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: "
      "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n");
  RtspResponse setup = readResponse(s, parser);
  ASSERT_EQ(setup.statusCode, 200);
  std::string session(setup.headers.get("Session").value_or(""));
  session = session.substr(0, session.find(';'));
  send("SETUP rtsp://127.0.0.1/pub/streamid=1 RTSP/1.0\r\nCSeq: 3\r\nSession: " + session +
       "\r\nTransport: RTP/AVP/TCP;unicast;interleaved=2-3;mode=record\r\n\r\n");
  ASSERT_EQ(readResponse(s, parser).statusCode, 200);
  send("RECORD rtsp://127.0.0.1/pub RTSP/1.0\r\nCSeq: 4\r\nSession: " + session + "\r\n\r\n");
  ASSERT_EQ(readResponse(s, parser).statusCode, 200);
  std::string frames;
  for (uint16_t i = 0; i < 10; ++i) {
    auto a = rtp(0, i, i * 160u, 160, 0xff);
    frames += std::string("$\x02", 2) + char(a.size() >> 8) + char(a.size() & 0xff) +
              std::string(a.begin(), a.end());
    frames += std::string("$\x09", 2) + char(0) + char(4) + "junk";  // no SETUP declared channel 9
  }
  send(frames);
  send("GET_PARAMETER rtsp://127.0.0.1/pub RTSP/1.0\r\nCSeq: 5\r\nSession: " + session + "\r\n\r\n");
  EXPECT_EQ(readResponse(s, parser).statusCode, 200);  // still connected
  std::promise<uint64_t> stored;
  boost::asio::post(io, [&] { stored.set_value(handler.stream->track(1).stats().packetsStored); });
  EXPECT_EQ(stored.get_future().get(), 10u);
  ASSERT_EQ(handler.sink->begunCount(), 1u);
  s.close();
  for (int i = 0; i < 100 && handler.sink->endedCount() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(handler.sink->endedCount(), 1u);
}

// ---- UDP readers over sockets ---------------------------------------------------------------

namespace {

class UdpServerOverSocket : public ServerOverSocket {
 protected:
  void configure() override {
    options.udp = true;
    options.tcp = false;  // a UDP-only server: a TCP offer listed first must be passed over
    options.rtpAddress = "127.0.0.1:0";
    options.rtcpAddress = "127.0.0.1:0";
    options.idleTimeout = idleTimeout;
  }
  static boost::asio::ip::udp::socket bound(boost::asio::io_context& io) {
    boost::asio::ip::udp::socket u(io);
    u.open(boost::asio::ip::udp::v4());
    u.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    timeval tv{0, 200000};
    ::setsockopt(u.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return u;
  }
  // One datagram within `seconds`, else empty; `fromPort` is its source port.
  static std::vector<uint8_t> receive(boost::asio::ip::udp::socket& u, uint16_t& fromPort,
                                      double seconds = 3) {
    std::vector<uint8_t> buf(2048);
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      const ssize_t n =
          ::recvfrom(u.native_handle(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) {
        buf.resize(static_cast<size_t>(n));
        fromPort = ntohs(from.sin_port);
        return buf;
      }
    }
    return {};
  }
  void sendTo(boost::asio::ip::udp::socket& u, uint16_t port, const uint8_t* data, size_t size) {
    u.send_to(boost::asio::buffer(data, size), {boost::asio::ip::make_address("127.0.0.1"), port});
  }
  // Plays track 0 over UDP to rtpIn/rtcpIn; returns the session id.
  std::string playOverUdp(boost::asio::ip::tcp::socket& s, RtspStreamParser& parser, uint16_t rtpPort,
                          uint16_t rtcpPort) {
    auto send = [&](const std::string& text) { boost::asio::write(s, boost::asio::buffer(text)); };
    send("DESCRIBE rtsp://127.0.0.1/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n");
    EXPECT_EQ(readResponse(s, parser).statusCode, 200);
    send(fmt::format(
        "SETUP rtsp://127.0.0.1/cam/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: "
        "RTP/AVP/TCP;unicast;interleaved=0-1;mode=play;foo,RTP/AVP;unicast;client_port={}-{}\r\n\r\n",
        rtpPort, rtcpPort));
    // TCP is listed first but not enabled here: the UDP alternative is taken.
    RtspResponse setup = readResponse(s, parser);
    EXPECT_EQ(setup.statusCode, 200);
    const std::string transport(setup.headers.get("Transport").value_or(""));
    const std::string expected =
        fmt::format("RTP/AVP;unicast;client_port={}-{};server_port={}-{};ssrc=", rtpPort, rtcpPort,
                    server->udp()->rtpPort(), server->udp()->rtcpPort());
    EXPECT_EQ(transport.substr(0, expected.size()), expected);
    EXPECT_EQ(transport.size(), expected.size() + 8);  // the SSRC in 8 hex digits
    std::string session(setup.headers.get("Session").value_or(""));
    session = session.substr(0, session.find(';'));
    send("PLAY rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 3\r\nSession: " + session + "\r\n\r\n");
    EXPECT_EQ(readResponse(s, parser).statusCode, 200);
    return session;
  }
  bool waitFor(const std::function<bool()>& done, double seconds = 5) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }
  RtspConnectionInfo only() {
    auto c = server->connections();
    return c.size() == 1 ? c.front() : RtspConnectionInfo{};
  }
  static std::vector<uint8_t> receiverReport() {
    std::vector<uint8_t> rr(64);
    media::RtcpReportBlock block;
    block.ssrc = 1;
    rr.resize(media::buildReceiverReport(rr.data(), rr.size(), 0x1234, &block, 1));
    return rr;
  }

  std::chrono::milliseconds idleTimeout{60000};
};

class UdpServerShortIdle : public UdpServerOverSocket {
 protected:
  void configure() override {
    idleTimeout = std::chrono::milliseconds(1500);
    UdpServerOverSocket::configure();
  }
};

}  // namespace

TEST_F(UdpServerOverSocket, AReaderGetsTheStreamsPacketsOverUdpAndItsReportsAreMatched) {
  auto rtpIn = bound(client), rtcpIn = bound(client), stranger = bound(client);
  const uint16_t rtpPort = rtpIn.local_endpoint().port(), rtcpPort = rtcpIn.local_endpoint().port();
  auto s = connect();
  RtspStreamParser parser;
  const std::string session = playOverUdp(s, parser, rtpPort, rtcpPort);
  boost::asio::post(io, [this] {
    for (uint16_t i = 0; i < 21; ++i) {
      auto v = rtp(96, i, i * 3000u, 500, i == 0 ? 0x65 : 0x41);
      handler.stream->ingestRtp(0, v.data(), v.size());
      auto a = rtp(0, i, i * 160u, 160, 0xff);
      handler.stream->ingestRtp(1, a.data(), a.size());
    }
  });
  // STAP-A + 21 slices, in order, from the server's RTP port, with the stream's SSRC; no audio.
  uint16_t lastSeq = 0;
  for (int i = 0; i < 22; ++i) {
    uint16_t from = 0;
    std::vector<uint8_t> d = receive(rtpIn, from);
    ASSERT_GE(d.size(), 12u) << "datagram " << i;
    EXPECT_EQ(from, server->udp()->rtpPort());
    EXPECT_EQ(d[1] & 0x7f, 96);
    const uint16_t seq = media::readBe16(d.data() + 2);
    if (i > 0) {
      EXPECT_EQ(static_cast<uint16_t>(lastSeq + 1), seq);
    }
    lastSeq = seq;
  }
  EXPECT_EQ(only().transport, "UDP");
  EXPECT_EQ(only().rtpPacketsSent, 22u);

  // A receiver report from the reader's RTCP port counts for its session; garbage from that
  // port and a report from an unknown port are dropped without touching it.
  const std::vector<uint8_t> rr = receiverReport();
  const uint8_t garbage[] = {0x80, 0xc9, 0x00, 0x09, 1, 2, 3};
  sendTo(rtcpIn, server->udp()->rtcpPort(), garbage, sizeof(garbage));
  sendTo(stranger, server->udp()->rtcpPort(), rr.data(), rr.size());
  sendTo(rtcpIn, server->udp()->rtcpPort(), rr.data(), rr.size());
  ASSERT_TRUE(waitFor([&] { return only().rtcpPacketsReceived == 1; })) << only().rtcpPacketsReceived;
  EXPECT_TRUE(waitFor([&] {
    const auto st = server->udp()->stats();
    return st.rtcpMalformed == 1 && st.rtcpFromUnknown == 1;
  }));
  // A player's NAT-opening packet to the RTP port is read and dropped.
  sendTo(rtpIn, server->udp()->rtpPort(), rr.data(), rr.size());
  EXPECT_TRUE(waitFor([&] { return server->udp()->stats().rtpReceived == 1; }));
  EXPECT_EQ(only().rtcpPacketsReceived, 1u);

  boost::asio::write(
      s, boost::asio::buffer("TEARDOWN rtsp://127.0.0.1/cam/ RTSP/1.0\r\nCSeq: 4\r\nSession: " + session +
                             "\r\n\r\n"));
  EXPECT_EQ(readResponse(s, parser).statusCode, 200);
  EXPECT_TRUE(closedByServer(s));
  // Its addresses are forgotten: a late report is from an unknown address.
  ASSERT_TRUE(waitFor([&] { return server->connections().empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  sendTo(rtcpIn, server->udp()->rtcpPort(), rr.data(), rr.size());
  EXPECT_TRUE(waitFor([&] { return server->udp()->stats().rtcpFromUnknown == 2; }));
}

TEST_F(UdpServerShortIdle, AUdpReaderIsKeptByItsReportsAndClosedWithoutThem) {
  auto rtpIn = bound(client), rtcpIn = bound(client);
  auto s = connect();
  RtspStreamParser parser;
  playOverUdp(s, parser, rtpIn.local_endpoint().port(), rtcpIn.local_endpoint().port());
  // Reports alone (no RTSP request) keep it past the idle timeout (1.5 s).
  const std::vector<uint8_t> rr = receiverReport();
  for (int i = 0; i < 8; ++i) {
    sendTo(rtcpIn, server->udp()->rtcpPort(), rr.data(), rr.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  EXPECT_EQ(server->connections().size(), 1u);
  // Then silence: closed within the timeout and a tick.
  const auto silent = std::chrono::steady_clock::now();
  ASSERT_TRUE(waitFor([&] { return server->connections().empty(); }, 5));
  const double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - silent).count();
  EXPECT_GE(after, 1.0);
  EXPECT_TRUE(closedByServer(s));
}

namespace {

// Datagrams that reach `s` within `ms` (non-blocking socket).
std::vector<std::vector<uint8_t>> drain(int fd, int ms) {
  std::vector<std::vector<uint8_t>> out;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    uint8_t buf[2048];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      out.emplace_back(buf, buf + n);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  return out;
}

int boundUdp(uint32_t ip, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(ip);
  a.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

// The sender itself, with a unicast loopback "range" so that no multicast route is needed: each
// packet of a track reaches that track's address once, whatever the number of readers; sender
// reports go to the RTCP port; the last reader letting go stops it.
TEST(RtspMulticast, OneSenderPerStreamWritesEachPacketOnceToItsTracksGroup) {
  const uint16_t rtpPort = 39000 + static_cast<uint16_t>(::getpid() % 500) * 2;
  RtspMulticastOptions mo;
  mo.firstGroup = 0x7f000a00;  // 127.0.10.0/30: groups 127.0.10.1 and 127.0.10.2
  mo.groupCount = 4;
  mo.rtpPort = rtpPort;
  mo.rtcpPort = rtpPort + 1;
  const int videoRtp = boundUdp(0x7f000a01, rtpPort), audioRtp = boundUdp(0x7f000a02, rtpPort);
  const int videoRtcp = boundUdp(0x7f000a01, rtpPort + 1);
  if (videoRtp < 0 || audioRtp < 0 || videoRtcp < 0) GTEST_SKIP() << "test ports taken";
  RtspMulticastGroups groups(mo);
  std::string error;
  ASSERT_TRUE(groups.open(error)) << error;
  auto st = std::make_shared<stream::Stream>("cam", 1024);
  st->start(videoAndPcmu());
  ASSERT_EQ(groups.groupFor(st, 0, error).value_or(0), 0x7f000a01u);
  ASSERT_EQ(groups.groupFor(st, 1, error).value_or(0), 0x7f000a02u);

  boost::asio::io_context io;
  std::shared_ptr<RtspMulticastSender> a, b;
  boost::asio::post(io, [&] {
    a = groups.join(st, io);
    b = groups.join(st, io);  // a second reader shares the sender
    uint16_t seq = 1;
    for (int i = 0; i < 10; ++i) {
      auto v = rtp(96, seq, seq * 3000u, 100, i == 0 ? 0x65 : 0x41);
      ++seq;
      st->ingestRtp(0, v.data(), v.size());
      auto au = rtp(0, seq, seq * 160u, 160, 0xff);
      st->ingestRtp(1, au.data(), au.size());
    }
  });
  io.run_for(std::chrono::milliseconds(400));  // past the first sender report (250 ms)
  io.restart();
  EXPECT_EQ(a, b);
  const auto video = drain(videoRtp, 100), audio = drain(audioRtp, 100);
  // The IDR's first access unit leaves as STAP-A [SPS, PPS] + the slice: 11 video packets.
  EXPECT_EQ(video.size(), 11u);
  EXPECT_EQ(audio.size(), 10u);
  for (const auto& p : video) EXPECT_EQ(media::readSsrc(p.data()), st->findTrack(0)->ssrc());
  for (const auto& p : audio) EXPECT_EQ(media::readSsrc(p.data()), st->findTrack(1)->ssrc());
  const auto reports = drain(videoRtcp, 100);
  ASSERT_GE(reports.size(), 1u);
  EXPECT_EQ(reports[0][1], 200);  // RTCP SR
  EXPECT_EQ(groups.stats().packetsSent.load(), 21u);

  // Both readers leave: no more packets.
  boost::asio::post(io, [&] {
    a.reset();
    b.reset();
    auto v = rtp(96, 100, 300000u, 100, 0x41);
    st->ingestRtp(0, v.data(), v.size());
  });
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(drain(videoRtp, 50).empty());
  ::close(videoRtp);
  ::close(audioRtp);
  ::close(videoRtcp);
}

// ---- UDP publishers over sockets ------------------------------------------------------------

namespace {

class UdpPublisherOverSocket : public UdpServerOverSocket {
 protected:
  void configure() override {
    UdpServerOverSocket::configure();
    options.readTimeout = std::chrono::milliseconds(2500);
  }
  // ANNOUNCE and SETUP of both tracks over UDP from these sockets' ports, then RECORD.
  std::string recordOverUdp(boost::asio::ip::tcp::socket& s, RtspStreamParser& parser,
                            boost::asio::ip::udp::socket* ports[4]) {
    auto send = [&](const std::string& text) { boost::asio::write(s, boost::asio::buffer(text)); };
    const std::string sdp = kAnnounceSdp;
    send(
        "ANNOUNCE rtsp://127.0.0.1/pub RTSP/1.0\r\nCSeq: 1\r\nContent-Type: "
        "application/sdp\r\nContent-Length: " +
        std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
    EXPECT_EQ(readResponse(s, parser).statusCode, 200);
    std::string session;
    for (int track = 0; track < 2; ++track) {
      const uint16_t rtpPort = ports[2 * track]->local_endpoint().port();
      const uint16_t rtcpPort = ports[2 * track + 1]->local_endpoint().port();
      send(fmt::format(
          "SETUP rtsp://127.0.0.1/pub/streamid={} RTSP/1.0\r\nCSeq: {}\r\n{}Transport: "
          "RTP/AVP/UDP;unicast;client_port={}-{};mode=record\r\n\r\n",
          track, 2 + track, session.empty() ? "" : "Session: " + session + "\r\n", rtpPort, rtcpPort));
      RtspResponse setup = readResponse(s, parser);
      EXPECT_EQ(setup.statusCode, 200);
      EXPECT_EQ(setup.headers.get("Transport").value_or(""),
                fmt::format("RTP/AVP;unicast;client_port={}-{};server_port={}-{}", rtpPort, rtcpPort,
                            server->udp()->rtpPort(), server->udp()->rtcpPort()));
      session = std::string(setup.headers.get("Session").value_or(""));
      session = session.substr(0, session.find(';'));
    }
    send("RECORD rtsp://127.0.0.1/pub RTSP/1.0\r\nCSeq: 4\r\nSession: " + session + "\r\n\r\n");
    EXPECT_EQ(readResponse(s, parser).statusCode, 200);
    return session;
  }
  uint64_t storedOnTrack(size_t track) {
    std::promise<uint64_t> stored;
    boost::asio::post(io, [&] { stored.set_value(handler.stream->track(track).stats().packetsStored); });
    return stored.get_future().get();
  }
};

}  // namespace

TEST_F(UdpPublisherOverSocket, APublishersDatagramsReachTheStreamAndStrangersDoNot) {
  auto vRtp = bound(client), vRtcp = bound(client), aRtp = bound(client), aRtcp = bound(client),
       stranger = bound(client);
  boost::asio::ip::udp::socket* ports[4] = {&vRtp, &vRtcp, &aRtp, &aRtcp};
  auto s = connect();
  RtspStreamParser parser;
  recordOverUdp(s, parser, ports);
  ASSERT_TRUE(waitFor([&] { return handler.sink->begunCount() == 1; }));
  const uint16_t serverRtp = server->udp()->rtpPort(), serverRtcp = server->udp()->rtcpPort();

  // Audio (streamid=1, the stream's track 1) from its client RTP port: stored, in order.
  for (uint16_t i = 0; i < 10; ++i) {
    auto a = rtp(0, i, i * 160u, 160, 0xff);
    sendTo(aRtp, serverRtp, a.data(), a.size());
  }
  // Malformed RTP from the publisher, well-formed RTP from a stranger and from the publisher's
  // RTCP port to the RTP socket: counted, dropped, nothing stored.
  const uint8_t shortRtp[] = {0x80, 0x00, 0x01};
  sendTo(aRtp, serverRtp, shortRtp, sizeof(shortRtp));
  auto alien = rtp(0, 100, 16000, 160, 0xff);
  sendTo(stranger, serverRtp, alien.data(), alien.size());
  sendTo(aRtcp, serverRtp, alien.data(), alien.size());
  // A sender report on the RTCP socket from the audio RTCP port, and a malformed one.
  std::vector<uint8_t> sr(64);
  sr.resize(media::buildSenderReport(sr.data(), sr.size(), 42, 0x0123456789abcdefull, 1600, 10, 1600));
  sendTo(aRtcp, serverRtcp, sr.data(), sr.size());
  const uint8_t badRtcp[] = {0x80, 0xc8, 0x00, 0x09, 1, 2};
  sendTo(aRtcp, serverRtcp, badRtcp, sizeof(badRtcp));

  ASSERT_TRUE(waitFor([&] { return storedOnTrack(1) == 10; })) << storedOnTrack(1);
  EXPECT_TRUE(waitFor([&] {
    const auto st = server->udp()->stats();
    return st.rtpMalformed == 1 && st.rtpFromUnknown == 2 && st.rtcpMalformed == 1;
  }));
  RtspConnectionInfo info = only();
  EXPECT_EQ(info.state, "publish");
  EXPECT_EQ(info.transport, "UDP");
  EXPECT_EQ(info.rtpPacketsReceived, 10u);
  EXPECT_EQ(info.rtcpPacketsReceived, 1u);
  EXPECT_EQ(info.rtcpPacketsInError, 1u);
  EXPECT_GE(info.bytesReceived, 10u * 172u + sr.size());
  EXPECT_EQ(storedOnTrack(1), 10u);

  // A receiver report about the audio source comes back to the audio RTCP port, from the
  // server's RTCP port, at the first tick after the RTP.
  for (uint16_t i = 10; i < 14; ++i) {
    auto a = rtp(0, i, i * 160u, 160, 0xff);
    sendTo(aRtp, serverRtp, a.data(), a.size());
  }
  uint16_t from = 0;
  std::vector<uint8_t> rr = receive(aRtcp, from, 2.5);
  ASSERT_GE(rr.size(), 32u);
  EXPECT_EQ(from, serverRtcp);
  EXPECT_EQ(rr[1], media::rtcp::kReceiverReport);
  EXPECT_EQ(rr[0] & 0x1f, 1);                                // one report block
  EXPECT_EQ(media::readBe32(rr.data() + 8), 42u);            // about the publisher's SSRC
  EXPECT_EQ(media::readBe32(rr.data() + 16) & 0xffff, 13u);  // highest sequence received
  // A gap of 6 sequence numbers: counted as lost (inboundRTPPacketsLost), the report as sent.
  auto afterGap = rtp(0, 20, 3200, 160, 0xff);
  sendTo(aRtp, serverRtp, afterGap.data(), afterGap.size());
  EXPECT_TRUE(waitFor([&] { return only().rtpPacketsLost == 6; })) << only().rtpPacketsLost;
  // 20 ms of audio per packet, all sent at once: the interarrival jitter shows it.
  EXPECT_GT(only().rtpPacketsJitter, 10.0);
  EXPECT_GE(only().rtcpPacketsSent, 1u);

  // Silence on UDP: closed after readTimeout although the TCP connection is open; the path's
  // publisher ends and the addresses are forgotten.
  const auto silent = std::chrono::steady_clock::now();
  ASSERT_TRUE(waitFor([&] { return handler.sink->endedCount() == 1; }, 6));
  const double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - silent).count();
  EXPECT_GE(after, 1.4);
  EXPECT_TRUE(closedByServer(s));
  ASSERT_TRUE(waitFor([&] { return server->connections().empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto late = rtp(0, 21, 3360, 160, 0xff);
  sendTo(aRtp, serverRtp, late.data(), late.size());
  EXPECT_TRUE(waitFor([&] { return server->udp()->stats().rtpFromUnknown == 3; }));
  EXPECT_EQ(storedOnTrack(1), 15u);
}

TEST_F(UdpPublisherOverSocket, UdpKeepsAPublisherAliveWhileItsTcpConnectionIsSilent) {
  auto vRtp = bound(client), vRtcp = bound(client), aRtp = bound(client), aRtcp = bound(client);
  boost::asio::ip::udp::socket* ports[4] = {&vRtp, &vRtcp, &aRtp, &aRtcp};
  auto s = connect();
  RtspStreamParser parser;
  recordOverUdp(s, parser, ports);
  // 4 s of audio (beyond the 2.5 s readTimeout) and not one RTSP request.
  for (uint16_t i = 0; i < 20; ++i) {
    auto a = rtp(0, i, i * 1600u, 160, 0xff);
    sendTo(aRtp, server->udp()->rtpPort(), a.data(), a.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(server->connections().size(), 1u);
  EXPECT_EQ(handler.sink->endedCount(), 0u);
  EXPECT_TRUE(waitFor([&] { return storedOnTrack(1) == 20; }));
}

namespace {

// The publisher's stream on a worker thread of its own, as in the server: the datagrams cross
// from the control thread (the pair's reader) to it through the ingress's inbox (TSan's case).
class UdpPublisherOnAWorker : public UdpPublisherOverSocket {
 protected:
  void configure() override {
    UdpPublisherOverSocket::configure();
    handler.worker = &worker;
    workerThread = std::thread([this] { worker.run(); });
  }
  void TearDown() override {
    UdpPublisherOverSocket::TearDown();
    workerGuard.reset();
    worker.stop();
    workerThread.join();
  }
  uint64_t storedOnWorker(size_t track) {
    std::promise<uint64_t> stored;
    boost::asio::post(worker, [&] { stored.set_value(handler.stream->track(track).stats().packetsStored); });
    return stored.get_future().get();
  }
  boost::asio::io_context worker;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> workerGuard{
      worker.get_executor()};
  std::thread workerThread;
};

}  // namespace

TEST_F(UdpPublisherOnAWorker, ABurstCrossesToTheStreamsWorkerInOrder) {
  auto vRtp = bound(client), vRtcp = bound(client), aRtp = bound(client), aRtcp = bound(client);
  boost::asio::ip::udp::socket* ports[4] = {&vRtp, &vRtcp, &aRtp, &aRtcp};
  auto s = connect();
  RtspStreamParser parser;
  recordOverUdp(s, parser, ports);
  ASSERT_TRUE(waitFor([&] { return handler.sink->begunCount() == 1; }));
  // Bursts of 100 (well within the 256-slot inbox), a pause between them for the worker.
  uint16_t seq = 0;
  for (int burst = 0; burst < 5; ++burst) {
    for (int i = 0; i < 100; ++i, ++seq) {
      auto a = rtp(0, seq, seq * 160u, 160, 0xff);
      sendTo(aRtp, server->udp()->rtpPort(), a.data(), a.size());
    }
    std::vector<uint8_t> sr(64);
    sr.resize(media::buildSenderReport(sr.data(), sr.size(), 42, 0x0123456789abcdefull + burst, seq * 160u,
                                       seq, seq * 160u));
    sendTo(aRtcp, server->udp()->rtcpPort(), sr.data(), sr.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(waitFor([&] { return storedOnWorker(1) == 500; })) << storedOnWorker(1);
  RtspConnectionInfo info = only();
  EXPECT_EQ(info.rtpPacketsReceived, 500u);
  EXPECT_EQ(info.rtcpPacketsReceived, 5u);
  EXPECT_EQ(info.rtpPacketsLost, 0u);
  EXPECT_EQ(info.ingestErrors, 0u);
  EXPECT_EQ(info.rtpPacketsDiscarded, 0u);  // nothing dropped at the inbox
  s.close();
  EXPECT_TRUE(waitFor([&] { return handler.sink->endedCount() == 1; }));
}
