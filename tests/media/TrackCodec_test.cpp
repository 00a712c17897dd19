#include "media/TrackCodec.h"

#include <gtest/gtest.h>

#include <string>

#include "media/Sdp.h"

using namespace sluice::media;

namespace {

// A camera's DESCRIBE answer: H.264, G.711 and ONVIF metadata, plus AAC and H.265 variants.
const char* kCameraSdp =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.168.1.10\r\n"
    "s=Session\r\n"
    "t=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=640028;"
    "sprop-parameter-sets=Z0IAH5WoFAFuQA==,aM48gA==\r\n"
    "a=control:track1\r\n"
    "m=audio 0 RTP/AVP 0\r\n"
    "a=control:track2\r\n"
    "m=application 0 RTP/AVP 107\r\n"
    "a=rtpmap:107 vnd.onvif.metadata/90000\r\n"
    "a=control:track3\r\n"
    "m=audio 0 RTP/AVP 97\r\n"
    "a=rtpmap:97 mpeg4-generic/48000/2\r\n"
    "a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;"
    "config=1190\r\n"
    "m=video 0 RTP/AVP 98\r\n"
    "a=rtpmap:98 H265/90000\r\n"
    "a=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwB4lZQJ; "
    "sprop-sps=QgEBAWAAAAMAkAAAAwAAAwB4oAPAgBEHy5ZWVKTC8BaAgAAAAwCAAAAFBA==; "
    "sprop-pps=RAHAc8GJ\r\n"
    "m=audio 0 RTP/AVP 99\r\n"
    "a=rtpmap:99 MP4A-LATM/48000/2\r\n"
    "a=fmtp:99 profile-level-id=1;object=2;cpresent=0;config=400023203fc0\r\n"
    "m=video 0 RTP/AVP 26\r\n";

SessionDescription camera() {
  std::string error;
  auto sdp = parseSdp(kCameraSdp, error);
  EXPECT_TRUE(sdp) << error;
  return sdp ? *sdp : SessionDescription{};
}

}  // namespace

TEST(TrackCodec, DescribesEveryTrackOfACamera) {
  SessionDescription sdp = camera();
  ASSERT_EQ(sdp.media.size(), 7u);

  TrackDescription video = describeTrack(sdp.media[0]);
  ASSERT_TRUE(video.supported()) << video.describe();
  EXPECT_TRUE(video.isVideo());
  EXPECT_EQ(video.apiName(), "H264");
  EXPECT_EQ(video.describe(), "H264");
  const auto& h264 = std::get<H264Codec>(video.codec);
  EXPECT_EQ(h264.packetizationMode, 1);
  EXPECT_EQ(h264.profileLevelId, "640028");
  ASSERT_TRUE(h264.sets);
  EXPECT_EQ(h264.sets->pps.size(), 4u);

  TrackDescription g711 = describeTrack(sdp.media[1]);
  ASSERT_TRUE(g711.supported());
  EXPECT_EQ(g711.apiName(), "G711");
  EXPECT_EQ(g711.payloadType, 0);
  EXPECT_EQ(g711.clockRate, 8000u);
  EXPECT_EQ(g711.channels, 1u);
  EXPECT_TRUE(std::get<G711Codec>(g711.codec).muLaw);
  EXPECT_EQ(g711.describe(), "G711 (PCMU) 8000 Hz 1 ch");

  TrackDescription onvif = describeTrack(sdp.media[2]);
  EXPECT_FALSE(onvif.supported());
  EXPECT_EQ(onvif.apiName(), "Generic");
  EXPECT_EQ(onvif.describe(), "unsupported: application vnd.onvif.metadata");

  TrackDescription aac = describeTrack(sdp.media[3]);
  ASSERT_TRUE(aac.supported()) << aac.describe();
  EXPECT_EQ(aac.apiName(), "MPEG-4 Audio");
  EXPECT_EQ(aac.describe(), "MPEG-4 Audio (AAC LC 48000 Hz 2 ch)");
  const auto& m = std::get<Mpeg4AudioCodec>(aac.codec);
  EXPECT_FALSE(m.latm);
  EXPECT_EQ(m.generic.sizeLength, 13);
  EXPECT_EQ(m.config().timestampIncrement(aac.clockRate), 1024u);

  TrackDescription h265 = describeTrack(sdp.media[4]);
  ASSERT_TRUE(h265.supported()) << h265.describe();
  EXPECT_EQ(h265.apiName(), "H265");
  const auto& hevc = std::get<H265Codec>(h265.codec);
  ASSERT_TRUE(hevc.sets) << hevc.spropError;
  EXPECT_EQ(hevc.sets->pps.size(), 6u);

  TrackDescription latm = describeTrack(sdp.media[5]);
  ASSERT_TRUE(latm.supported()) << latm.describe();
  EXPECT_EQ(latm.apiName(), "MPEG-4 Audio");
  EXPECT_EQ(latm.describe(), "MPEG-4 Audio (AAC LC 48000 Hz 2 ch, LATM)");

  TrackDescription jpeg = describeTrack(sdp.media[6]);
  EXPECT_FALSE(jpeg.supported());
  EXPECT_EQ(jpeg.apiName(), "M-JPEG");
  EXPECT_EQ(jpeg.describe(), "unsupported: video JPEG");
}

TEST(TrackCodec, AudioCodecsFromRtpmapFields) {
  TrackDescription pcma = describeTrack("audio", 8, "", 0, 0, "");
  EXPECT_EQ(pcma.encodingName, "PCMA");
  EXPECT_FALSE(std::get<G711Codec>(pcma.codec).muLaw);
  TrackDescription wide = describeTrack("audio", 100, "PCMU", 16000, 2, "");
  ASSERT_TRUE(wide.supported());
  EXPECT_EQ(wide.describe(), "G711 (PCMU) 16000 Hz 2 ch");
  TrackDescription opus = describeTrack("audio", 111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
  ASSERT_TRUE(opus.supported());
  EXPECT_EQ(opus.apiName(), "Opus");
  EXPECT_EQ(opus.describe(), "Opus 48000 Hz 1 ch");  // opus/48000/2 always; mono unless sprop-stereo=1
  EXPECT_EQ(describeTrack("audio", 111, "opus", 48000, 2, "sprop-stereo=1").channels, 2u);
  EXPECT_EQ(describeTrack("audio", 111, "opus", 48000, 2, "sprop-stereo=0").channels, 1u);
  EXPECT_FALSE(describeTrack("audio", 111, "opus", 16000, 1, "").supported());
  TrackDescription l16 = describeTrack("audio", 10, "L16", 44100, 2, "");
  EXPECT_FALSE(l16.supported());
  EXPECT_EQ(l16.apiName(), "LPCM");
}

TEST(TrackCodec, UnsupportedVariantsSayWhy) {
  EXPECT_EQ(describeTrack("video", 96, "H265", 90000, 0, "sprop-max-don-diff=2").describe(),
            "unsupported: H265 with DONL (sprop-max-don-diff=2)");
  EXPECT_TRUE(describeTrack("video", 96, "H265", 90000, 0, "sprop-max-don-diff=0").supported());
  EXPECT_EQ(describeTrack("video", 96, "H264", 90000, 0, "packetization-mode=2").describe(),
            "unsupported: H264 with packetization-mode=2");
  EXPECT_EQ(describeTrack("video", 96, "H264", 8000, 0, "").describe(),
            "unsupported: H264 with clock rate 8000");
  TrackDescription noConfig =
      describeTrack("audio", 97, "mpeg4-generic", 48000, 2, "mode=AAC-hbr;sizelength=13");
  EXPECT_FALSE(noConfig.supported());
  EXPECT_EQ(noConfig.apiName(), "MPEG-4 Audio");
  EXPECT_EQ(noConfig.describe(), "unsupported: MPEG-4 Audio: mpeg4-generic: config missing");
  TrackDescription inBand = describeTrack("audio", 97, "MP4A-LATM", 48000, 2, "config=400023203fc0");
  EXPECT_FALSE(inBand.supported());
  EXPECT_NE(inBand.describe().find("cpresent"), std::string::npos);
  EXPECT_EQ(describeTrack("video", 97, "", 0, 0, "").describe(), "unsupported: video payload type 97");
}

TEST(TrackCodec, BadSpropIsNotFatal) {
  // Parameter sets also come in band, so a bad sprop keeps the track, with the reason.
  TrackDescription t = describeTrack("video", 96, "H264", 90000, 0, "sprop-parameter-sets=!!!");
  ASSERT_TRUE(t.supported());
  const auto& c = std::get<H264Codec>(t.codec);
  EXPECT_FALSE(c.sets);
  EXPECT_NE(c.spropError.find("base64"), std::string::npos);
  TrackDescription h = describeTrack("video", 96, "H265", 90000, 0, "sprop-vps=QAEMAQ==");
  ASSERT_TRUE(h.supported());
  EXPECT_FALSE(std::get<H265Codec>(h.codec).sets);
  EXPECT_NE(std::get<H265Codec>(h.codec).spropError.find("sprop-sps"), std::string::npos);
}
