// module: rtsp
// Feeds arbitrary bytes, as a client's connection would, to the RTSP server's request handling:
// RtspStreamParser splits them, each request goes to RtspServerSession (whose handler serves a
// stream on path "cam" and takes publishers elsewhere), and interleaved frames of a publisher
// are mapped to tracks as the connection maps them. Every answer must carry a valid status and
// echo the request's CSeq; a session never maps a channel to a track it does not have; a UDP
// session's tracks all have client ports. The payload of each interleaved frame also goes to
// the UDP pair's RTCP receive path (RtspUdpServer::onRtcp), from a watched address and from
// an unknown one. The first byte's bits 7, 6, 5 turn TCP, UDP and multicast off.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "rtsp/RtspServerSession.h"
#include "rtsp/RtspStreamParser.h"
#include "rtsp/RtspUdpServer.h"

using namespace sluice;
using namespace sluice::rtsp;

namespace {

struct Sink : RtspPublishSink {
  bool begin(const stream::StreamFormat&, std::string&) override { return true; }
  void end(const std::string&) override {}
};

struct Handler : RtspServerHandler {
  std::shared_ptr<stream::Stream> stream;
  uint8_t verdicts = 0;
  RtspAccessResult checkAccess(const RtspAccessQuery&) override {
    // Mostly allowed, sometimes asking or denying (the input's first byte decides).
    switch (verdicts++ % 8) {
      case 5:
        return {RtspAccessVerdict::AskCredentials, {}};
      case 7:
        return {RtspAccessVerdict::Denied, std::chrono::milliseconds(1)};
      default:
        return {RtspAccessVerdict::Allowed, {}};
    }
  }
  bool findReadable(const std::string& path, RtspReadTarget& out, RtspRefusal& refusal) override {
    if (path != "cam") {
      refusal = {404, "no stream"};
      return false;
    }
    out.stream = stream;
    out.format = stream->formatSnapshot();
    return true;
  }
  bool canPublish(const std::string& path, RtspRefusal& refusal) override {
    if (path == "cam") refusal = {400, "camera path"};
    return path != "cam";
  }
  bool startPublishing(const std::string&, const std::string&, std::function<void()>, RtspPublishTarget& out,
                       RtspRefusal&) override {
    out.stream = stream;
    out.sink = std::make_shared<Sink>();
    return true;
  }
  void publisherClosed(const std::string&, const std::string&) override {}
};

std::shared_ptr<stream::Stream> makeStream() {
  auto s = std::make_shared<stream::Stream>("cam", 256);
  media::TrackDescription video =
      stream::h264Track({0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8}, {0x68, 0xce, 0x3c, 0x80});
  video.payloadType = 96;
  s->start({video, media::describeTrack("audio", 0, "PCMU", 8000, 1, "")});
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::shared_ptr<stream::Stream> stream = makeStream();
  if (size == 0) return 0;
  Handler handler;
  handler.stream = stream;
  handler.verdicts = data[0];
  RtspServerOptions options;
  options.tcp = (data[0] & 0x80) == 0;
  options.udp = (data[0] & 0x40) == 0;
  options.udpRtpPort = 8000;
  options.udpRtcpPort = 8001;
  // Multicast SETUPs (bit 5 clear) take groups from a small range (not opened: no packets).
  static RtspMulticastGroups groups([] {
    RtspMulticastOptions o;
    o.groupCount = 16;
    return o;
  }());
  options.multicast = (data[0] & 0x20) == 0;
  options.multicastGroups = &groups;
  static boost::asio::io_context io;
  static RtspUdpServer udp(io);  // not opened: only its receive path is fed
  static const auto peer = std::make_shared<RtspUdpPeer>();
  static const auto watched = boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("10.0.0.1"), 5001);
  static const bool watching = (udp.watch({watched}, peer), true);
  (void)watching;
  RtspServerSession session(handler, options, "10.0.0.1");
  RtspStreamParser::Limits limits;
  limits.maxHeaderBytes = 16 * 1024;
  limits.maxBodyBytes = 64 * 1024;
  limits.maxHeaderCount = 64;
  RtspStreamParser parser(limits);
  ++data;
  --size;
  bool closed = false;
  while (size > 0 && !closed) {
    const size_t taken = parser.feed(data, size);
    data += taken;
    size -= taken;
    for (bool more = true; more && !closed;) {
      switch (parser.next()) {
        case RtspStreamParser::Result::Request: {
          const RtspRequest& req = parser.request();
          RtspReply reply = session.handle(req);
          const int code = reply.response.statusCode;
          if (code < 200 || code > 599) std::abort();
          auto cseq = req.headers.get("CSeq");
          auto echoed = reply.response.headers.get("CSeq");
          if (code != 400 && (!cseq || !echoed || *cseq != *echoed)) std::abort();
          closed = reply.then == RtspReply::Then::Close;
          if (session.transport() == RtspMediaTransport::Udp) {
            for (const auto& t : session.tracks())
              if (t.clientRtpPort == 0 || t.clientRtcpPort == 0) std::abort();
          }
          break;
        }
        case RtspStreamParser::Result::Interleaved: {
          bool rtcp = false;
          const int track = session.trackOfChannel(parser.frame().channel, rtcp);
          if (track >= static_cast<int>(stream::kMaxSourceTracks)) std::abort();
          if (track >= 0 && session.state() == RtspServerSession::State::Initial) std::abort();
          const uint64_t before = peer->rtcpPackets.load();
          udp.onRtcp(udpKeyOf(watched), parser.frame().data, parser.frame().size);
          if (peer->rtcpPackets.load() !=
              before + (isReceiverRtcp(parser.frame().data, parser.frame().size) ? 1 : 0))
            std::abort();
          udp.onRtcp(udpKeyOf({watched.address(), 5003}), parser.frame().data, parser.frame().size);
          if (peer->rtcpPackets.load() > before + 1) std::abort();
          break;
        }
        case RtspStreamParser::Result::Response:
          break;
        case RtspStreamParser::Result::NeedMore:
          more = false;
          break;
        case RtspStreamParser::Result::Error:
          closed = true;
          break;
      }
    }
    if (taken == 0 && !closed) break;
  }
  return 0;
}
