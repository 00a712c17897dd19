// The RTSP reader of sluice-load (bench/load): its requests, what it takes from replies, and
// the interleaved stream it reads through rtsp::RtspStreamParser.
#include "load/RtspReaderProtocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "rtsp/RtspStreamParser.h"

namespace sluice::load {
namespace {

using Result = rtsp::RtspStreamParser::Result;

// The reply as the reader gets it: parsed from text by the stream parser.
rtsp::RtspResponse reply(const std::string& text) {
  rtsp::RtspStreamParser parser;
  EXPECT_EQ(parser.feed(reinterpret_cast<const uint8_t*>(text.data()), text.size()), text.size());
  EXPECT_EQ(parser.next(), Result::Response) << parser.error();
  return parser.response();
}

const char* kSdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam\r\nt=0 0\r\na=control:*\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n"
    "m=audio 0 RTP/AVP 0\r\na=control:trackID=1\r\n"
    "m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendonly\r\na=control:trackID=2\r\n";

std::string describeReply(const std::string& headers, const std::string& body) {
  return "RTSP/1.0 200 OK\r\nCSeq: 2\r\n" + headers +
         "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

TEST(RtspReaderProtocol, RequestsCarryCSeqSessionAndHeadersAndParseBack) {
  const std::string text = buildRtspReaderRequest("SETUP", "rtsp://127.0.0.1:8554/cam/trackID=0", 3, "abc",
                                                  {{"Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"}});
  rtsp::RtspStreamParser parser;
  parser.feed(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  ASSERT_EQ(parser.next(), Result::Request) << parser.error();
  const auto& r = parser.request();
  EXPECT_EQ(r.method, "SETUP");
  EXPECT_EQ(r.uri, "rtsp://127.0.0.1:8554/cam/trackID=0");
  EXPECT_EQ(rtsp::cseqOf(r.headers), 3u);
  EXPECT_EQ(r.headers.get("Session"), "abc");
  EXPECT_EQ(r.headers.get("Transport"), "RTP/AVP/TCP;unicast;interleaved=0-1");
  EXPECT_TRUE(r.headers.get("User-Agent").has_value());
  // No Session header before there is one.
  const std::string options = buildRtspReaderRequest("OPTIONS", "rtsp://h/p", 1, "");
  EXPECT_EQ(options.find("Session"), std::string::npos);
  EXPECT_TRUE(options.ends_with("\r\n\r\n"));
}

TEST(RtspReaderProtocol, RepliesNeedStatus200AndOurCSeq) {
  std::string error;
  EXPECT_TRUE(checkRtspReply(reply("RTSP/1.0 200 OK\r\nCSeq: 4\r\n\r\n"), 4, "PLAY", error)) << error;
  EXPECT_FALSE(checkRtspReply(reply("RTSP/1.0 200 OK\r\nCSeq: 5\r\n\r\n"), 4, "PLAY", error));
  EXPECT_NE(error.find("CSeq 5 (expected 4)"), std::string::npos) << error;
  EXPECT_FALSE(checkRtspReply(reply("RTSP/1.0 200 OK\r\n\r\n"), 4, "PLAY", error));
  EXPECT_NE(error.find("no CSeq"), std::string::npos) << error;
  {
    // A malformed CSeq does not even get here: the stream parser rejects the reply.
    rtsp::RtspStreamParser parser;
    const std::string text = "RTSP/1.0 200 OK\r\nCSeq: x4\r\n\r\n";
    parser.feed(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    EXPECT_EQ(parser.next(), Result::Error);
  }
  EXPECT_FALSE(checkRtspReply(reply("RTSP/1.0 404 Not Found\r\nCSeq: 4\r\n\r\n"), 4, "DESCRIBE", error));
  EXPECT_EQ(error, "DESCRIBE -> 404 Not Found");
}

TEST(RtspReaderProtocol, DescribeGivesTracksWithAbsoluteControlUrlsWithoutBackchannels) {
  std::string error;
  auto d = parseDescribeReply(reply(describeReply("Content-Base: rtsp://10.0.0.1:8554/cam/\r\n", kSdp)),
                              "rtsp://127.0.0.1:8554/cam", error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->baseUrl, "rtsp://10.0.0.1:8554/cam/");
  ASSERT_EQ(d->tracks.size(), 2u);  // the a=sendonly talk channel is not set up
  EXPECT_EQ(d->tracks[0].mediaType, "video");
  EXPECT_EQ(d->tracks[0].codec, "H264");
  EXPECT_EQ(d->tracks[0].clockRate, 90000u);
  EXPECT_EQ(d->tracks[0].controlUrl, "rtsp://10.0.0.1:8554/cam/trackID=0");
  EXPECT_EQ(d->tracks[1].mediaType, "audio");
  EXPECT_EQ(d->tracks[1].codec, "PCMU");  // the static payload type's name
  EXPECT_EQ(d->tracks[1].controlUrl, "rtsp://10.0.0.1:8554/cam/trackID=1");

  // Without Content-Base (or with an unusable one) the request URL is the base.
  d = parseDescribeReply(reply(describeReply("Content-Base: not a url\r\n", kSdp)),
                         "rtsp://127.0.0.1:8554/cam", error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->tracks[0].controlUrl, "rtsp://127.0.0.1:8554/cam/trackID=0");
}

TEST(RtspReaderProtocol, DescribeRejectsMissingOrMediaLessSdp) {
  std::string error;
  EXPECT_FALSE(parseDescribeReply(reply(describeReply("", "")), "rtsp://h/p", error));
  EXPECT_NE(error.find("invalid SDP"), std::string::npos) << error;
  EXPECT_FALSE(parseDescribeReply(reply(describeReply("", "v=0\r\ns=x\r\n")), "rtsp://h/p", error));
  EXPECT_FALSE(error.empty());
  const std::string onlyBackchannel =
      "v=0\r\ns=x\r\nm=audio 0 RTP/AVP 0\r\na=sendonly\r\na=control:trackID=9\r\n";
  EXPECT_FALSE(parseDescribeReply(reply(describeReply("", onlyBackchannel)), "rtsp://h/p", error));
  EXPECT_NE(error.find("no media"), std::string::npos) << error;
}

TEST(RtspReaderProtocol, TransportAsksForChannels2iOrTheClientPorts) {
  RtspReaderTrack t;
  EXPECT_EQ(readerTransport(false, t, 0), "RTP/AVP/TCP;unicast;interleaved=0-1");
  EXPECT_EQ(readerTransport(false, t, 2), "RTP/AVP/TCP;unicast;interleaved=4-5");
  t.clientRtpPort = 50000;
  t.clientRtcpPort = 50001;
  EXPECT_EQ(readerTransport(true, t, 1), "RTP/AVP;unicast;client_port=50000-50001");
}

TEST(RtspReaderProtocol, SetupReplyGivesSessionTimeoutAndChannelsOrServerPorts) {
  std::string error;
  RtspReaderTrack t;
  auto r = applySetupReply(reply("RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: abcd;timeout=55\r\n"
                                 "Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\n\r\n"),
                           false, t, error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->sessionId, "abcd");
  EXPECT_EQ(r->timeoutSeconds, 55u);
  EXPECT_EQ(t.rtpChannel, 2);
  EXPECT_EQ(t.rtcpChannel, 3);

  r = applySetupReply(
      reply("RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: abcd\r\n"
            "Transport: RTP/AVP;unicast;client_port=50000-50001;server_port=8000-8001;ssrc=1234ABCD\r\n"
            "\r\n"),
      true, t, error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->timeoutSeconds, 60u);  // RFC 2326's default
  EXPECT_EQ(t.serverRtpPort, 8000);
  EXPECT_EQ(t.serverRtcpPort, 8001);
}

TEST(RtspReaderProtocol, SetupReplyRejectsWhatTheReaderCannotUse) {
  struct Case {
    const char* headers;
    bool udp;
    const char* expect;
  };
  const Case cases[] = {
      {"Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n", false, "without Session"},
      {"Session: a b\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n", false, "bad Session"},
      {"Session: abc\r\n", false, "without Transport"},
      {"Session: abc\r\nTransport: RTP/SAVP;unicast\r\n", false, "bad Transport"},
      {"Session: abc\r\nTransport: RTP/AVP;unicast;server_port=1-2\r\n", false, "answered UDP to a TCP"},
      {"Session: abc\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n", true, "answered TCP to a UDP"},
      {"Session: abc\r\nTransport: RTP/AVP/TCP;unicast\r\n", false, "without interleaved"},
      {"Session: abc\r\nTransport: RTP/AVP;unicast;client_port=1-2\r\n", true, "without server_port"},
  };
  for (const auto& c : cases) {
    std::string error;
    RtspReaderTrack t;
    EXPECT_FALSE(applySetupReply(reply(std::string("RTSP/1.0 200 OK\r\nCSeq: 3\r\n") + c.headers + "\r\n"),
                                 c.udp, t, error))
        << c.headers;
    EXPECT_NE(error.find(c.expect), std::string::npos) << c.headers << " -> " << error;
  }
}

// What a reader's connection carries after PLAY: the reply, then RTP and RTCP frames with
// a keep-alive's reply between them, arriving in reads of any size. Every frame comes out
// whole, in order, on its channel.
TEST(RtspReaderProtocol, InterleavedStreamSplitsAtAnyReadBoundary) {
  std::string stream = "RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: abc\r\n\r\n";
  std::vector<std::pair<uint8_t, std::string>> frames;
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const uint8_t channel = i % 7 == 0 ? 1 : (i % 11 == 0 ? 3 : 0);
    const size_t size = i % 50 == 0 ? 65535 : 12 + rng() % 1400;
    std::string payload(size, '\0');
    for (auto& c : payload) c = static_cast<char>(rng());
    uint8_t header[4];
    writeInterleavedHeader(header, channel, size);
    stream.append(reinterpret_cast<const char*>(header), 4);
    stream += payload;
    frames.emplace_back(channel, std::move(payload));
    if (i == 150) stream += "RTSP/1.0 200 OK\r\nCSeq: 6\r\nContent-Length: 0\r\n\r\n";
  }

  rtsp::RtspStreamParser parser;
  size_t offset = 0, frame = 0;
  std::vector<int> responses;
  while (offset < stream.size() || parser.buffered() > 0) {
    auto space = parser.prepare();
    const size_t n = std::min({space.size(), stream.size() - offset, size_t{1} + rng() % 9000});
    std::memcpy(space.data(), stream.data() + offset, n);
    parser.commit(n);
    offset += n;
    for (Result r; (r = parser.next()) != Result::NeedMore;) {
      ASSERT_NE(r, Result::Error) << parser.error();
      if (r == Result::Response) {
        responses.push_back(static_cast<int>(*rtsp::cseqOf(parser.response().headers)));
        continue;
      }
      ASSERT_EQ(r, Result::Interleaved);
      ASSERT_LT(frame, frames.size());
      EXPECT_EQ(parser.frame().channel, frames[frame].first);
      ASSERT_EQ(parser.frame().size, frames[frame].second.size()) << "frame " << frame;
      EXPECT_EQ(std::memcmp(parser.frame().data, frames[frame].second.data(), parser.frame().size), 0);
      ++frame;
    }
    if (offset == stream.size() && parser.next() == Result::NeedMore) break;
  }
  EXPECT_EQ(frame, frames.size());
  EXPECT_EQ(responses, (std::vector<int>{5, 6}));
}

TEST(RtspReaderProtocol, InterleavedStreamOutOfSyncIsAnError) {
  rtsp::RtspStreamParser parser;
  const uint8_t garbage[] = {'$', 0, 0, 2, 0x80, 0x60, 0x17, 0x00, 0x01, 0x02, 0x03, 0x04};
  parser.feed(garbage, sizeof(garbage));
  EXPECT_EQ(parser.next(), Result::Interleaved);
  EXPECT_EQ(parser.next(), Result::Error);  // 0x17... is neither '$' nor a message
  EXPECT_FALSE(parser.error().empty());
  EXPECT_TRUE(parser.prepare().empty());  // sticky: the reader drops the connection
}

}  // namespace
}  // namespace sluice::load
