// The WHEP offer of sluice-load (bench/load): a browser-like BUNDLE of video and audio, or
// video alone for a viewer with sound off.
#include "load/WhepDescriptions.h"

#include <gtest/gtest.h>

#include <string>

#include "media/Sdp.h"

namespace sluice::load {
namespace {

OfferParams params() {
  OfferParams p;
  p.iceUfrag = "abcd";
  p.icePwd = "0123456789abcdefghijkl";
  p.fingerprintSha256 = "AB:CD";
  p.ip = "127.0.0.1";
  p.port = 5000;
  return p;
}

TEST(WhepOffer, BundlesVideoAndAudioAsChromiumDoes) {
  std::string error;
  auto sdp = media::parseSdp(buildWhepOffer(params()), error);
  ASSERT_TRUE(sdp) << error;
  ASSERT_EQ(sdp->media.size(), 2u);
  EXPECT_EQ(sdp->media[0].type, "video");
  EXPECT_EQ(sdp->media[1].type, "audio");
  EXPECT_NE(buildWhepOffer(params()).find("a=group:BUNDLE 0 1\r\n"), std::string::npos);
}

TEST(WhepOffer, WithoutAudioOffersTheVideoSectionOnly) {
  OfferParams p = params();
  p.audio = false;
  const std::string text = buildWhepOffer(p);
  std::string error;
  auto sdp = media::parseSdp(text, error);
  ASSERT_TRUE(sdp) << error;
  ASSERT_EQ(sdp->media.size(), 1u);
  EXPECT_EQ(sdp->media[0].type, "video");
  EXPECT_NE(text.find("a=group:BUNDLE 0\r\n"), std::string::npos);
  EXPECT_EQ(text.find("m=audio"), std::string::npos);
}

}  // namespace
}  // namespace sluice::load
