#include "rtsp/RtspUdpPortPair.h"

#include <fmt/format.h>

#include "core/Random.h"

namespace sluice::rtsp {
namespace {

bool tryPort(boost::asio::ip::udp::socket& rtp, boost::asio::ip::udp::socket& rtcp,
             const boost::asio::ip::udp& protocol, uint16_t port) {
  boost::system::error_code ec;
  auto any = protocol == boost::asio::ip::udp::v6()
                 ? boost::asio::ip::address(boost::asio::ip::address_v6::any())
                 : boost::asio::ip::address(boost::asio::ip::address_v4::any());
  rtp.open(protocol, ec);
  if (!ec) rtp.bind({any, port}, ec);
  if (!ec) rtcp.open(protocol, ec);
  if (!ec) rtcp.bind({any, static_cast<uint16_t>(port + 1)}, ec);
  if (!ec) return true;
  rtp.close(ec);
  rtcp.close(ec);
  return false;
}

}  // namespace

bool bindRtpRtcpPair(boost::asio::ip::udp::socket& rtp, boost::asio::ip::udp::socket& rtcp,
                     const boost::asio::ip::udp& protocol, RtspUdpPortRange range, std::string* error) {
  uint32_t lo = range.min;
  uint32_t hi = range.max;
  if (lo == 0 && hi == 0) {
    lo = 10000;
    hi = 65535;
  }
  lo += lo % 2;  // first even port
  if (hi > 65535) hi = 65535;
  if (lo + 1 > hi) {
    if (error) *error = fmt::format("UDP port range {}-{} holds no even/odd pair", range.min, range.max);
    return false;
  }
  uint32_t pairs = (hi - lo + 1) / 2;
  // Random probes spread concurrent clients; the walk guarantees a free pair is found.
  for (int i = 0; i < 16; ++i) {
    uint32_t port = lo + 2 * (core::random32() % pairs);
    if (tryPort(rtp, rtcp, protocol, static_cast<uint16_t>(port))) return true;
  }
  uint32_t start = core::random32() % pairs;
  for (uint32_t i = 0; i < pairs; ++i) {
    uint32_t port = lo + 2 * ((start + i) % pairs);
    if (tryPort(rtp, rtcp, protocol, static_cast<uint16_t>(port))) return true;
  }
  if (error) *error = fmt::format("no free UDP port pair in {}-{}", lo, hi);
  return false;
}

}  // namespace sluice::rtsp
