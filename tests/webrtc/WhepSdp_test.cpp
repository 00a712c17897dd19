#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "WhepOfferSamples.h"
#include "media/Sdp.h"
#include "webrtc/WhepAnswer.h"
#include "webrtc/WhepOffer.h"

using namespace sluice::webrtc;
using namespace sluice::webrtc::test;
using sluice::media::kMaxSdpSize;
using sluice::media::SdpCodec;

namespace {

std::string offerError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parseWhepOffer(text, error)) << "accepted: " << text;
  return error;
}

std::optional<int> chosenH264(std::initializer_list<std::string_view> fmtps) {
  std::string formats, lines;
  int pt = 96;
  for (auto fmtp : fmtps) {
    formats += (formats.empty() ? "" : " ") + std::to_string(pt);
    lines += "a=rtpmap:" + std::to_string(pt) + " H264/90000\na=fmtp:" + std::to_string(pt) + " " +
             std::string(fmtp) + "\n";
    ++pt;
  }
  WhepOffer offer = parseOfferOk(videoOffer(formats, lines));
  return chooseH264PayloadType(offer.media.at(0));
}

}  // namespace

TEST(WhepOffer, ParsesRealChromiumOffer) {
  WhepOffer offer = parseOfferOk(crlf(kChromium156Offer));
  EXPECT_EQ(offer.iceUfrag, "A7a/");
  EXPECT_EQ(offer.icePwd, "pO/cEuEQevulq8PNc/01psg4");
  EXPECT_EQ(offer.fingerprintAlgorithm, "sha-256");
  EXPECT_EQ(
      offer.fingerprint,
      "15:11:B7:6A:B7:A8:D1:11:42:A4:52:1D:C9:7F:C5:D5:23:DD:49:AF:2A:3F:31:6A:D5:83:F6:D6:1E:35:AE:0D");
  EXPECT_EQ(offer.setup, "actpass");
  EXPECT_EQ(offer.bundleMids, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_TRUE(offer.candidates.empty());  // Chromium's offer may carry none: peer-reflexive only
  ASSERT_EQ(offer.media.size(), 3u);

  const auto& video = offer.media[0];
  EXPECT_EQ(video.type, "video");
  EXPECT_EQ(video.mid, "0");
  EXPECT_EQ(video.direction, "recvonly");
  EXPECT_TRUE(video.rtcpMux);
  EXPECT_EQ(video.port, 9);
  EXPECT_EQ(video.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(video.extmaps.size(), 11u);
  EXPECT_EQ(video.extmaps[0], "1 urn:ietf:params:rtp-hdrext:toffset");
  EXPECT_EQ(video.codecs.size(), 34u);
  EXPECT_EQ(video.codecs[0].name, "VP8");
  EXPECT_EQ(video.codecs[0].rtcpFeedback,
            (std::vector<std::string>{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"}));
  EXPECT_EQ(chooseH264PayloadType(video), 108);

  const auto& audio = offer.media[1];
  EXPECT_EQ(audio.type, "audio");
  EXPECT_EQ(audio.direction, "recvonly");
  ASSERT_EQ(audio.codecs.size(), 8u);
  EXPECT_EQ(audio.codecs[0].name, "opus");
  EXPECT_EQ(audio.codecs[0].channels, 2);
  EXPECT_EQ(audio.codecs[3].name, "PCMU");
  EXPECT_EQ(audio.codecs[3].payloadType, 0);

  const auto& data = offer.media[2];
  EXPECT_EQ(data.type, "application");
  EXPECT_EQ(data.proto, "UDP/DTLS/SCTP");
  EXPECT_EQ(data.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_TRUE(data.codecs.empty());
  EXPECT_EQ(data.direction, "sendrecv");
}

TEST(WhepOffer, ParsesChrome12xOfferAndPrefers42e01fWithPacketizationMode1) {
  WhepOffer offer = parseOfferOk(crlf(kChrome12xOffer));
  EXPECT_EQ(offer.iceUfrag, "Kx+9");
  ASSERT_EQ(offer.media.size(), 3u);
  EXPECT_EQ(offer.media[0].codecs.size(), 25u);
  // 102 is 42001f, 104 and 108 are packetization-mode=0, 127 is main, 112 is f4001f.
  EXPECT_EQ(chooseH264PayloadType(offer.media[0]), 106);
  EXPECT_EQ(offer.media[1].codecs.back().name, "PCMA");
  EXPECT_EQ(offer.media[1].codecs.back().channels, 2);
}

TEST(WhepOffer, ParsesAiortcOfferWithCandidatesAndPerSectionCredentials) {
  WhepOffer offer = parseOfferOk(crlf(kAiortcOffer));
  // aiortc gives each section its own ICE transport until BUNDLE is negotiated; the
  // session's transport is the BUNDLE-tag section's (mid 0).
  EXPECT_EQ(offer.iceUfrag, "wYcL");
  EXPECT_EQ(offer.icePwd, "PklPJHpwYukuRNZ4hF6t2z");
  EXPECT_EQ(offer.media[1].iceUfrag, "S0Rq");
  EXPECT_EQ(offer.setup, "actpass");
  ASSERT_EQ(offer.candidates.size(), 4u);
  EXPECT_EQ(offer.candidates[0],
            "f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 47748 typ host");
  EXPECT_TRUE(offer.endOfCandidates);
  EXPECT_EQ(offer.media[0].port, 47748);
  EXPECT_EQ(offer.media[0].codecs.size(), 6u);
  EXPECT_EQ(offer.media[0].codecs[2].rtcpFeedback,
            (std::vector<std::string>{"nack", "nack pli", "goog-remb"}));
  EXPECT_EQ(chooseH264PayloadType(offer.media[0]), 101);
}

TEST(WhepOffer, ParsesFirefoxOfferWithSessionLevelFingerprintAndDirection) {
  WhepOffer offer = parseOfferOk(crlf(kFirefoxOffer));
  EXPECT_EQ(offer.iceUfrag, "1f3b5d7a");
  EXPECT_EQ(offer.icePwd, "6c8f3e8b2d1a4f0e9b7c5a3d1e2f4a6b");
  EXPECT_EQ(
      offer.fingerprint,
      "9C:5E:3A:4B:11:07:DE:F1:62:0B:3C:8A:77:40:AB:19:5D:E2:C6:0F:81:94:3B:7A:20:DD:6E:15:C8:49:F3:02");
  EXPECT_EQ(offer.media[0].direction, "recvonly");
  EXPECT_EQ(offer.media[2].direction, "sendrecv");
  EXPECT_EQ(offer.media[0].extmaps[3],
            "6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay");
  // fmtp lines come before rtpmap lines in Firefox's offers.
  auto h264 = std::find_if(offer.media[0].codecs.begin(), offer.media[0].codecs.end(),
                           [](const SdpCodec& c) { return c.payloadType == 126; });
  ASSERT_NE(h264, offer.media[0].codecs.end());
  EXPECT_EQ(h264->fmtp, "profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1");
  EXPECT_EQ(chooseH264PayloadType(offer.media[0]), 126);  // 97 lacks packetization-mode=1
  EXPECT_EQ(offer.media[1].codecs[1].name, "G722");
  EXPECT_EQ(offer.media[1].codecs[1].channels, 1);
}

TEST(WhepOffer, PrefersSha256AmongSeveralFingerprints) {
  std::string sha512;
  for (int i = 0; i < 64; ++i) sha512 += (i ? ":" : "") + std::string("0F");
  std::string text = videoOffer("96", "a=rtpmap:96 H264/90000\n");
  text = replaceAll(text, "a=fingerprint:sha-256",
                    "a=fingerprint:sha-512 " + sha512 + "\r\na=fingerprint:SHA-256");
  WhepOffer offer = parseOfferOk(text);
  EXPECT_EQ(offer.fingerprintAlgorithm, "sha-256");
  EXPECT_EQ(offer.fingerprint, kFingerprint);

  text = replaceAll(videoOffer("96", "a=rtpmap:96 H264/90000\n"),
                    "a=fingerprint:sha-256 " + std::string(kFingerprint), "a=fingerprint:sha-512 " + sha512);
  offer = parseOfferOk(text);
  EXPECT_EQ(offer.fingerprintAlgorithm, "sha-512");
}

TEST(WhepOffer, DefaultsSetupToActiveWhenAbsent) {
  WhepOffer offer = parseOfferOk(withoutLines(videoOffer("96", "a=rtpmap:96 H264/90000\n"), "a=setup"));
  EXPECT_EQ(offer.setup, "active");
}

TEST(WhepOffer, RejectsMalformedOffers) {
  std::string chromium = crlf(kChromium156Offer);
  EXPECT_TRUE(offerError("hello").starts_with("invalid SDP: line 1: missing v=0 first line"));
  EXPECT_TRUE(offerError("").starts_with("invalid SDP: "));
  EXPECT_TRUE(offerError(std::string("\x00\xff\x10garbage", 10)).starts_with("invalid SDP: line 1"));
  EXPECT_EQ(offerError("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"), "offer has no media sections");
  EXPECT_EQ(offerError(withoutLines(chromium, "a=ice-ufrag")), "offer has no ICE credentials");
  EXPECT_EQ(offerError(withoutLines(chromium, "a=ice-pwd")), "offer has no ICE credentials");
  EXPECT_EQ(offerError(withoutLines(chromium, "a=fingerprint")), "offer has no DTLS fingerprint");
  EXPECT_EQ(offerError(replaceAll(chromium, "a=ice-ufrag:A7a/", "a=ice-ufrag:A7 a/")),
            "offer has malformed ICE credentials: ice-ufrag 'A7 a/'");
  EXPECT_TRUE(offerError(replaceAll(chromium, "a=fingerprint:sha-256 15:11", "a=fingerprint:sha-256 XY:11"))
                  .starts_with("offer has malformed DTLS fingerprint 'sha-256 XY:11:B7:"));
  EXPECT_TRUE(offerError(replaceAll(chromium, "a=fingerprint:sha-256 ", "a=fingerprint:"))
                  .starts_with("offer has malformed DTLS fingerprint '15:11:B7:"));
  EXPECT_EQ(offerError(replaceAll(chromium, "a=setup:actpass", "a=setup:server")),
            "offer has malformed a=setup 'server'");
  EXPECT_EQ(offerError(replaceAll(chromium, "a=mid:0\r\n", "a=mid:0\r\na=candidate:1 1 udp\r\n")),
            "offer has malformed candidate '1 1 udp'");
  // An m= line without formats breaks the SDP grammar itself.
  EXPECT_EQ(offerError(videoOffer("", "")),
            "invalid SDP: line 6: malformed m= line 'm=video 9 UDP/TLS/RTP/SAVPF' (no formats)");
  EXPECT_EQ(offerError(replaceAll(chromium, "a=rtpmap:102 H264/90000", "a=rtpmap:1O2 H264/90000")),
            "invalid SDP: line 76: malformed rtpmap 'a=rtpmap:1O2 H264/90000' (bad payload type)");
  EXPECT_TRUE(
      offerError(chromium + std::string(kMaxSdpSize, ' ')).starts_with("invalid SDP: description is"));
}

TEST(WhepOffer, RanksH264Profiles) {
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=42001f",
                        "packetization-mode=1;profile-level-id=42e01f"}),
            97);
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=4d001f",
                        "packetization-mode=1;profile-level-id=42001f"}),
            97);
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=64001f",
                        "packetization-mode=1;profile-level-id=4d001f",
                        "packetization-mode=1;profile-level-id=42c01e"}),
            98);
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=64001f",
                        "packetization-mode=1;profile-level-id=4d0032"}),
            97);
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=f4001f"}), 96);
  EXPECT_EQ(chosenH264({"packetization-mode=1"}), 96);  // no profile-level-id: any H.264
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=4d001f",
                        "Packetization-Mode=1;Profile-Level-Id=42E01F"}),
            97);
  EXPECT_EQ(chosenH264({"packetization-mode=0;profile-level-id=42e01f", "profile-level-id=42e01f"}),
            std::nullopt);
  EXPECT_EQ(chosenH264({"packetization-mode=2;profile-level-id=42e01f"}), std::nullopt);
  // Ties go to the offer's preference order.
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=640032",
                        "packetization-mode=1;profile-level-id=f4001f"}),
            96);
}

TEST(WhepOffer, ParsesTrickleFragmentFromMediaMtxPlayer) {
  // What reader.js PATCHes: session-level credentials, the offer's m= line, a=mid, candidates.
  std::string error;
  auto frag =
      parseTrickleFragment(crlf("a=ice-ufrag:A7a/\n"
                                "a=ice-pwd:pO/cEuEQevulq8PNc/01psg4\n"
                                "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\n"
                                "a=mid:0\n"
                                "a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host "
                                "generation 0 ufrag A7a/ network-id 1\n"
                                "a=candidate:3ed1a1b3-1f0c-4b1a-9a5b-6c1d2e3f4a5b.local 1 udp 2122260223 "
                                "3ed1a1b3-1f0c-4b1a-9a5b-6c1d2e3f4a5b.local 53771 typ host generation 0\n"
                                "m=audio 9 UDP/TLS/RTP/SAVPF 111\n"
                                "a=mid:1\n"
                                "a=candidate:842163049 1 udp 1677729535 203.0.113.7 46243 typ srflx raddr "
                                "192.168.0.196 rport 46243\n"),
                           error);
  ASSERT_TRUE(frag) << error;
  EXPECT_EQ(frag->iceUfrag, "A7a/");
  EXPECT_EQ(frag->icePwd, "pO/cEuEQevulq8PNc/01psg4");
  ASSERT_EQ(frag->candidates.size(), 3u);
  EXPECT_EQ(frag->candidates[0].first, "0");
  EXPECT_EQ(frag->candidates[0].second,
            "1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 ufrag A7a/ network-id 1");
  EXPECT_EQ(frag->candidates[2].first, "1");
  EXPECT_FALSE(frag->endOfCandidates);
}

TEST(WhepOffer, ParsesRfc8840FragmentWithMediaLevelCredentialsAndEnd) {
  std::string error;
  auto frag = parseTrickleFragment(
      "a=ice-options:trickle ice2\n"
      "m=audio 9 RTP/AVP 0\n"
      "a=mid:0\n"
      "a=ice-ufrag:EsAw\n"
      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\n"
      "a=candidate:1 1 UDP 2130706431 198.51.100.1 39132 typ host\n"
      "a=end-of-candidates\n",
      error);
  ASSERT_TRUE(frag) << error;
  EXPECT_EQ(frag->iceUfrag, "EsAw");
  EXPECT_EQ(frag->icePwd, "P2uYro0UCOQ4zxjKXaWCBui1");
  EXPECT_EQ(frag->candidates.size(), 1u);
  EXPECT_TRUE(frag->endOfCandidates);

  // An empty body, or one with only end-of-candidates, is a valid fragment.
  ASSERT_TRUE(parseTrickleFragment("", error));
  frag = parseTrickleFragment("a=end-of-candidates\r\n", error);
  ASSERT_TRUE(frag) << error;
  EXPECT_TRUE(frag->endOfCandidates);
  // Candidates outside any m= section are ignored, as MediaMTX does.
  frag = parseTrickleFragment("a=candidate:1 1 udp 2130706431 198.51.100.1 39132 typ host\r\n", error);
  ASSERT_TRUE(frag) << error;
  EXPECT_TRUE(frag->candidates.empty());
}

TEST(WhepOffer, RejectsMalformedTrickleFragments) {
  auto fragError = [](std::string_view body) {
    std::string error;
    EXPECT_FALSE(parseTrickleFragment(body, error)) << body;
    return error;
  };
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n"),
            "trickle fragment has an m= section without a=mid");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=mid:audio\r\n"),
            "trickle fragment has a non-numeric a=mid 'audio'");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=mid:70000\r\n"),
            "trickle fragment has a non-numeric a=mid '70000'");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:garbage\r\n"),
            "trickle fragment has a malformed candidate 'garbage'");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 1 10.0.0.1 99999 typ host\r\n"),
            "trickle fragment has a malformed candidate '1 1 udp 1 10.0.0.1 99999 typ host'");
  EXPECT_EQ(fragError("a=ice-ufrag:abcd\r\n"), "trickle fragment has only one of ice-ufrag and ice-pwd");
  EXPECT_EQ(fragError("v=0\r\na=ice-ufrag:abcd\r\n"),
            "invalid SDP fragment: line 1: unexpected v= line in a fragment 'v=0'");
  EXPECT_EQ(fragError("garbage"), "invalid SDP fragment: line 1: line is not of the form x=... 'garbage'");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP\r\na=mid:0\r\n"),
            "invalid SDP fragment: line 1: malformed m= line 'm=audio 9 RTP/AVP' (no formats)");
}
