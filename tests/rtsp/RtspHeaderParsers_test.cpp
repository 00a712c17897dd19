#include <gtest/gtest.h>

#include "rtsp/RtspAuthChallenge.h"
#include "rtsp/RtspMessage.h"
#include "rtsp/RtspSessionHeader.h"
#include "rtsp/RtspTransportHeader.h"

namespace sluice::rtsp {
namespace {

TEST(RtspTransportHeader, ParsesUdpResponse) {
  auto t = parseRtspTransport(
      "RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D;mode=\"PLAY\"");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lower, RtspTransportHeader::Lower::Udp);
  EXPECT_EQ(t->delivery, RtspTransportHeader::Delivery::Unicast);
  EXPECT_EQ(t->clientPorts->first, 5000);
  EXPECT_EQ(t->clientPorts->second, 5001);
  EXPECT_EQ(t->serverPorts->first, 6970);
  EXPECT_EQ(t->ssrc.value(), 0x1A2B3C4Du);
  EXPECT_EQ(t->mode, "PLAY");
}

TEST(RtspTransportHeader, ParsesTcpAndSinglePort) {
  auto t = parseRtspTransport("RTP/AVP/TCP;unicast;interleaved=2-3");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lower, RtspTransportHeader::Lower::Tcp);
  EXPECT_EQ(t->interleaved->first, 2);
  EXPECT_EQ(t->interleaved->second, 3);
  auto u = parseRtspTransport("rtp/avp/udp;unicast;server_port=7000;ssrc=abc");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->serverPorts->second, 7001);
  EXPECT_EQ(u->ssrc.value(), 0xabcu);
  // Only the first alternative of a list counts.
  auto w = parseRtspTransport("RTP/AVP/TCP;interleaved=0-1, RTP/AVP;client_port=1-2");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->lower, RtspTransportHeader::Lower::Tcp);
}

TEST(RtspTransportHeader, ReadsEveryAlternativeInOrder) {
  auto all = parseRtspTransports(
      "RTP/AVP/UDP;unicast;client_port=5000-5001, RTP/AVP;multicast ,RTP/AVP/TCP;unicast;interleaved=0-1");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].lower, RtspTransportHeader::Lower::Udp);
  EXPECT_EQ(all[0].clientPorts->first, 5000);
  EXPECT_EQ(all[1].delivery, RtspTransportHeader::Delivery::Multicast);
  EXPECT_EQ(all[2].lower, RtspTransportHeader::Lower::Tcp);
  // A comma inside quotes does not separate; empty items are skipped.
  auto quoted =
      parseRtspTransports("RTP/AVP/TCP;interleaved=0-1;mode=\"PLAY,RECORD\",,RTP/AVP;client_port=2-3,");
  ASSERT_EQ(quoted.size(), 2u);
  EXPECT_EQ(quoted[0].mode, "PLAY,RECORD");
  EXPECT_EQ(quoted[1].clientPorts->second, 3);
  // Specs that do not parse are left out, the others kept.
  std::string err;
  auto some = parseRtspTransports(
      "RTP/SAVP;unicast;client_port=1-2, RTP/AVP;client_port=x, RTP/AVP;client_port=4-5", &err);
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].clientPorts->first, 4);
  // None parses: empty, and the first failure says why.
  EXPECT_TRUE(parseRtspTransports("RTP/SAVP;unicast, RAW/RAW/UDP", &err).empty());
  EXPECT_EQ(err, "unsupported transport profile 'RTP/SAVP'");
  EXPECT_TRUE(parseRtspTransports(" , ,", &err).empty());
  EXPECT_EQ(err, "empty Transport header");
  EXPECT_TRUE(parseRtspTransports(std::string(5000, 'a'), &err).empty());
  EXPECT_EQ(err, "Transport header too long");
  // At most kMaxTransportAlternatives are read.
  std::string many;
  for (int i = 0; i < 40; ++i) many += "RTP/AVP/TCP;interleaved=0-1,";
  EXPECT_EQ(parseRtspTransports(many).size(), kMaxTransportAlternatives);
}

TEST(RtspTransportHeader, MulticastGroupPortsAndTtlRoundTrip) {
  auto t = parseRtspTransport("RTP/AVP;multicast;destination=224.1.0.7;port=8002-8003;ttl=16");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->delivery, RtspTransportHeader::Delivery::Multicast);
  EXPECT_EQ(t->destination, "224.1.0.7");
  EXPECT_EQ(t->ports->first, 8002);
  EXPECT_EQ(t->ports->second, 8003);
  EXPECT_EQ(t->ttl.value(), 16);
  EXPECT_EQ(t->serialize(), "RTP/AVP;multicast;destination=224.1.0.7;port=8002-8003;ttl=16");
  std::string error;
  EXPECT_FALSE(parseRtspTransport("RTP/AVP;multicast;ttl=256", &error));
  EXPECT_EQ(error, "invalid ttl in Transport header");
  EXPECT_FALSE(parseRtspTransport("RTP/AVP;multicast;port=x", &error));
  EXPECT_EQ(error, "invalid port in Transport header");
}

TEST(RtspTransportHeader, SerializesRequests) {
  RtspTransportHeader udp;
  udp.clientPorts = {{40000, 40001}};
  EXPECT_EQ(udp.serialize(), "RTP/AVP;unicast;client_port=40000-40001");
  RtspTransportHeader tcp;
  tcp.lower = RtspTransportHeader::Lower::Tcp;
  tcp.interleaved = {{4, 5}};
  EXPECT_EQ(tcp.serialize(), "RTP/AVP/TCP;unicast;interleaved=4-5");
  auto back = parseRtspTransport(tcp.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->interleaved->first, 4);
}

TEST(RtspTransportHeader, RejectsMalformed) {
  std::string err;
  EXPECT_FALSE(parseRtspTransport("", &err));
  EXPECT_FALSE(parseRtspTransport("RTP/SAVP;unicast", &err));
  EXPECT_NE(err.find("unsupported"), std::string::npos);
  EXPECT_FALSE(parseRtspTransport("RAW/RAW/UDP;unicast"));
  EXPECT_FALSE(parseRtspTransport("RTP/AVP;client_port=abc-def"));
  EXPECT_FALSE(parseRtspTransport("RTP/AVP;client_port=70000-70001"));
  EXPECT_FALSE(parseRtspTransport("RTP/AVP;client_port=-"));
  EXPECT_FALSE(parseRtspTransport("RTP/AVP;server_port=1-"));
  EXPECT_FALSE(parseRtspTransport("RTP/AVP/TCP;interleaved=0-256"));
  EXPECT_FALSE(parseRtspTransport("RTP/AVP/TCP;interleaved=x"));
  EXPECT_FALSE(parseRtspTransport("RTP/AVP;ssrc=123456789"));  // 9 hex digits
  EXPECT_FALSE(parseRtspTransport("RTP/AVP;ssrc=zz"));
  EXPECT_FALSE(parseRtspTransport(std::string(5000, 'a')));
}

TEST(RtspSessionHeader, ParsesIdAndTimeout) {
  auto s = parseRtspSession("12345678;timeout=60");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "12345678");
  EXPECT_EQ(s->timeoutSeconds.value(), 60u);
  auto t = parseRtspSession(" abc ; Timeout = 30 ;foo");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, "abc");
  EXPECT_EQ(t->timeoutSeconds.value(), 30u);
  auto u = parseRtspSession("xyz");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->timeoutSeconds);
}

TEST(RtspSessionHeader, RejectsMalformed) {
  EXPECT_FALSE(parseRtspSession(""));
  EXPECT_FALSE(parseRtspSession(";timeout=5"));
  EXPECT_FALSE(parseRtspSession("abc;timeout=x"));
  EXPECT_FALSE(parseRtspSession("abc;timeout=-5"));
  EXPECT_FALSE(parseRtspSession(std::string(300, 'a')));
  EXPECT_FALSE(
      parseRtspSession("a\x01"
                       "b"));
}

TEST(RtspAuthChallenge, ParsesBasic) {
  auto c = parseRtspAuthChallenge("Basic realm=\"ipcam\"");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, RtspAuthChallenge::Scheme::Basic);
  EXPECT_EQ(c->realm, "ipcam");
  ASSERT_TRUE(parseRtspAuthChallenge("basic"));
}

TEST(RtspAuthChallenge, ParsesDigest) {
  auto c = parseRtspAuthChallenge(
      "Digest realm=\"IP \\\"Camera\\\"\", nonce=\"0a4f113b\",opaque=\"5ccc\", algorithm=MD5, "
      "qop=\"auth,auth-int\", "
      "stale=TRUE");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, RtspAuthChallenge::Scheme::Digest);
  EXPECT_EQ(c->realm, "IP \"Camera\"");
  EXPECT_EQ(c->nonce, "0a4f113b");
  EXPECT_TRUE(c->hasOpaque);
  EXPECT_EQ(c->opaque, "5ccc");
  EXPECT_EQ(c->algorithm, "MD5");
  EXPECT_TRUE(c->qopAuth);
  EXPECT_TRUE(c->stale);
  auto d = parseRtspAuthChallenge("Digest realm=r, nonce=n, qop=\"auth-int\"");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->qopAuth);
  EXPECT_FALSE(d->hasOpaque);
  // A second challenge in the same header is not mixed into the first.
  auto e = parseRtspAuthChallenge("Digest realm=\"a\", nonce=\"b\", Basic realm=\"c\"");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->realm, "a");
}

TEST(RtspAuthChallenge, RejectsMalformed) {
  std::string err;
  EXPECT_FALSE(parseRtspAuthChallenge("", &err));
  EXPECT_FALSE(parseRtspAuthChallenge("Bearer realm=\"x\""));
  EXPECT_FALSE(parseRtspAuthChallenge("Digest realm=\"x\""));  // no nonce
  EXPECT_FALSE(parseRtspAuthChallenge("Digest nonce=\"x\""));  // no realm
  EXPECT_FALSE(parseRtspAuthChallenge("Digest realm=\"x, nonce=\"y\""));
  EXPECT_FALSE(parseRtspAuthChallenge("Digest realm=, nonce=y"));
  EXPECT_FALSE(parseRtspAuthChallenge("Digest realm=\"x\" nonce=\"y\""));
  EXPECT_FALSE(parseRtspAuthChallenge("Digestrealm=\"x\""));
  EXPECT_FALSE(parseRtspAuthChallenge("Digest realm=\"x\\"));
  EXPECT_FALSE(parseRtspAuthChallenge("Basic " + std::string(5000, 'a')));
}

TEST(RtspMessage, PublicListsMethod) {
  EXPECT_TRUE(publicListsMethod("OPTIONS, DESCRIBE, GET_PARAMETER, PLAY", "GET_PARAMETER"));
  EXPECT_FALSE(publicListsMethod("OPTIONS, DESCRIBE, SET_PARAMETER", "GET_PARAMETER"));
  EXPECT_FALSE(publicListsMethod("", "GET_PARAMETER"));
}

TEST(RtspMessage, HeadersCaseInsensitive) {
  RtspHeaders h;
  h.add("WWW-Authenticate", "Digest realm=a, nonce=b");
  h.add("www-authenticate", "Basic realm=a");
  EXPECT_EQ(h.getAll("Www-Authenticate").size(), 2u);
  h.set("WWW-AUTHENTICATE", "x");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.get("www-authenticate").value(), "x");
  EXPECT_FALSE(h.get("CSeq"));
}

}  // namespace
}  // namespace sluice::rtsp
