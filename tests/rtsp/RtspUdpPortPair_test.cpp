#include "rtsp/RtspUdpPortPair.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

namespace sluice::rtsp {
namespace {

using boost::asio::ip::udp;

TEST(RtspUdpPortPair, BindsEvenOddPairInRange) {
  boost::asio::io_context io;
  udp::socket rtp(io), rtcp(io);
  std::string err;
  ASSERT_TRUE(bindRtpRtcpPair(rtp, rtcp, udp::v4(), {47001, 47010}, &err)) << err;
  uint16_t port = rtp.local_endpoint().port();
  EXPECT_EQ(port % 2, 0);
  EXPECT_GE(port, 47002);
  EXPECT_LE(port, 47009);
  EXPECT_EQ(rtcp.local_endpoint().port(), port + 1);
}

TEST(RtspUdpPortPair, AnyPortWhenNoRange) {
  boost::asio::io_context io;
  udp::socket rtp(io), rtcp(io);
  ASSERT_TRUE(bindRtpRtcpPair(rtp, rtcp, udp::v4(), {}, nullptr));
  EXPECT_EQ(rtp.local_endpoint().port() % 2, 0);
  EXPECT_EQ(rtcp.local_endpoint().port(), rtp.local_endpoint().port() + 1);
}

TEST(RtspUdpPortPair, FailsWhenRangeIsExhaustedOrEmpty) {
  boost::asio::io_context io;
  std::vector<std::unique_ptr<udp::socket>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<udp::socket>(io));
    held.push_back(std::make_unique<udp::socket>(io));
    ASSERT_TRUE(bindRtpRtcpPair(*held[held.size() - 2], *held.back(), udp::v4(), {47100, 47103}, nullptr));
  }
  udp::socket rtp(io), rtcp(io);
  std::string err;
  EXPECT_FALSE(bindRtpRtcpPair(rtp, rtcp, udp::v4(), {47100, 47103}, &err));
  EXPECT_NE(err.find("no free UDP port pair"), std::string::npos) << err;
  EXPECT_FALSE(rtp.is_open());
  EXPECT_FALSE(rtcp.is_open());
  EXPECT_FALSE(bindRtpRtcpPair(rtp, rtcp, udp::v4(), {47201, 47201}, &err));
  EXPECT_NE(err.find("no even/odd pair"), std::string::npos) << err;
}

}  // namespace
}  // namespace sluice::rtsp
