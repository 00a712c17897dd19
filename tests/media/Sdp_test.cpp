#include "media/Sdp.h"

#include <gtest/gtest.h>

#include <string>

using namespace sluice::media;

namespace {

// A Hikvision-style DESCRIBE answer: CRLF, session-level b= and e=, fmtp with blanks after
// ';' and base64 padding inside values, an ONVIF metadata track.
constexpr const char* kHikvisionDescribe =
    "v=0\r\n"
    "o=- 1109162014219182 1109162014219192 IN IP4 192.168.1.64\r\n"
    "s=Media Presentation\r\n"
    "e=NONE\r\n"
    "b=AS:5100\r\n"
    "t=0 0\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:5000\r\n"
    "a=recvonly\r\n"
    "a=x-dimensions:1920,1080\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 profile-level-id=420029; packetization-mode=1; "
    "sprop-parameter-sets=Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==\r\n"
    "m=audio 0 RTP/AVP 8\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:50\r\n"
    "a=recvonly\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=ptime:40\r\n"
    "m=application 0 RTP/AVP 107\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:50\r\n"
    "a=recvonly\r\n"
    "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=3?transportmode=unicast\r\n"
    "a=rtpmap:107 isapi.metadata/90000\r\n"
    "a=Media_header:MEDIAINFO="
    "494D4B48010300000400000111710110401F000000FA000000000000000000000000000000000000;\r\n"
    "a=appversion:1.0\r\n";

// A Dahua-style answer: LF line ends, no b= lines, H.265, trailing blanks and an empty line.
constexpr const char* kDahuaDescribe =
    "v=0\n"
    "o=- 2251938202 2251938202 IN IP4 0.0.0.0\n"
    "s=Media Server\n"
    "c=IN IP4 0.0.0.0\n"
    "t=0 0\n"
    "a=control:*\n"
    "a=packetization-supported:DH\n"
    "a=range:npt=now-   \n"
    "\n"
    "m=video 0 RTP/AVP 96\n"
    "a=control:trackID=0\n"
    "a=framerate:25.000000\n"
    "a=rtpmap:96 H265/90000\n"
    "a=fmtp:96 "
    "profile-id=1;sprop-sps=QgEBAWAAAAMAsAAAAwAAAwB7oAPAgBDlja5JMvTcBAQEAg==;sprop-pps=RAHA8vA8kAA=;"
    "sprop-vps=QAEMAf//AWAAAAMAsAAAAwAAAwB7rAk=\n"
    "a=recvonly\n"
    "m=audio 0 RTP/AVP 8\n"
    "a=control:trackID=1\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=recvonly\n";

SessionDescription parseOk(std::string_view text) {
  std::string error;
  auto sdp = parseSdp(text, error);
  EXPECT_TRUE(sdp) << error;
  return sdp ? *sdp : SessionDescription{};
}

std::string parseError(std::string_view text) {
  std::string error;
  auto sdp = parseSdp(text, error);
  EXPECT_FALSE(sdp) << "accepted: " << text;
  return error;
}

std::string withHeader(std::string_view body) {
  return "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + std::string(body);
}

}  // namespace

TEST(Sdp, ParsesCameraDescribeAnswer) {
  SessionDescription sdp = parseOk(kHikvisionDescribe);
  EXPECT_EQ(sdp.origin, "- 1109162014219182 1109162014219192 IN IP4 192.168.1.64");
  EXPECT_EQ(sdp.sessionName, "Media Presentation");
  EXPECT_EQ(sdp.timing, "0 0");
  EXPECT_EQ(sdp.attribute("control"),
            "rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast");
  ASSERT_EQ(sdp.otherLines.size(), 2u);
  EXPECT_EQ(sdp.otherLines[0], (SdpLine{'e', "NONE"}));
  EXPECT_EQ(sdp.otherLines[1], (SdpLine{'b', "AS:5100"}));
  ASSERT_EQ(sdp.media.size(), 3u);

  const MediaDescription& video = sdp.media[0];
  EXPECT_EQ(video.type, "video");
  EXPECT_EQ(video.port, 0);
  EXPECT_EQ(video.proto, "RTP/AVP");
  EXPECT_EQ(video.formats, std::vector<std::string>{"96"});
  ASSERT_TRUE(video.connection);
  EXPECT_EQ(video.connection->address, "0.0.0.0");
  EXPECT_TRUE(video.hasAttribute("recvonly"));
  EXPECT_EQ(video.attribute("control"),
            "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast");
  auto codecs = video.codecs();
  ASSERT_EQ(codecs.size(), 1u);
  EXPECT_EQ(codecs[0].payloadType, 96);
  EXPECT_EQ(codecs[0].name, "H264");
  EXPECT_EQ(codecs[0].clockRate, 90000);
  EXPECT_EQ(codecs[0].channels, 0);
  auto fmtp = parseFmtp(codecs[0].fmtp);
  EXPECT_EQ(fmtp["profile-level-id"], "420029");
  EXPECT_EQ(fmtp["packetization-mode"], "1");
  EXPECT_EQ(fmtp["sprop-parameter-sets"], "Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==");

  auto audio = sdp.media[1].codecs();
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_EQ(audio[0].name, "PCMA");
  EXPECT_EQ(audio[0].clockRate, 8000);
  EXPECT_EQ(audio[0].channels, 1);
  EXPECT_EQ(sdp.media[1].attribute("ptime"), "40");

  EXPECT_EQ(sdp.media[2].type, "application");
  EXPECT_EQ(sdp.media[2].codecs().at(0).name, "isapi.metadata");
  EXPECT_TRUE(sdp.media[2].attribute("Media_header")->starts_with("MEDIAINFO="));
}

TEST(Sdp, AcceptsLfLineEndsTrailingBlanksAndEmptyLines) {
  SessionDescription sdp = parseOk(kDahuaDescribe);
  ASSERT_TRUE(sdp.connection);
  EXPECT_EQ(sdp.attribute("control"), "*");
  EXPECT_EQ(sdp.attribute("range"), "npt=now-");
  ASSERT_EQ(sdp.media.size(), 2u);
  EXPECT_EQ(sdp.media[0].attribute("control"), "trackID=0");
  auto video = sdp.media[0].codec(96);
  ASSERT_TRUE(video);
  EXPECT_EQ(video->name, "H265");
  EXPECT_EQ(parseFmtp(video->fmtp)["sprop-pps"], "RAHA8vA8kAA=");
  EXPECT_EQ(sdp.media[1].codec(8)->name, "PCMA");
}

TEST(Sdp, FillsStaticPayloadTypesAndSkipsUnmappedDynamicOnes) {
  SessionDescription sdp = parseOk(withHeader("m=audio 9 RTP/AVP 0 8 97 10 0\r\nm=video 9 RTP/AVP 26\r\n"));
  auto codecs = sdp.media[0].codecs();
  ASSERT_EQ(codecs.size(), 3u);  // 97 has no rtpmap, the repeated 0 is listed once
  EXPECT_EQ(codecs[0].name, "PCMU");
  EXPECT_EQ(codecs[0].channels, 1);
  EXPECT_EQ(codecs[1].name, "PCMA");
  EXPECT_EQ(codecs[2].name, "L16");
  EXPECT_EQ(codecs[2].clockRate, 44100);
  EXPECT_EQ(codecs[2].channels, 2);
  EXPECT_EQ(sdp.media[1].codecs().at(0).name, "JPEG");
  EXPECT_FALSE(sdp.media[0].codec(97));
  EXPECT_FALSE(sdp.media[0].codec(9));  // not listed on the m= line
}

TEST(Sdp, RtpmapOverridesStaticTableAndGivesChannels) {
  SessionDescription sdp = parseOk(
      withHeader("m=audio 9 RTP/AVP 111 0\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000/2\r\n"));
  auto codecs = sdp.media[0].codecs();
  ASSERT_EQ(codecs.size(), 2u);
  EXPECT_EQ(codecs[0].name, "opus");
  EXPECT_EQ(codecs[0].channels, 2);
  EXPECT_EQ(codecs[1].name, "PCMU");
  EXPECT_EQ(codecs[1].channels, 2);
}

TEST(Sdp, CollectsRtcpFeedbackIncludingWildcard) {
  SessionDescription sdp =
      parseOk(withHeader("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                         "a=rtpmap:96 VP8/90000\r\n"
                         "a=rtpmap:97 H264/90000\r\n"
                         "a=rtcp-fb:96 nack\r\n"
                         "a=rtcp-fb:96   nack    pli\r\n"
                         "a=rtcp-fb:* ccm fir\r\n"
                         "a=rtcp-fb:97 goog-remb\r\n"
                         "a=rtcp-fb:97\r\n"
                         "a=fmtp:97 packetization-mode=1\r\n"
                         "a=fmtp:97 packetization-mode=0\r\n"));
  auto codecs = sdp.media[0].codecs();
  ASSERT_EQ(codecs.size(), 2u);
  EXPECT_EQ(codecs[0].rtcpFeedback, (std::vector<std::string>{"nack", "nack pli", "ccm fir"}));
  EXPECT_EQ(codecs[1].rtcpFeedback, (std::vector<std::string>{"goog-remb", "ccm fir"}));
  EXPECT_EQ(codecs[1].fmtp, "packetization-mode=1");  // the first fmtp wins
}

TEST(Sdp, ToleratesBlanksAroundRtpmapAndFmtpPayloadTypes) {
  SessionDescription sdp = parseOk(
      withHeader("m=video 9 RTP/AVP 96\r\na=rtpmap: 96 H264/90000\r\na=fmtp: 96\tpacketization-mode=1\r\n"));
  auto codec = sdp.media[0].codec(96);
  ASSERT_TRUE(codec);
  EXPECT_EQ(codec->name, "H264");
  EXPECT_EQ(codec->fmtp, "packetization-mode=1");
}

TEST(Sdp, AttributeLookupIsCaseInsensitiveAndKeepsOrder) {
  SessionDescription sdp =
      parseOk(withHeader("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                         "a=MID:0\r\n"
                         "a=rtcp-mux\r\n"
                         "a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host\r\n"
                         "a=candidate:2 1 udp 2130706430 10.0.0.2 5000 typ host\r\n"
                         "a=rtpmap:96 VP8/90000\r\n"));
  const MediaDescription& m = sdp.media[0];
  EXPECT_EQ(m.attribute("mid"), "0");
  EXPECT_TRUE(m.hasAttribute("rtcp-mux"));
  EXPECT_EQ(m.attribute("rtcp-mux"), "");
  EXPECT_FALSE(m.attribute("ice-ufrag"));
  EXPECT_EQ(m.attributeValues("candidate"),
            (std::vector<std::string>{"1 1 udp 2130706431 10.0.0.1 5000 typ host",
                                      "2 1 udp 2130706430 10.0.0.2 5000 typ host"}));
  EXPECT_EQ(m.attributeValues("rtpmap"), std::vector<std::string>{"96 VP8/90000"});
  EXPECT_TRUE(m.attributeValues("ssrc").empty());
}

TEST(Sdp, ParsesPortCountAndNonRtpFormats) {
  SessionDescription sdp =
      parseOk(withHeader("m=video 49170/2 RTP/AVP 31\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                         "a=sctp-port:5000\r\nm=video 0 RTP/AVP/TCP 96\r\na=rtpmap:96 H264/90000\r\n"));
  EXPECT_EQ(sdp.media[0].port, 49170);
  EXPECT_EQ(sdp.media[0].portCount, 2);
  EXPECT_TRUE(sdp.media[0].isRtp());
  EXPECT_FALSE(sdp.media[1].isRtp());
  EXPECT_EQ(sdp.media[1].formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_TRUE(sdp.media[1].codecs().empty());
  EXPECT_TRUE(sdp.media[2].isRtp());
  EXPECT_EQ(sdp.media[2].codecs().at(0).name, "H264");
}

TEST(Sdp, SerializesWithCrlfAndRoundTrips) {
  for (const char* text : {kHikvisionDescribe, kDahuaDescribe}) {
    SessionDescription sdp = parseOk(text);
    std::string out = serializeSdp(sdp);
    EXPECT_TRUE(out.starts_with("v=0\r\no="));
    EXPECT_TRUE(out.ends_with("\r\n"));
    EXPECT_EQ(out.find("\n\n"), std::string::npos);
    EXPECT_EQ(parseOk(out), sdp);
  }
  // The Hikvision answer is in RFC order already, so it is reproduced byte for byte.
  EXPECT_EQ(serializeSdp(parseOk(kHikvisionDescribe)), kHikvisionDescribe);
}

TEST(Sdp, SerializesLinesInRfcOrder) {
  SessionDescription sdp;
  sdp.attributes.push_back({"tool", "sluice"});
  sdp.otherLines = {{'b', "AS:100"}, {'i', "info"}, {'k', "prompt"}, {'u', "http://x"}};
  sdp.connection = SdpConnection{};
  MediaDescription m;
  m.type = "video";
  m.port = 9;
  m.proto = "RTP/AVP";
  m.formats = {"96"};
  m.otherLines = {{'b', "AS:50"}, {'i', "camera"}};
  m.connection = SdpConnection{"IN", "IP6", "::1"};
  m.addAttribute("rtpmap", "96 H264/90000");
  m.addAttribute("recvonly");
  sdp.media.push_back(m);
  EXPECT_EQ(
      serializeSdp(sdp),
      "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\ni=info\r\nu=http://x\r\nc=IN IP4 0.0.0.0\r\nb=AS:100\r\n"
      "t=0 0\r\nk=prompt\r\na=tool:sluice\r\n"
      "m=video 9 RTP/AVP 96\r\ni=camera\r\nc=IN IP6 ::1\r\nb=AS:50\r\na=rtpmap:96 "
      "H264/90000\r\na=recvonly\r\n");
}

TEST(Sdp, ParsesAndSerializesFragments) {
  std::string error;
  auto frag = parseSdpFragment(
      "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
      "a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host\r\n",
      error);
  ASSERT_TRUE(frag) << error;
  EXPECT_EQ(frag->attribute("ice-ufrag"), "abcd");
  ASSERT_EQ(frag->media.size(), 1u);
  EXPECT_EQ(frag->media[0].attribute("mid"), "0");
  std::string text = serializeSdpFragment(*frag);
  EXPECT_TRUE(text.starts_with("a=ice-ufrag:abcd\r\n"));
  auto again = parseSdpFragment(text, error);
  ASSERT_TRUE(again) << error;
  EXPECT_EQ(*again, *frag);

  EXPECT_TRUE(parseSdpFragment("", error));
  EXPECT_FALSE(parseSdpFragment("v=0\r\na=ice-ufrag:abcd\r\n", error));
  EXPECT_EQ(error, "invalid SDP fragment: line 1: unexpected v= line in a fragment 'v=0'");
  EXPECT_FALSE(parseSdpFragment("a=ice-ufrag:abcd\r\nt=0 0\r\n", error));
  EXPECT_FALSE(parseSdpFragment("m=audio nine RTP/AVP 0\r\n", error));
  EXPECT_TRUE(error.starts_with("invalid SDP fragment: line 1: malformed m= line")) << error;
}

TEST(Sdp, ParsesFmtpParameters) {
  EXPECT_TRUE(parseFmtp("").empty());
  EXPECT_TRUE(parseFmtp(" ; ;; ").empty());
  auto p = parseFmtp("Profile-Level-Id=42E01F; packetization-mode = 1 ;level-asymmetry-allowed=1;x=1;x=2");
  EXPECT_EQ(p.size(), 4u);
  EXPECT_EQ(p["profile-level-id"], "42E01F");  // keys lowercased, values as written
  EXPECT_EQ(p["packetization-mode"], "1");
  EXPECT_EQ(p["x"], "1");
  auto dtmf = parseFmtp("0-15");
  ASSERT_EQ(dtmf.size(), 1u);
  EXPECT_EQ(dtmf.begin()->first, "0-15");
  EXPECT_EQ(dtmf.begin()->second, "");
  EXPECT_EQ(parseFmtp("config=;=novalue")["config"], "");
  EXPECT_EQ(parseFmtp("config=;=novalue").size(), 1u);
}

TEST(Sdp, RejectsMissingOrWrongVersionLine) {
  EXPECT_EQ(parseError(""), "invalid SDP: empty description, missing v=0 first line");
  EXPECT_EQ(parseError("o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n"),
            "invalid SDP: line 1: missing v=0 first line, got 'o=- 1 1 IN IP4 0.0.0.0'");
  EXPECT_EQ(parseError("v=1\r\n"), "invalid SDP: line 1: missing v=0 first line, got 'v=1'");
  EXPECT_EQ(parseError("\r\nv=0\r\n"), "invalid SDP: line 1: missing v=0 first line, got ''");
  EXPECT_EQ(parseError("v=0\r\ns=-\r\nv=0\r\n"), "invalid SDP: line 3: unexpected v= line 'v=0'");
}

TEST(Sdp, RejectsLinesNotOfTheFormTypeEqualsValue) {
  EXPECT_EQ(parseError("v=0\r\nhello\r\n"), "invalid SDP: line 2: line is not of the form x=... 'hello'");
  EXPECT_TRUE(parseError("v=0\r\na:foo\r\n").starts_with("invalid SDP: line 2: line is not of the form"));
  EXPECT_TRUE(parseError("v=0\r\n=x\r\n").starts_with("invalid SDP: line 2: line is not of the form"));
  EXPECT_TRUE(parseError("v=0\r\n1=x\r\n").starts_with("invalid SDP: line 2: line is not of the form"));
  EXPECT_TRUE(parseError("v=0\r\nab=x\r\n").starts_with("invalid SDP: line 2: line is not of the form"));
  EXPECT_EQ(parseError(std::string("v=0\r\na=x\0y\r\n", 12)),
            "invalid SDP: line 2: control character in line 'a=x\\x00y'");
  EXPECT_EQ(parseError("v=0\r\na=x\ry\r\n"), "invalid SDP: line 2: control character in line 'a=x\\x0dy'");
  EXPECT_EQ(parseError("v=0\r\na=\r\n"), "invalid SDP: line 2: malformed a= line 'a='");
  EXPECT_EQ(parseError("v=0\r\na=:x\r\n"), "invalid SDP: line 2: malformed a= line 'a=:x'");
  EXPECT_EQ(parseError("v=0\r\na=a b:x\r\n"), "invalid SDP: line 2: malformed a= line 'a=a b:x'");
}

TEST(Sdp, RejectsMalformedMediaLines) {
  // Line 5: the four header lines come first.
  EXPECT_EQ(parseError(withHeader("m=video x\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video x' (bad port)");
  EXPECT_EQ(parseError(withHeader("m=video 70000 RTP/AVP 96\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video 70000 RTP/AVP 96' (bad port)");
  EXPECT_EQ(parseError(withHeader("m=video -1 RTP/AVP 96\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video -1 RTP/AVP 96' (bad port)");
  EXPECT_EQ(parseError(withHeader("m=video 9/0 RTP/AVP 96\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video 9/0 RTP/AVP 96' (bad port count)");
  EXPECT_EQ(parseError(withHeader("m=video\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video' (no port)");
  EXPECT_EQ(parseError(withHeader("m=\r\n")), "invalid SDP: line 5: malformed m= line 'm=' (bad media type)");
  EXPECT_EQ(parseError(withHeader("m=video 9\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video 9' (no proto)");
  EXPECT_EQ(parseError(withHeader("m=video 9 RTP//AVP 96\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video 9 RTP//AVP 96' (bad proto)");
  EXPECT_EQ(parseError(withHeader("m=video 9 RTP/AVP; 96\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video 9 RTP/AVP; 96' (bad proto)");
  EXPECT_EQ(parseError(withHeader("m=video 9 UDP/TLS/RTP/SAVPF\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video 9 UDP/TLS/RTP/SAVPF' (no formats)");
  EXPECT_EQ(parseError(withHeader("m=video 9 RTP/AVP 96 128\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video 9 RTP/AVP 96 128' (bad payload type '128')");
  EXPECT_EQ(parseError(withHeader("m=video 9 RTP/AVP H264\r\n")),
            "invalid SDP: line 5: malformed m= line 'm=video 9 RTP/AVP H264' (bad payload type 'H264')");
}

TEST(Sdp, RejectsMalformedRtpmapAndFmtp) {
  auto media = [](std::string_view attr) {
    return withHeader("m=video 9 RTP/AVP 96\r\n" + std::string(attr));
  };
  EXPECT_EQ(parseError(media("a=rtpmap:x H264/90000\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:x H264/90000' (bad payload type)");
  EXPECT_EQ(parseError(media("a=rtpmap:200 H264/90000\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:200 H264/90000' (bad payload type)");
  EXPECT_EQ(parseError(media("a=rtpmap:-1 H264/90000\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:-1 H264/90000' (bad payload type)");
  EXPECT_EQ(parseError(media("a=rtpmap:96\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:96' (no encoding)");
  EXPECT_EQ(parseError(media("a=rtpmap:96 H264\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:96 H264' (no clock rate)");
  EXPECT_EQ(parseError(media("a=rtpmap:96 /90000\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:96 /90000' (bad encoding name)");
  EXPECT_EQ(parseError(media("a=rtpmap:96 H264/0\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:96 H264/0' (bad clock rate)");
  EXPECT_EQ(parseError(media("a=rtpmap:96 H264/9000x\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:96 H264/9000x' (bad clock rate)");
  EXPECT_EQ(parseError(media("a=rtpmap:96 opus/48000/0\r\n")),
            "invalid SDP: line 6: malformed rtpmap 'a=rtpmap:96 opus/48000/0' (bad channel count)");
  EXPECT_EQ(parseError(media("a=fmtp:abc packetization-mode=1\r\n")),
            "invalid SDP: line 6: malformed fmtp 'a=fmtp:abc packetization-mode=1' (bad payload type)");
  // Outside RTP sections these attributes are not payload-type based, so they are not checked.
  std::string error;
  EXPECT_TRUE(parseSdp(withHeader("a=rtpmap:junk\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                  "a=fmtp:webrtc-datachannel x\r\n"),
                       error))
      << error;
}

TEST(Sdp, RejectsMalformedSessionLines) {
  EXPECT_EQ(parseError("v=0\r\nc=IN IP4\r\n"), "invalid SDP: line 2: malformed c= line 'c=IN IP4'");
  EXPECT_EQ(parseError("v=0\r\nc=IN IP4 1.2.3.4 extra\r\n"),
            "invalid SDP: line 2: malformed c= line 'c=IN IP4 1.2.3.4 extra'");
  EXPECT_EQ(parseError("v=0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n"),
            "invalid SDP: line 3: duplicate c= line 'c=IN IP4 1.2.3.4'");
  EXPECT_EQ(parseError("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"),
            "invalid SDP: line 3: duplicate o= line 'o=- 1 1 IN IP4 0.0.0.0'");
  EXPECT_EQ(parseError("v=0\r\nm=audio 0 RTP/AVP 0\r\ns=x\r\n"),
            "invalid SDP: line 3: s= line inside a media section 's=x'");
  // Unknown line types are kept, not rejected; extra t= lines too.
  SessionDescription sdp = parseOk("v=0\r\ns=\r\nt=1 2\r\nt=3 4\r\nx=future\r\n");
  EXPECT_EQ(sdp.sessionName, "");
  EXPECT_EQ(sdp.timing, "1 2");
  EXPECT_EQ(sdp.otherLines, (std::vector<SdpLine>{{'t', "3 4"}, {'x', "future"}}));
}

TEST(Sdp, EnforcesSizeLineAndSectionBounds) {
  std::string big = "v=0\r\na=x:" + std::string(kMaxSdpSize, 'x') + "\r\n";
  EXPECT_EQ(parseError(big),
            "invalid SDP: description is " + std::to_string(big.size()) + " bytes, limit is 131072");

  std::string manyLines = "v=0\r\n";
  for (size_t i = 0; i < kMaxSdpLines; ++i) manyLines += "a=x\r\n";
  EXPECT_EQ(parseError(manyLines), "invalid SDP: more than 4096 lines");

  std::string manySections = "v=0\r\n";
  for (size_t i = 0; i <= kMaxSdpMediaSections; ++i) manySections += "m=audio 0 RTP/AVP 0\r\n";
  EXPECT_EQ(parseError(manySections), "invalid SDP: line 66: more than 64 media sections");

  std::string manyFormats = "v=0\r\nm=application 9 X";
  for (int i = 0; i < 300; ++i) manyFormats += " f" + std::to_string(i);
  EXPECT_TRUE(parseError(manyFormats).ends_with("(too many formats)"));
}

TEST(Sdp, ErrorQuotesAreBoundedAndPrintable) {
  std::string line = "m=video " + std::string(500, '\x01');
  std::string error = parseError("v=0\r\n" + line + "\r\n");
  EXPECT_LT(error.size(), 500u);
  EXPECT_NE(error.find("\\x01"), std::string::npos);
  EXPECT_NE(error.find("...'"), std::string::npos);
  for (char c : error) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
}
