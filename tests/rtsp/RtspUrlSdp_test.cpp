#include <gtest/gtest.h>

#include "rtsp/RtspSdpTracks.h"
#include "rtsp/RtspUrl.h"

namespace sluice::rtsp {
namespace {

TEST(RtspUrl, ParsesCredentialsAndPort) {
  auto u = parseRtspUrl("rtsp://admin:p%40ss%3Aw0rd@192.168.1.10:8554/Streaming/Channels/101?transport=x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "rtsp");
  EXPECT_TRUE(u->hasCredentials);
  EXPECT_EQ(u->user, "admin");
  EXPECT_EQ(u->password, "p@ss:w0rd");
  EXPECT_EQ(u->host, "192.168.1.10");
  EXPECT_EQ(u->port, 8554);
  EXPECT_EQ(u->pathAndQuery, "/Streaming/Channels/101?transport=x");
  EXPECT_EQ(u->withoutCredentials(), "rtsp://192.168.1.10:8554/Streaming/Channels/101?transport=x");
}

TEST(RtspUrl, DefaultsAndIpv6) {
  auto u = parseRtspUrl("RTSP://cam.local");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 554);
  EXPECT_EQ(u->pathAndQuery, "/");
  EXPECT_FALSE(u->hasCredentials);
  auto v = parseRtspUrl("rtsp://[::1]:1554/a");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->port, 1554);
  EXPECT_EQ(v->withoutCredentials(), "rtsp://[::1]:1554/a");
  auto w = parseRtspUrl("rtsp://user@h/x");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->user, "user");
  EXPECT_EQ(w->password, "");
  // An unencoded '@' in the password: the last '@' ends the user info.
  auto x = parseRtspUrl("rtsp://u:a@b@h/x");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->password, "a@b");
  EXPECT_EQ(x->host, "h");
}

TEST(RtspUrl, RejectsMalformed) {
  std::string err;
  EXPECT_FALSE(parseRtspUrl("http://h/x", &err));
  EXPECT_FALSE(parseRtspUrl("rtsp:/h/x"));
  EXPECT_FALSE(parseRtspUrl("rtsp:///x"));
  EXPECT_FALSE(parseRtspUrl("rtsp://h:0/x"));
  EXPECT_FALSE(parseRtspUrl("rtsp://h:65536/x"));
  EXPECT_FALSE(parseRtspUrl("rtsp://h:/x"));
  EXPECT_FALSE(parseRtspUrl("rtsp://h:12a/x"));
  EXPECT_FALSE(parseRtspUrl("rtsp://[::1/x"));
  EXPECT_FALSE(parseRtspUrl("rtsp://u:%zz@h/x"));
  EXPECT_FALSE(parseRtspUrl("rtsp://u:%4@h/x"));
  EXPECT_FALSE(parseRtspUrl("rtsp://h/a b"));
  EXPECT_FALSE(parseRtspUrl("rtsp://h/" + std::string(5000, 'a')));
}

TEST(RtspUrl, ResolvesControl) {
  EXPECT_EQ(resolveControlUrl("rtsp://h:8554/cam/", "stream=0"), "rtsp://h:8554/cam/stream=0");
  EXPECT_EQ(resolveControlUrl("rtsp://h/cam", "trackID=1"), "rtsp://h/cam/trackID=1");
  EXPECT_EQ(resolveControlUrl("rtsp://h/cam", "*"), "rtsp://h/cam");
  EXPECT_EQ(resolveControlUrl("rtsp://h/cam", ""), "rtsp://h/cam");
  EXPECT_EQ(resolveControlUrl("rtsp://h/cam", "rtsp://other/x/track1"), "rtsp://other/x/track1");
  EXPECT_EQ(resolveControlUrl("rtsp://h:1/cam/x", "/abs/t1"), "rtsp://h:1/abs/t1");
}

constexpr const char* kSdp =
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=Session\r\n"
    "a=control:*\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 "
    "packetization-mode=1;profile-level-id=42c01f;sprop-parameter-sets=Z0LAH9kAUAW7AQ==,aMuDyyA=\r\n"
    "a=control:stream=0\r\n"
    "m=audio 0 RTP/AVP 0\r\n"
    "a=control:stream=1\r\n"
    "m=audio 0 RTP/AVP 97\r\n"
    "a=rtpmap:97 opus/48000/2\r\n"
    "a=sendonly\r\n"
    "a=control:back\r\n";

TEST(RtspSdpTracks, ParsesTracks) {
  auto s = parseRtspSdpTracks(kSdp);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sessionControl, "*");
  ASSERT_EQ(s->tracks.size(), 3u);
  const auto& v = s->tracks[0];
  EXPECT_EQ(v.mediaType, "video");
  EXPECT_EQ(v.payloadType, 96);
  EXPECT_EQ(v.codecName, "H264");
  EXPECT_EQ(v.clockRate, 90000u);
  EXPECT_EQ(v.control, "stream=0");
  EXPECT_NE(v.fmtp.find("sprop-parameter-sets=Z0LAH9kAUAW7AQ==,aMuDyyA="), std::string::npos);
  EXPECT_EQ(rtspTrackCodecLabel(v), "H264");
  const auto& a = s->tracks[1];
  EXPECT_EQ(a.codecName, "PCMU");  // static payload type
  EXPECT_EQ(a.clockRate, 8000u);
  EXPECT_EQ(rtspTrackCodecLabel(a), "G711");
  EXPECT_TRUE(s->tracks[2].backchannel);
  EXPECT_EQ(s->tracks[2].channels, 2u);
  EXPECT_EQ(rtspTrackCodecLabel(s->tracks[2]), "Opus");
}

TEST(RtspSdpTracks, ToleratesJunkAndBareLf) {
  auto s = parseRtspSdpTracks(
      "v=0\njunk line\nm=video 0 RTP/AVP 96\na=rtpmap:96\na=rtpmap:97 H265/90000\n"
      "a=fmtp:96\nm=video 0 RTP/AVP x\n");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->tracks.size(), 1u);
  EXPECT_EQ(s->tracks[0].codecName, "");
  EXPECT_EQ(s->tracks[0].clockRate, 0u);
}

TEST(RtspSdpTracks, RejectsMalformed) {
  std::string err;
  EXPECT_FALSE(parseRtspSdpTracks("", &err));
  EXPECT_FALSE(parseRtspSdpTracks("m=video 0 RTP/AVP 96\n"));  // no v=
  EXPECT_FALSE(parseRtspSdpTracks("v=0\ns=x\n"));              // no media
  EXPECT_FALSE(parseRtspSdpTracks("v=0\nm=video\n"));
  EXPECT_FALSE(parseRtspSdpTracks("v=0\nm=video 0 RTP/AVP 200\n"));
  std::string many = "v=0\n";
  for (int i = 0; i < 100; ++i) many += "m=video 0 RTP/AVP 96\n";
  EXPECT_FALSE(parseRtspSdpTracks(many));
}

}  // namespace
}  // namespace sluice::rtsp
