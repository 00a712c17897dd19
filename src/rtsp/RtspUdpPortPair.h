#pragma once
// Binds the RTP/RTCP socket pair of one media on consecutive ports, RTP on the even one
// (RFC 3550 §11), as cameras expect from client_port=a-b.
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <string>

namespace sluice::rtsp {

struct RtspUdpPortRange {
  uint16_t min = 0;  // both 0: anywhere in [10000, 65535)
  uint16_t max = 0;
};

// Opens and binds both sockets (wildcard address of `protocol`); on failure both are
// closed and `error` says why. Tries random even ports, then walks the whole range.
bool bindRtpRtcpPair(boost::asio::ip::udp::socket& rtp, boost::asio::ip::udp::socket& rtcp,
                     const boost::asio::ip::udp& protocol, RtspUdpPortRange range, std::string* error);

}  // namespace sluice::rtsp
