// The RTSP server's UDP pair without players: which RTCP datagrams count for a UDP reader
// (matched by source address and port, well-formed only) and which are dropped (unknown
// address, malformed), without disturbing any reader.
#include "rtsp/RtspUdpServer.h"

#include <gtest/gtest.h>

#include <array>

#include "media/Rtcp.h"

namespace sluice::rtsp {
namespace {

namespace ip = boost::asio::ip;

std::vector<uint8_t> receiverReport(size_t blocks = 1) {
  std::vector<uint8_t> rr(256);
  std::vector<media::RtcpReportBlock> b(blocks);
  rr.resize(media::buildReceiverReport(rr.data(), rr.size(), 0x1234, b.data(), b.size()));
  return rr;
}

TEST(RtspUdpServer, ReceiverRtcpIsWellFormedRtcpOnly) {
  std::vector<uint8_t> rr = receiverReport();
  EXPECT_TRUE(isReceiverRtcp(rr.data(), rr.size()));
  std::vector<uint8_t> empty = receiverReport(0);  // ffmpeg's NAT-opening RR has no block
  EXPECT_TRUE(isReceiverRtcp(empty.data(), empty.size()));
  // A compound report + SDES.
  std::vector<uint8_t> compound = rr;
  std::vector<uint8_t> sdes(64);
  sdes.resize(media::buildSdesCname(sdes.data(), sdes.size(), 0x1234, "reader"));
  compound.insert(compound.end(), sdes.begin(), sdes.end());
  EXPECT_TRUE(isReceiverRtcp(compound.data(), compound.size()));

  EXPECT_FALSE(isReceiverRtcp(rr.data(), 0));
  EXPECT_FALSE(isReceiverRtcp(rr.data(), 4));              // shorter than a header and SSRC
  EXPECT_FALSE(isReceiverRtcp(rr.data(), rr.size() - 1));  // length field overruns
  std::vector<uint8_t> v1 = rr;
  v1[0] = (v1[0] & 0x3f) | 0x40;  // version 1
  EXPECT_FALSE(isReceiverRtcp(v1.data(), v1.size()));
  std::vector<uint8_t> rtp = rr;
  rtp[1] = 96;  // an RTP packet sent to the RTCP port
  EXPECT_FALSE(isReceiverRtcp(rtp.data(), rtp.size()));
  std::vector<uint8_t> lying = rr;
  lying[3] = 0x7f;  // length past the datagram
  EXPECT_FALSE(isReceiverRtcp(lying.data(), lying.size()));
}

TEST(RtspUdpServer, ReportsAreMatchedBySourceAddressAndPort) {
  boost::asio::io_context io;
  RtspUdpServer server(io);  // not opened: onRtcp is the receive path's only step
  auto a = std::make_shared<RtspUdpPeer>();
  auto b = std::make_shared<RtspUdpPeer>();
  const ip::address client = ip::make_address("10.0.0.7");
  server.watch({ip::udp::endpoint(client, 5001), ip::udp::endpoint(client, 5003)}, a);
  server.watch({ip::udp::endpoint(ip::make_address("::1"), 5001)}, b);
  const std::vector<uint8_t> rr = receiverReport();

  server.onRtcp(udpKeyOf({client, 5001}), rr.data(), rr.size());
  server.onRtcp(udpKeyOf({client, 5003}), rr.data(), rr.size());
  EXPECT_EQ(a->rtcpPackets.load(), 2u);
  EXPECT_EQ(a->rtcpBytes.load(), 2 * rr.size());
  EXPECT_GT(a->lastRtcpUs.load(), 0);
  EXPECT_EQ(b->rtcpPackets.load(), 0u);
  // IPv4 and its v4-mapped form are the same client.
  server.onRtcp(udpKeyOf({ip::make_address("::ffff:10.0.0.7"), 5001}), rr.data(), rr.size());
  EXPECT_EQ(a->rtcpPackets.load(), 3u);
  server.onRtcp(udpKeyOf({ip::make_address("::1"), 5001}), rr.data(), rr.size());
  EXPECT_EQ(b->rtcpPackets.load(), 1u);

  // Another port or address of the same host is unknown; malformed RTCP from a known one is
  // dropped and does not refresh it.
  server.onRtcp(udpKeyOf({client, 5002}), rr.data(), rr.size());
  server.onRtcp(udpKeyOf({ip::make_address("10.0.0.8"), 5001}), rr.data(), rr.size());
  const int64_t before = a->lastRtcpUs.load();
  const uint8_t garbage[] = {0x80, 0xc9, 0x00, 0x09, 0, 0, 0, 1};
  server.onRtcp(udpKeyOf({client, 5001}), garbage, sizeof(garbage));
  EXPECT_EQ(a->rtcpPackets.load(), 3u);
  EXPECT_EQ(a->lastRtcpUs.load(), before);
  EXPECT_EQ(a->rtcpErrors.load(), 1u);
  RtspUdpServerStats st = server.stats();
  EXPECT_EQ(st.rtcpFromUnknown, 2u);
  EXPECT_EQ(st.rtcpMalformed, 1u);

  // A newer session on the same client port takes it over; forgetting the old one leaves it.
  auto c = std::make_shared<RtspUdpPeer>();
  server.watch({ip::udp::endpoint(client, 5003)}, c);
  server.forget(a.get());
  server.onRtcp(udpKeyOf({client, 5003}), rr.data(), rr.size());
  EXPECT_EQ(c->rtcpPackets.load(), 1u);
  server.onRtcp(udpKeyOf({client, 5001}), rr.data(), rr.size());
  EXPECT_EQ(a->rtcpPackets.load(), 3u);
  EXPECT_EQ(server.stats().rtcpFromUnknown, 3u);
}

TEST(RtspUdpServer, OpensThePairAndAnswersDestinations) {
  boost::asio::io_context io;
  RtspUdpServer server(io);
  std::string error;
  ASSERT_TRUE(server.open("127.0.0.1:0", "127.0.0.1:0", 1 << 20, error)) << error;
  EXPECT_NE(server.rtpPort(), 0);
  EXPECT_NE(server.rtcpPort(), 0);
  sockaddr_storage to{};
  socklen_t length = 0;
  EXPECT_TRUE(server.destination(ip::make_address("127.0.0.1"), 5000, to, length));
  EXPECT_EQ(length, sizeof(sockaddr_in));
  EXPECT_FALSE(server.destination(ip::make_address("::1"), 5000, to, length));  // an IPv4 pair
  // A taken port is an error that names it.
  RtspUdpServer other(io);
  const std::string taken = "127.0.0.1:" + std::to_string(server.rtpPort());
  EXPECT_FALSE(other.open(taken, "127.0.0.1:0", 0, error));
  EXPECT_NE(error.find("listen udp " + taken), std::string::npos) << error;
  EXPECT_FALSE(other.open("127.0.0.1:x", "127.0.0.1:0", 0, error));
  EXPECT_NE(error.find("invalid port"), std::string::npos) << error;
  EXPECT_FALSE(other.open("nohost:8000", "127.0.0.1:0", 0, error));
  EXPECT_NE(error.find("is not an IP address"), std::string::npos) << error;
}

TEST(RtspUdpServer, TheWildcardPairReachesIpv4ReadersThroughTheWorkersEgress) {
  boost::asio::io_context io;
  RtspUdpServer server(io);
  std::string error;
  ASSERT_TRUE(server.open(":0", ":0", 0, error)) << error;  // dual-stack when the host has IPv6
  ip::udp::socket reader(io);
  reader.open(ip::udp::v4());
  reader.bind({ip::make_address("127.0.0.1"), 0});
  timeval tv{2, 0};  // a lost datagram fails the test instead of hanging it
  ::setsockopt(reader.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_storage to{};
  socklen_t length = 0;
  ASSERT_TRUE(server.destination(ip::make_address("127.0.0.1"), reader.local_endpoint().port(), to, length));
  std::shared_ptr<core::UdpSendBatch> egress = server.egressFor(io);
  EXPECT_EQ(egress, server.egressFor(io));  // one per worker
  std::atomic<uint64_t> dropped{0};
  // More than one arena's worth in one turn: sent in order, in batches, nothing dropped.
  for (uint32_t i = 0; i < 140; ++i) {
    uint8_t d[100] = {0x80, 96};
    d[2] = static_cast<uint8_t>(i >> 8);
    d[3] = static_cast<uint8_t>(i);
    egress->send(d, sizeof(d), to, length, &dropped);
  }
  uint8_t big[core::UdpSendBatch::kSlotSize + 1] = {};
  egress->send(big, sizeof(big), to, length, &dropped);  // too large for a slot: dropped, counted
  io.poll();
  for (uint32_t i = 0; i < 140; ++i) {
    std::array<uint8_t, 2048> buf;
    sockaddr_in from{};
    socklen_t fromLength = sizeof(from);
    const ssize_t n = ::recvfrom(reader.native_handle(), buf.data(), buf.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &fromLength);
    ASSERT_EQ(n, 100) << "datagram " << i;
    ASSERT_EQ((buf[2] << 8) | buf[3], static_cast<int>(i));
    EXPECT_EQ(ntohs(from.sin_port), server.rtpPort());
  }
  EXPECT_EQ(dropped.load(), 1u);
  EXPECT_EQ(egress->stats().datagramsSent.load(), 140u);
  EXPECT_LE(egress->stats().syscalls.load(), 3u);  // batched: 128 datagrams a call
  EXPECT_EQ(server.stats().datagramsDropped, 1u);
}

}  // namespace
}  // namespace sluice::rtsp
