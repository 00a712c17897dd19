#include "webrtc/WhepAnswer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "WhepOfferSamples.h"
#include "media/Sdp.h"
#include "webrtc/WhepOffer.h"

using namespace sluice::webrtc;
using namespace sluice::webrtc::test;
using sluice::media::MediaDescription;
using sluice::media::parseSdp;
using sluice::media::SdpCodec;
using sluice::media::SdpConnection;

namespace {

// Stream track sets, as the stream layer describes what it could send over WebRTC.
const std::vector<SendableTrack> kH264Only = {{0, "H264", 90000, 0}};
const std::vector<SendableTrack> kH264Pcmu = {{0, "H264", 90000, 0}, {1, "PCMU", 8000, 1}};
const std::vector<SendableTrack> kH264OpusStereo = {{0, "H264", 90000, 0}, {1, "Opus", 48000, 2}};
const std::vector<SendableTrack> kH265Pcmu = {{0, "H265", 90000, 0}, {1, "PCMU", 8000, 1}};

WhepMediaChoice chooseOk(const WhepOffer& offer, const std::vector<SendableTrack>& tracks = kH264Only) {
  std::string error;
  auto choice = chooseWhepMedia(offer, tracks, error);
  EXPECT_TRUE(choice) << error;
  return choice ? *choice : WhepMediaChoice{};
}

std::string chooseError(const WhepOffer& offer, const std::vector<SendableTrack>& tracks) {
  std::string error;
  auto choice = chooseWhepMedia(offer, tracks, error);
  EXPECT_FALSE(choice) << "accepted with " << (choice ? choice->tracks.size() : 0) << " tracks";
  return error;
}

WhepAnswerParams testParams() {
  WhepAnswerParams p;
  p.iceUfrag = "sluiceUfrag0001";
  p.icePwd = "sluicePasswordPasswordPass";
  p.fingerprintSha256 = kFingerprint;
  p.hostCandidates = {{"127.0.0.2", 8189}, {"192.168.1.10", 8189}};
  p.ssrcs = {305419896, 2596069104u};
  p.cname = "sluice-cname";
  p.sessionId = 4611686018427387905ull;
  return p;
}

bool contains(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Checks everything an answer must satisfy whatever the offer: RFC 3264 shape, ICE-lite,
// DTLS role, BUNDLE, and per-section content (codec, direction, SSRC, feedback).
void expectValidAnswer(const std::string& text, const WhepOffer& offer, const WhepMediaChoice& choice,
                       const WhepAnswerParams& params) {
  std::string error;
  auto sdp = parseSdp(text, error);
  ASSERT_TRUE(sdp) << error << "\n" << text;
  EXPECT_TRUE(text.ends_with("\r\n"));
  EXPECT_TRUE(sdp->hasAttribute("ice-lite"));
  EXPECT_EQ(sdp->attribute("setup"), params.setup);
  EXPECT_EQ(sdp->attribute("fingerprint"), "sha-256 " + params.fingerprintSha256);
  EXPECT_EQ(sdp->attribute("msid-semantic"), "WMS " + params.streamId);
  for (const char* absent : {"transport-cc", "goog-remb", "rtx/", "extmap", "rtcp-rsize", "ice-options"}) {
    EXPECT_EQ(text.find(absent), std::string::npos) << absent;
  }

  ASSERT_EQ(sdp->media.size(), offer.media.size());
  std::vector<std::string> bundledMids;
  size_t accepted = 0, sectionsWithCandidates = 0;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    SCOPED_TRACE("section " + std::to_string(i));
    const auto& offered = offer.media[i];
    const MediaDescription& m = sdp->media[i];
    EXPECT_EQ(m.type, offered.type);
    EXPECT_EQ(m.proto, offered.proto);
    EXPECT_EQ(m.attribute("mid").value_or(""), offered.mid);
    auto track = std::find_if(choice.tracks.begin(), choice.tracks.end(),
                              [&](const WhepTrackChoice& t) { return t.offerIndex == i; });
    if (track == choice.tracks.end()) {
      EXPECT_EQ(m.port, 0);
      EXPECT_FALSE(m.hasAttribute("sendonly"));
      EXPECT_FALSE(m.hasAttribute("candidate"));
      if (m.isRtp()) {
        EXPECT_TRUE(m.hasAttribute("inactive"));
      }
      continue;
    }
    ++accepted;
    if (contains(offer.bundleMids, offered.mid)) bundledMids.push_back(offered.mid);
    int pt = track->payloadType;
    EXPECT_EQ(m.type, track->video ? "video" : "audio");
    EXPECT_EQ(m.port, params.hostCandidates.front().second);
    ASSERT_TRUE(m.connection);
    EXPECT_EQ(m.connection->address, params.hostCandidates.front().first);
    EXPECT_EQ(m.formats, std::vector<std::string>{std::to_string(pt)});
    EXPECT_TRUE(m.hasAttribute("sendonly"));
    EXPECT_TRUE(m.hasAttribute("rtcp-mux"));
    EXPECT_EQ(m.attribute("setup"), params.setup);
    EXPECT_EQ(m.attribute("ice-ufrag"), params.iceUfrag);
    EXPECT_EQ(m.attribute("ice-pwd"), params.icePwd);
    EXPECT_EQ(m.attribute("fingerprint"), "sha-256 " + params.fingerprintSha256);
    const char* kind = track->video ? "video" : "audio";
    uint32_t ssrc = params.ssrcs.at(static_cast<size_t>(track - choice.tracks.begin()));
    EXPECT_EQ(m.attribute("msid"), params.streamId + " " + kind);
    EXPECT_EQ(m.attributeValues("ssrc"),
              (std::vector<std::string>{std::to_string(ssrc) + " cname:" + params.cname,
                                        std::to_string(ssrc) + " msid:" + params.streamId + " " + kind}));
    auto codecs = m.codecs();
    ASSERT_EQ(codecs.size(), 1u);
    const auto& offeredCodec = *std::find_if(offered.codecs.begin(), offered.codecs.end(),
                                             [&](const SdpCodec& c) { return c.payloadType == pt; });
    EXPECT_EQ(codecs[0].name, offeredCodec.name);
    EXPECT_EQ(codecs[0].clockRate, offeredCodec.clockRate);
    EXPECT_EQ(codecs[0].channels, offeredCodec.channels);
    if (track->codec != "Opus" || track->channels != 2) {
      EXPECT_EQ(codecs[0].fmtp, offeredCodec.fmtp);
    }
    if (track->video) {
      for (const auto& fb : codecs[0].rtcpFeedback) {
        EXPECT_TRUE(fb == "nack" || fb == "nack pli" || fb == "ccm fir") << fb;
      }
      for (const char* fb : {"nack", "nack pli", "ccm fir"}) {
        EXPECT_EQ(contains(codecs[0].rtcpFeedback, fb), contains(offeredCodec.rtcpFeedback, fb)) << fb;
      }
    } else {
      EXPECT_TRUE(codecs[0].rtcpFeedback.empty());
    }
    auto candidates = m.attributeValues("candidate");
    if (!candidates.empty()) {
      ++sectionsWithCandidates;
      EXPECT_EQ(accepted, 1u) << "candidates belong to the first accepted section";
      EXPECT_EQ(i, choice.transportIndex());
      ASSERT_EQ(candidates.size(), params.hostCandidates.size());
      for (size_t c = 0; c < candidates.size(); ++c) {
        const auto& [ip, port] = params.hostCandidates[c];
        EXPECT_TRUE(candidates[c].ends_with(" 1 udp " + std::to_string(2130706431 - 256 * c) + " " + ip +
                                            " " + std::to_string(port) + " typ host"))
            << candidates[c];
      }
      EXPECT_TRUE(m.hasAttribute("end-of-candidates"));
    }
  }
  EXPECT_EQ(accepted, choice.tracks.size());
  EXPECT_EQ(sectionsWithCandidates, 1u);
  if (bundledMids.empty()) {
    EXPECT_FALSE(sdp->attribute("group"));
  } else {
    std::string bundle = "BUNDLE";
    for (const auto& mid : bundledMids) bundle += " " + mid;
    EXPECT_EQ(sdp->attribute("group"), bundle);
  }

  // Our own WHEP parser reads the answer back: credentials, fingerprint, setup, and the
  // sending sections pick the same codecs again.
  auto back = parseWhepOffer(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->iceUfrag, params.iceUfrag);
  EXPECT_EQ(back->icePwd, params.icePwd);
  EXPECT_EQ(back->fingerprintAlgorithm, "sha-256");
  EXPECT_EQ(back->fingerprint, params.fingerprintSha256);
  EXPECT_EQ(back->setup, params.setup);
  for (const auto& t : choice.tracks) {
    EXPECT_EQ(back->media[t.offerIndex].direction, "sendonly");
    if (t.codec == "H264") {
      EXPECT_EQ(chooseH264PayloadType(back->media[t.offerIndex]), t.payloadType);
    }
    if (t.codec == "H265") {
      EXPECT_EQ(chooseH265PayloadType(back->media[t.offerIndex]), t.payloadType);
    }
  }
}

// Builds and checks the answer, returning it parsed.
sluice::media::SessionDescription answerOk(const WhepOffer& offer, const WhepMediaChoice& choice,
                                           const WhepAnswerParams& params = testParams()) {
  std::string text = buildWhepAnswer(offer, choice, params);
  expectValidAnswer(text, offer, choice, params);
  std::string error;
  auto sdp = parseSdp(text, error);
  EXPECT_TRUE(sdp) << error;
  return sdp ? *sdp : sluice::media::SessionDescription{};
}

}  // namespace

TEST(WhepMedia, VideoOnlyStreamGetsMediaMtxDummyPcmu) {
  for (const char* offerText : {kChromium156Offer, kChrome12xOffer, kAiortcOffer, kFirefoxOffer}) {
    WhepOffer offer = parseOfferOk(crlf(offerText));
    WhepMediaChoice choice = chooseOk(offer, kH264Only);
    ASSERT_EQ(choice.tracks.size(), 2u);
    ASSERT_TRUE(choice.video());
    EXPECT_EQ(choice.video()->offerIndex, 0u);
    EXPECT_EQ(choice.video()->streamTrack, 0u);
    EXPECT_EQ(choice.video()->codec, "H264");
    ASSERT_TRUE(choice.audio());
    EXPECT_EQ(choice.audio()->offerIndex, 1u);
    EXPECT_TRUE(choice.audio()->dummy());
    EXPECT_EQ(choice.audio()->streamTrack, kDummyAudioTrack);
    EXPECT_EQ(choice.audio()->codec, "PCMU");
    EXPECT_EQ(choice.audio()->payloadType, 0);  // mono PCMU, not the munged PCMU/8000/2
    EXPECT_EQ(choice.transportIndex(), 0u);
  }
}

TEST(WhepMedia, FailsWhenNoUsableH264) {
  std::string error;
  WhepOffer vp8Only =
      parseOfferOk(videoOffer("96 97", "a=rtpmap:96 VP8/90000\na=rtpmap:97 rtx/90000\na=fmtp:97 apt=96\n"));
  EXPECT_EQ(chooseError(vp8Only, kH264Only),
            "codecs not supported by client: the stream has H264; the offer has VP8");

  // Listed formats without rtpmap lines: no codecs at all.
  WhepOffer noCodecs = parseOfferOk(videoOffer("96 97", ""));
  EXPECT_TRUE(noCodecs.media[0].codecs.empty());
  EXPECT_EQ(
      chooseError(noCodecs, kH264Only),
      "codecs not supported by client: the stream has H264; the offer has no audio or video section it can "
      "receive");

  std::string h264 = "a=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=1;profile-level-id=42e01f\n";
  EXPECT_TRUE(chooseWhepMedia(parseOfferOk(videoOffer("96", h264)), kH264Only, error)) << error;
  // A client that will not receive, or wants RTCP on a separate port, cannot be served.
  const std::string notReceivable =
      "codecs not supported by client: the stream has H264; the offer has no audio or video section it can "
      "receive";
  EXPECT_EQ(chooseError(parseOfferOk(replaceAll(videoOffer("96", h264), "recvonly", "sendonly")), kH264Only),
            notReceivable);
  EXPECT_EQ(chooseError(parseOfferOk(replaceAll(videoOffer("96", h264), "recvonly", "inactive")), kH264Only),
            notReceivable);
  EXPECT_EQ(chooseError(parseOfferOk(withoutLines(videoOffer("96", h264), "a=rtcp-mux")), kH264Only),
            notReceivable);
  EXPECT_EQ(
      chooseError(parseOfferOk(replaceAll(videoOffer("96", h264), "m=video 9", "m=video 0")), kH264Only),
      notReceivable);
  EXPECT_EQ(chooseError(parseOfferOk(replaceAll(videoOffer("96", h264), "m=video", "m=audio")), kH264Only),
            "codecs not supported by client: the stream has H264; the offer has H264");
  // packetization-mode=0 only.
  EXPECT_EQ(chooseError(parseOfferOk(videoOffer("96", "a=rtpmap:96 H264/90000\n")), kH264Only),
            "codecs not supported by client: the stream has H264; the offer has H264");
}

TEST(WhepMedia, AudioNeedsPcmuReceptionAndBundle) {
  std::string chromium = crlf(kChromium156Offer);
  std::string error;
  auto audioOf = [&](const std::string& text) -> std::optional<size_t> {
    auto choice = chooseWhepMedia(parseOfferOk(text), kH264Only, error);
    EXPECT_TRUE(choice) << error;
    if (!choice || !choice->audio()) return std::nullopt;
    EXPECT_TRUE(choice->audio()->dummy());
    return choice->audio()->offerIndex;
  };
  EXPECT_EQ(audioOf(chromium), 1u);
  EXPECT_EQ(audioOf(withoutLines(chromium, "a=rtpmap:0 PCMU")), 1u);  // 0 stays static PCMU
  EXPECT_EQ(audioOf(replaceAll(chromium, "111 63 9 0 8 13 110 126", "111 63 9 8 13 110 126")), std::nullopt);
  EXPECT_EQ(audioOf(replaceAll(chromium, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 2")), std::nullopt);
  EXPECT_EQ(audioOf(withoutLines(chromium, "a=group:BUNDLE")), std::nullopt);
  std::string sendonlyAudio = chromium;
  sendonlyAudio.replace(sendonlyAudio.rfind("a=recvonly"), 10, "a=sendonly");
  EXPECT_EQ(audioOf(sendonlyAudio), std::nullopt);
  // Only PCMU/8000/2: the dummy track is mono.
  EXPECT_EQ(audioOf(replaceAll(chromium, "a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMU/8000/2")), std::nullopt);
}

TEST(WhepMedia, SendsStreamPcmuAndPcmaAudio) {
  WhepOffer chromium = parseOfferOk(crlf(kChromium156Offer));
  WhepMediaChoice choice = chooseOk(chromium, kH264Pcmu);
  ASSERT_TRUE(choice.audio());
  EXPECT_FALSE(choice.audio()->dummy());
  EXPECT_EQ(choice.audio()->streamTrack, 1u);
  EXPECT_EQ(choice.audio()->payloadType, 0);
  EXPECT_EQ(choice.audio()->codec, "PCMU");
  EXPECT_EQ(choice.audio()->clockRate, 8000u);

  // A-law: the offer's PCMA/8000 (8), in every real offer.
  const std::vector<SendableTrack> pcma = {{2, "PCMA", 8000, 1}, {0, "H264", 90000, 0}};
  for (const char* offerText :
       {kChromium156Offer, kChrome12xOffer, kAiortcOffer, kFirefoxOffer, kSafariH265Offer}) {
    WhepOffer offer = parseOfferOk(crlf(offerText));
    choice = chooseOk(offer, pcma);
    ASSERT_TRUE(choice.audio());
    EXPECT_EQ(choice.audio()->streamTrack, 2u);
    EXPECT_EQ(choice.audio()->payloadType, 8);
    EXPECT_EQ(choice.audio()->codec, "PCMA");
    EXPECT_EQ(choice.tracks.front().streamTrack, 0u) << "tracks are in offer order";
  }

  // Stereo G.711 goes to the offer's PCMU/8000/2 (Chrome's munged entry), never to mono PCMU.
  choice = chooseOk(parseOfferOk(crlf(kChrome12xOffer)), {{0, "H264", 90000, 0}, {1, "PCMU", 8000, 2}});
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->payloadType, 114);
  EXPECT_EQ(choice.audio()->channels, 2u);
  // Without it the stereo track is not sendable, and the dummy takes the audio section.
  choice = chooseOk(chromium, {{0, "H264", 90000, 0}, {1, "PCMU", 8000, 2}});
  ASSERT_TRUE(choice.audio());
  EXPECT_TRUE(choice.audio()->dummy());

  // A stream PCMA the offer lacks: video with the dummy PCMU.
  WhepOffer pcmuOnly = parseOfferOk(replaceAll(crlf(kChromium156Offer), "111 63 9 0 8 13 110 126", "0"));
  choice = chooseOk(pcmuOnly, pcma);
  ASSERT_TRUE(choice.audio());
  EXPECT_TRUE(choice.audio()->dummy());
}

TEST(WhepMedia, PrefersOpusOverG711AndFirstG711TheOfferTakes) {
  WhepOffer chromium = parseOfferOk(crlf(kChromium156Offer));
  const std::vector<SendableTrack> tracks = {
      {0, "H264", 90000, 0}, {1, "PCMU", 8000, 1}, {2, "Opus", 48000, 1}, {3, "PCMA", 8000, 1}};
  WhepMediaChoice choice = chooseOk(chromium, tracks);
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->streamTrack, 2u);
  EXPECT_EQ(choice.audio()->payloadType, 111);
  EXPECT_EQ(choice.audio()->codec, "Opus");
  EXPECT_EQ(choice.audio()->clockRate, 48000u);
  EXPECT_EQ(choice.audio()->channels, 1u);

  // No opus in the offer: the stream's first G.711 track.
  WhepOffer noOpus = parseOfferOk(replaceAll(crlf(kChromium156Offer), "111 63 9 0 8 13 110 126", "9 8 0"));
  choice = chooseOk(noOpus, tracks);
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->streamTrack, 1u);
  EXPECT_EQ(choice.audio()->payloadType, 0);
  // ... unless the offer lacks it: then the next G.711 one.
  WhepOffer pcmaOnly = parseOfferOk(replaceAll(crlf(kChromium156Offer), "111 63 9 0 8 13 110 126", "8"));
  choice = chooseOk(pcmaOnly, tracks);
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->streamTrack, 3u);
  EXPECT_EQ(choice.audio()->payloadType, 8);

  // Codec names compare case-insensitively; Opus with 3+ channels (multiopus) is not sendable.
  choice = chooseOk(chromium, {{0, "h264", 90000, 0}, {1, "OPUS", 48000, 6}, {2, "pcmu", 8000, 1}});
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->streamTrack, 2u);
  EXPECT_EQ(choice.video()->codec, "H264");
}

TEST(WhepMedia, PrefersH265WhenBothSidesHaveIt) {
  WhepOffer safari = parseOfferOk(crlf(kSafariH265Offer));
  const std::vector<SendableTrack> both = {
      {0, "H264", 90000, 0}, {1, "H265", 90000, 0}, {2, "PCMU", 8000, 1}};
  WhepMediaChoice choice = chooseOk(safari, both);
  ASSERT_TRUE(choice.video());
  EXPECT_EQ(choice.video()->codec, "H265");
  EXPECT_EQ(choice.video()->streamTrack, 1u);
  EXPECT_EQ(choice.video()->payloadType, 102);  // Main before the Main 10 listed first
  EXPECT_EQ(choice.video()->clockRate, 90000u);
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->streamTrack, 2u);

  // An offer without H.265: the stream's H.264.
  choice = chooseOk(parseOfferOk(crlf(kChromium156Offer)), both);
  ASSERT_TRUE(choice.video());
  EXPECT_EQ(choice.video()->codec, "H264");
  EXPECT_EQ(choice.video()->streamTrack, 0u);
  EXPECT_EQ(choice.video()->payloadType, 108);
  // An H.264-only stream to Safari: its 42e01f entry.
  choice = chooseOk(safari, kH264Pcmu);
  EXPECT_EQ(choice.video()->payloadType, 98);
}

TEST(WhepMedia, RanksH265PayloadTypes) {
  auto chosen = [](std::initializer_list<std::string_view> fmtps) {
    std::string formats, lines;
    int pt = 96;
    for (auto fmtp : fmtps) {
      formats += (formats.empty() ? "" : " ") + std::to_string(pt);
      lines += "a=rtpmap:" + std::to_string(pt) + " H265/90000\n";
      if (!fmtp.empty()) lines += "a=fmtp:" + std::to_string(pt) + " " + std::string(fmtp) + "\n";
      ++pt;
    }
    return chooseH265PayloadType(parseOfferOk(videoOffer(formats, lines)).media.at(0));
  };
  EXPECT_EQ(chosen({"level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST"}), 96);
  EXPECT_EQ(chosen({"profile-id=2", "level-id=180;profile-id=1;tier-flag=1"}), 97);
  EXPECT_EQ(chosen({"profile-id=2", ""}), 97);  // no profile-id: Main (RFC 7798 §7.1)
  EXPECT_EQ(chosen({"profile-id=4", "profile-id=2"}), 97);
  EXPECT_EQ(chosen({"profile-id=4"}), 96);
  EXPECT_EQ(chosen({"profile-id=1;tx-mode=MRST", "profile-id=2;tx-mode=srst"}), 97);
  EXPECT_EQ(chosen({"profile-id=1;tx-mode=MRMT"}), std::nullopt);
  EXPECT_EQ(chooseH265PayloadType(parseOfferOk(videoOffer("96", "a=rtpmap:96 H265/9000\n")).media.at(0)),
            std::nullopt);
  EXPECT_EQ(chooseH265PayloadType(parseOfferOk(crlf(kChromium156Offer)).media.at(0)), std::nullopt);
}

TEST(WhepMedia, H265StreamToOfferWithoutH265NamesBothSides) {
  EXPECT_EQ(
      chooseError(parseOfferOk(crlf(kChromium156Offer)), kH265Pcmu),
      "codecs not supported by client: the stream has H265, G711 (PCMU); the offer has VP8, VP9, H264, AV1, "
      "opus, G722, PCMU, PCMA");
  // The offer could take the audio, but a camera's viewer getting only its sound would be a
  // surprise: the stream's video decides.
  EXPECT_EQ(
      chooseError(parseOfferOk(crlf(kFirefoxOffer)), {{0, "H265", 90000, 0}, {1, "Opus", 48000, 2}}),
      "codecs not supported by client: the stream has H265, Opus; the offer has VP8, VP9, H264, opus, G722, "
      "PCMU, PCMA");
  // Tracks WebRTC cannot carry are named too.
  EXPECT_EQ(
      chooseError(parseOfferOk(crlf(kAiortcOffer)), {{0, "H265", 90000, 0}, {1, "MPEG4-GENERIC", 44100, 2}}),
      "codecs not supported by client: the stream has H265, MPEG4-GENERIC; the offer has VP8, H264, opus, "
      "PCMU, "
      "PCMA");
}

TEST(WhepMedia, FailsForStreamWithoutSendableCodec) {
  WhepOffer chromium = parseOfferOk(crlf(kChromium156Offer));
  const std::string expected =
      "the stream doesn't contain any supported codec, which are currently H265, H264, Opus, G711";
  EXPECT_EQ(chooseError(chromium, {}), expected);
  EXPECT_EQ(
      chooseError(chromium, {{0, "MPEG4-GENERIC", 48000, 2}, {1, "H264", 1000, 0}, {2, "PCMU", 16000, 1}}),
      expected);
}

TEST(WhepMedia, AudioOnlyStream) {
  const std::vector<SendableTrack> opus = {{0, "Opus", 48000, 2}};
  WhepOffer chromium = parseOfferOk(crlf(kChromium156Offer));
  WhepMediaChoice choice = chooseOk(chromium, opus);
  ASSERT_EQ(choice.tracks.size(), 1u);
  EXPECT_FALSE(choice.video());
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->offerIndex, 1u);
  EXPECT_EQ(choice.audio()->payloadType, 111);
  EXPECT_EQ(choice.transportIndex(), 1u);
  auto sdp = answerOk(chromium, choice);
  EXPECT_EQ(sdp.attribute("group"), "BUNDLE 1");
  EXPECT_EQ(sdp.media[0].port, 0);
  EXPECT_FALSE(sdp.media[0].hasAttribute("candidate"));
  EXPECT_EQ(sdp.media[1].attributeValues("candidate").size(), 2u);
  EXPECT_EQ(sdp.media[1].attribute("msid"), "sluice audio");
  EXPECT_EQ(sdp.media[1].attribute("ssrc"), "305419896 cname:sluice-cname");

  // Audio alone needs no BUNDLE.
  WhepOffer unbundled = parseOfferOk(withoutLines(crlf(kAiortcOffer), "a=group:BUNDLE"));
  choice = chooseOk(unbundled, {{5, "PCMA", 8000, 1}});
  ASSERT_EQ(choice.tracks.size(), 1u);
  EXPECT_EQ(choice.tracks[0].payloadType, 8);
  EXPECT_EQ(choice.tracks[0].streamTrack, 5u);
  EXPECT_EQ(choice.transportIndex(), 1u);
  answerOk(unbundled, choice);

  // An audio-only stream the offer cannot take.
  EXPECT_EQ(chooseError(parseOfferOk(videoOffer("96", "a=rtpmap:96 VP8/90000\n")), opus),
            "codecs not supported by client: the stream has Opus; the offer has VP8");
  std::string sendonlyAudio = crlf(kChromium156Offer);
  sendonlyAudio.replace(sendonlyAudio.rfind("a=recvonly"), 10, "a=sendonly");
  EXPECT_EQ(chooseError(parseOfferOk(sendonlyAudio), opus),
            "codecs not supported by client: the stream has Opus; the offer has VP8, VP9, H264, AV1");
}

TEST(WhepMedia, AudioOutsideTheVideoBundleIsNotAccepted) {
  std::string chromium = crlf(kChromium156Offer);
  for (const std::string& text : {replaceAll(chromium, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 2"),
                                  replaceAll(chromium, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 1 2"),
                                  withoutLines(chromium, "a=group:BUNDLE")}) {
    WhepOffer offer = parseOfferOk(text);
    WhepMediaChoice choice = chooseOk(offer, kH264OpusStereo);
    ASSERT_EQ(choice.tracks.size(), 1u);
    EXPECT_TRUE(choice.tracks[0].video);
    auto sdp = answerOk(offer, choice);
    EXPECT_EQ(sdp.media[1].port, 0);
  }
}

TEST(WhepMedia, AdversarialOffers) {
  std::string chromium = crlf(kChromium156Offer);
  // Duplicate mids: BUNDLE and demultiplexing would be ambiguous.
  EXPECT_EQ(chooseError(parseOfferOk(replaceAll(chromium, "a=mid:1", "a=mid:0")), kH264Pcmu),
            "offer has duplicate a=mid '0'");
  // Sections without a mid are no duplicates of each other (legacy offers): video only.
  WhepOffer noMids = parseOfferOk(withoutLines(chromium, "a=mid:"));
  WhepMediaChoice choice = chooseOk(noMids, kH264Pcmu);
  ASSERT_EQ(choice.tracks.size(), 1u);
  answerOk(noMids, choice);
  // A disabled video section (port 0): the next video section carries the stream.
  std::string twoVideos = replaceAll(chromium, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 3");
  twoVideos +=
      "m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:3\r\na=recvonly\r\na=rtcp-mux\r\n"
      "a=rtpmap:102 H265/90000\r\na=fmtp:102 profile-id=1\r\na=rtcp-fb:102 nack\r\n";
  twoVideos.replace(twoVideos.find("m=video 9"), 9, "m=video 0");
  WhepOffer offer = parseOfferOk(twoVideos);
  EXPECT_EQ(chooseError(offer, kH264Pcmu).substr(0, 30), "codecs not supported by client");
  choice = chooseOk(offer, kH265Pcmu);
  ASSERT_EQ(choice.tracks.size(), 2u);
  EXPECT_EQ(choice.tracks[0].offerIndex, 1u);  // audio first, in offer order
  EXPECT_EQ(choice.tracks[1].offerIndex, 3u);
  EXPECT_EQ(choice.transportIndex(), 1u);
  auto sdp = answerOk(offer, choice);
  EXPECT_EQ(sdp.attribute("group"), "BUNDLE 1 3");
  EXPECT_EQ(sdp.media[3].attributeValues("rtcp-fb"), std::vector<std::string>{"102 nack"});
  EXPECT_EQ(sdp.media[3].attribute("ssrc"), "2596069104 cname:sluice-cname");

  // Two audio sections, the first one sendonly: the second takes the audio.
  std::string twoAudios = replaceAll(chromium, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 a2");
  twoAudios.replace(twoAudios.rfind("a=recvonly"), 10, "a=sendonly");
  twoAudios +=
      "m=audio 9 UDP/TLS/RTP/SAVPF 8 0\r\nc=IN IP4 0.0.0.0\r\na=mid:a2\r\na=recvonly\r\na=rtcp-mux\r\n";
  offer = parseOfferOk(twoAudios);
  choice = chooseOk(offer, kH264Pcmu);
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->offerIndex, 3u);
  EXPECT_EQ(choice.audio()->payloadType, 0);  // static payload types without rtpmap
  sdp = answerOk(offer, choice);
  EXPECT_EQ(sdp.attribute("group"), "BUNDLE 0 a2");
  EXPECT_EQ(sdp.media[3].attributeValues("rtpmap"), std::vector<std::string>{"0 PCMU/8000"});

  // A flood of codec names is cut short in the error.
  std::string formats, lines;
  for (int pt = 96; pt < 127; ++pt) {
    formats += (formats.empty() ? "" : " ") + std::to_string(pt);
    lines +=
        "a=rtpmap:" + std::to_string(pt) + " X" + std::to_string(pt) + std::string(100, 'y') + "/90000\n";
  }
  std::string error = chooseError(parseOfferOk(videoOffer(formats, lines)), kH264Only);
  EXPECT_TRUE(error.starts_with("codecs not supported by client: the stream has H264; the offer has X96yyy"));
  EXPECT_TRUE(error.ends_with(", ...")) << error;
  EXPECT_LT(error.size(), 700u);
}

TEST(WhepAnswer, AnswersStreamAudioWithItsOwnSsrcAndNoFeedback) {
  WhepOffer chromium = parseOfferOk(crlf(kChromium156Offer));
  WhepMediaChoice choice = chooseOk(chromium, kH264Pcmu);
  auto sdp = answerOk(chromium, choice);
  EXPECT_EQ(sdp.attribute("group"), "BUNDLE 0 1");
  EXPECT_EQ(sdp.media[0].attribute("ssrc"), "305419896 cname:sluice-cname");
  EXPECT_EQ(sdp.media[1].attributeValues("ssrc"),
            (std::vector<std::string>{"2596069104 cname:sluice-cname", "2596069104 msid:sluice audio"}));
  EXPECT_EQ(sdp.media[1].attributeValues("rtpmap"), std::vector<std::string>{"0 PCMU/8000"});

  // Opus: Chromium lists transport-cc for it, which the answer never carries.
  choice = chooseOk(chromium, {{0, "H264", 90000, 0}, {1, "Opus", 48000, 1}});
  sdp = answerOk(chromium, choice);
  EXPECT_EQ(sdp.media[1].attributeValues("rtpmap"), std::vector<std::string>{"111 opus/48000/2"});
  EXPECT_EQ(sdp.media[1].attributeValues("fmtp"), std::vector<std::string>{"111 minptime=10;useinbandfec=1"});
  EXPECT_TRUE(sdp.media[1].attributeValues("rtcp-fb").empty());
}

TEST(WhepAnswer, StereoOpusAddsStereoParameters) {
  struct Case {
    const char* name;
    const char* offer;
    std::string fmtp;
  };
  for (const auto& c : std::vector<Case>{
           {"chromium", kChromium156Offer, "111 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1"},
           {"chrome12x", kChrome12xOffer, "111 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1"},
           {"firefox", kFirefoxOffer, "109 maxplaybackrate=48000;useinbandfec=1;stereo=1;sprop-stereo=1"},
           {"aiortc", kAiortcOffer, "96 stereo=1;sprop-stereo=1"},
       }) {
    SCOPED_TRACE(c.name);
    WhepOffer offer = parseOfferOk(crlf(c.offer));
    WhepMediaChoice choice = chooseOk(offer, kH264OpusStereo);
    ASSERT_TRUE(choice.audio());
    EXPECT_EQ(choice.audio()->channels, 2u);
    auto sdp = answerOk(offer, choice);
    EXPECT_EQ(sdp.media[1].attributeValues("fmtp"), std::vector<std::string>{c.fmtp});
  }
}

TEST(WhepAnswer, AnswersSafariH265Offer) {
  WhepOffer offer = parseOfferOk(crlf(kSafariH265Offer));
  WhepMediaChoice choice = chooseOk(offer, kH265Pcmu);
  auto sdp = answerOk(offer, choice);
  EXPECT_EQ(sdp.attribute("group"), "BUNDLE 0 1");
  const auto& video = sdp.media[0];
  EXPECT_EQ(video.formats, std::vector<std::string>{"102"});
  EXPECT_EQ(video.attributeValues("rtpmap"), std::vector<std::string>{"102 H265/90000"});
  EXPECT_EQ(video.attributeValues("fmtp"),
            std::vector<std::string>{"102 level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST"});
  // The offer listed no ccm fir for this payload type.
  EXPECT_EQ(video.attributeValues("rtcp-fb"), (std::vector<std::string>{"102 nack", "102 nack pli"}));
  EXPECT_EQ(video.attribute("msid"), "sluice video");
  EXPECT_EQ(sdp.media[1].attributeValues("rtpmap"), std::vector<std::string>{"0 PCMU/8000"});
}

TEST(WhepAnswer, RejectsChoicesTheOfferDoesNotMatch) {
  WhepOffer chromium = parseOfferOk(crlf(kChromium156Offer));
  WhepMediaChoice choice = chooseOk(chromium, kH264Pcmu);
  // A payload type the section never offered: the section is rejected, not mis-answered.
  WhepMediaChoice wrongPt = choice;
  wrongPt.tracks[1].payloadType = 99;  // rtx in the video section, nothing in the audio one
  std::string error;
  auto sdp = parseSdp(buildWhepAnswer(chromium, wrongPt, testParams()), error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->media[0].port, 8189);
  EXPECT_EQ(sdp->media[1].port, 0);
  EXPECT_EQ(sdp->attribute("group"), "BUNDLE 0");
  // A section taken twice or out of range is answered once.
  WhepMediaChoice twice = choice;
  twice.tracks[1] = twice.tracks[0];
  twice.tracks.push_back(twice.tracks[0]);
  twice.tracks.back().offerIndex = 17;
  WhepAnswerParams params = testParams();
  params.ssrcs = {1, 2, 3};
  sdp = parseSdp(buildWhepAnswer(chromium, twice, params), error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->media.size(), 3u);
  EXPECT_EQ(sdp->media[0].attribute("ssrc"), "1 cname:sluice-cname");
  EXPECT_EQ(sdp->media[1].port, 0);
}

TEST(WhepAnswer, AnswersRealChromiumOffer) {
  WhepOffer offer = parseOfferOk(crlf(kChromium156Offer));
  WhepMediaChoice choice = chooseOk(offer);
  EXPECT_EQ(choice.video()->payloadType, 108);
  WhepAnswerParams params = testParams();
  std::string answer = buildWhepAnswer(offer, choice, params);
  expectValidAnswer(answer, offer, choice, params);

  std::string error;
  auto sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->origin, "- 4611686018427387905 2 IN IP4 127.0.0.1");
  EXPECT_EQ(sdp->attribute("group"), "BUNDLE 0 1");
  const auto& video = sdp->media[0];
  EXPECT_EQ(video.attributeValues("rtpmap"), std::vector<std::string>{"108 H264/90000"});
  EXPECT_EQ(
      video.attributeValues("fmtp"),
      std::vector<std::string>{"108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"});
  EXPECT_EQ(video.attributeValues("rtcp-fb"),
            (std::vector<std::string>{"108 nack", "108 nack pli", "108 ccm fir"}));
  EXPECT_EQ(video.attributeValues("candidate"),
            (std::vector<std::string>{"1 1 udp 2130706431 127.0.0.2 8189 typ host",
                                      "2 1 udp 2130706175 192.168.1.10 8189 typ host"}));
  const auto& audio = sdp->media[1];
  EXPECT_EQ(audio.formats, std::vector<std::string>{"0"});
  EXPECT_EQ(audio.attributeValues("rtpmap"), std::vector<std::string>{"0 PCMU/8000"});
  EXPECT_TRUE(audio.attributeValues("rtcp-fb").empty());
  EXPECT_FALSE(audio.hasAttribute("candidate"));
  // The data channel is declined with its format preserved.
  EXPECT_NE(
      answer.find("\r\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"),
      std::string::npos);
}

TEST(WhepAnswer, AnswersChrome12xFirefoxAndAiortcOffers) {
  struct Case {
    const char* name;
    const char* offer;
    int videoPt;
    std::vector<std::string> feedback;
  };
  for (const auto& c :
       std::vector<Case>{{"chrome12x", kChrome12xOffer, 106, {"106 nack", "106 nack pli", "106 ccm fir"}},
                         {"firefox", kFirefoxOffer, 126, {"126 nack", "126 nack pli", "126 ccm fir"}},
                         {"aiortc", kAiortcOffer, 101, {"101 nack", "101 nack pli"}}}) {
    SCOPED_TRACE(c.name);
    WhepOffer offer = parseOfferOk(crlf(c.offer));
    WhepMediaChoice choice = chooseOk(offer);
    EXPECT_EQ(choice.video()->payloadType, c.videoPt);
    WhepAnswerParams params = testParams();
    std::string answer = buildWhepAnswer(offer, choice, params);
    expectValidAnswer(answer, offer, choice, params);
    std::string error;
    auto sdp = parseSdp(answer, error);
    ASSERT_TRUE(sdp) << error;
    EXPECT_EQ(sdp->media[0].attributeValues("rtcp-fb"), c.feedback);
  }
}

TEST(WhepAnswer, RejectsExtraVideoSectionsKeepingOrderAndMids) {
  // Two video transceivers: the first offers only VP8, so the second carries the stream.
  std::string chromium = crlf(kChromium156Offer);
  std::string vp8Section =
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 "
      "0.0.0.0\r\na=ice-ufrag:A7a/\r\na=ice-pwd:pO/cEuEQevulq8PNc/01psg4\r\n"
      "a=fingerprint:sha-256 " +
      std::string(kFingerprint) +
      "\r\na=setup:actpass\r\na=mid:v0\r\na=recvonly\r\na=rtcp-mux\r\n"
      "a=rtpmap:96 VP8/90000\r\n";
  std::string text = replaceAll(chromium, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE v0 0 1 2");
  text.insert(text.find("m=video"), vp8Section);
  text +=
      "m=video 9 UDP/TLS/RTP/SAVPF 108\r\nc=IN IP4 0.0.0.0\r\na=mid:3\r\na=recvonly\r\na=rtcp-mux\r\n"
      "a=rtpmap:108 H264/90000\r\na=fmtp:108 packetization-mode=1;profile-level-id=42e01f\r\n";
  WhepOffer offer = parseOfferOk(text);
  ASSERT_EQ(offer.media.size(), 5u);
  WhepMediaChoice choice = chooseOk(offer);
  ASSERT_TRUE(choice.video());
  EXPECT_EQ(choice.video()->offerIndex, 1u);
  ASSERT_TRUE(choice.audio());
  EXPECT_EQ(choice.audio()->offerIndex, 2u);
  WhepAnswerParams params = testParams();
  std::string answer = buildWhepAnswer(offer, choice, params);
  expectValidAnswer(answer, offer, choice, params);
  EXPECT_NE(
      answer.find(
          "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v0\r\na=inactive\r\na=rtcp-mux\r\n"
          "a=rtpmap:96 VP8/90000\r\n"),
      std::string::npos);
  EXPECT_NE(
      answer.find(
          "m=video 0 UDP/TLS/RTP/SAVPF 108\r\nc=IN IP4 0.0.0.0\r\na=mid:3\r\na=inactive\r\na=rtcp-mux\r\n"),
      std::string::npos);
  std::string error;
  EXPECT_EQ(parseSdp(answer, error)->attribute("group"), "BUNDLE 0 1");
}

TEST(WhepAnswer, RejectsAudioWithoutPcmuAndOmitsItFromBundle) {
  std::string text = replaceAll(crlf(kChromium156Offer), "111 63 9 0 8 13 110 126", "111 63");
  WhepOffer offer = parseOfferOk(text);
  WhepMediaChoice choice = chooseOk(offer);
  EXPECT_FALSE(choice.audio());
  WhepAnswerParams params = testParams();
  std::string answer = buildWhepAnswer(offer, choice, params);
  expectValidAnswer(answer, offer, choice, params);
  // A codec and rtcp-mux stay in the rejected section: aiortc refuses an answer otherwise.
  EXPECT_NE(
      answer.find(
          "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\na=rtcp-mux\r\n"
          "a=rtpmap:111 opus/48000/2\r\n"),
      std::string::npos);
  std::string error;
  EXPECT_EQ(parseSdp(answer, error)->attribute("group"), "BUNDLE 0");
}

TEST(WhepAnswer, AnswersUnbundledOfferWithVideoOnly) {
  WhepOffer offer = parseOfferOk(withoutLines(crlf(kAiortcOffer), "a=group:BUNDLE"));
  WhepMediaChoice choice = chooseOk(offer);
  EXPECT_FALSE(choice.audio());
  std::string answer = buildWhepAnswer(offer, choice, testParams());
  EXPECT_EQ(answer.find("a=group"), std::string::npos);
  std::string error;
  auto sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->media[0].port, 8189);
  EXPECT_EQ(sdp->media[1].port, 0);
}

TEST(WhepAnswer, HonoursParams) {
  WhepOffer offer = parseOfferOk(crlf(kFirefoxOffer));
  WhepMediaChoice choice = chooseOk(offer);
  WhepAnswerParams params = testParams();
  params.setup = "active";
  params.streamId = "cam1";
  params.cname = "";
  params.hostCandidates = {{"fd00::2", 50000}};
  params.sessionId = 0;
  std::string answer = buildWhepAnswer(offer, choice, params);
  std::string error;
  auto sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->attribute("setup"), "active");
  EXPECT_EQ(sdp->media[0].attribute("setup"), "active");
  EXPECT_EQ(sdp->media[0].attribute("msid"), "cam1 video");
  EXPECT_EQ(sdp->media[0].attribute("ssrc"), "305419896 cname:cam1");
  EXPECT_EQ(sdp->media[0].connection, (SdpConnection{"IN", "IP6", "fd00::2"}));
  EXPECT_EQ(sdp->media[0].port, 50000);
  EXPECT_FALSE(sdp->origin.starts_with("- 0 "));
  EXPECT_NE(sdp->origin, parseSdp(buildWhepAnswer(offer, choice, params), error)->origin);

  params.hostCandidates.clear();
  sdp = parseSdp(buildWhepAnswer(offer, choice, params), error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->media[0].port, 9);
  EXPECT_EQ(sdp->media[0].connection->address, "0.0.0.0");
  EXPECT_FALSE(sdp->media[0].hasAttribute("candidate"));
  EXPECT_TRUE(sdp->media[0].hasAttribute("end-of-candidates"));
}

TEST(WhepAnswer, TcpPassiveCandidatesFollowUdpWithLowerPriority) {
  WhepOffer offer = parseOfferOk(crlf(kChromium156Offer));
  WhepMediaChoice choice = chooseOk(offer);
  WhepAnswerParams params = testParams();
  params.tcpCandidates = {{"127.0.0.2", 8190}, {"192.168.1.10", 8190}};
  std::string answer = buildWhepAnswer(offer, choice, params);
  std::string error;
  auto sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  const auto& video = sdp->media[0];
  EXPECT_EQ(video.attributeValues("candidate"),
            (std::vector<std::string>{"1 1 udp 2130706431 127.0.0.2 8189 typ host",
                                      "2 1 udp 2130706175 192.168.1.10 8189 typ host",
                                      "3 1 tcp 2124414975 127.0.0.2 8190 typ host tcptype passive",
                                      "4 1 tcp 2124414719 192.168.1.10 8190 typ host tcptype passive"}));
  EXPECT_TRUE(video.hasAttribute("end-of-candidates"));
  // The default candidate stays the first UDP one.
  EXPECT_EQ(video.port, 8189);
  EXPECT_FALSE(sdp->media[1].hasAttribute("candidate"));
  // Priorities: every TCP candidate below every UDP candidate, even with many UDP ones.
  params.hostCandidates.resize(200, {"10.0.0.1", 8189});
  answer = buildWhepAnswer(offer, choice, params);
  sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  uint64_t lowestUdp = UINT64_MAX, highestTcp = 0;
  for (const auto& c : sdp->media[0].attributeValues("candidate")) {
    std::vector<std::string> f;
    size_t pos = 0;
    while (pos <= c.size()) {
      size_t sp = c.find(' ', pos);
      f.push_back(c.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos));
      if (sp == std::string::npos) break;
      pos = sp + 1;
    }
    ASSERT_GE(f.size(), 8u) << c;
    uint64_t priority = std::stoull(f[3]);
    if (f[2] == "udp") lowestUdp = std::min(lowestUdp, priority);
    if (f[2] == "tcp") highestTcp = std::max(highestTcp, priority);
  }
  EXPECT_LT(highestTcp, lowestUdp);
}
