#pragma once
// The session's UDP socket: one per session, bound to --local-ip on a kernel-chosen port, so
// the server sees each viewer as its own 5-tuple like real browsers, and a session's
// datagrams need no demultiplexing in the client.
#include <cstdint>
#include <string>

namespace sluice::load {

// A non-blocking UDP socket bound to `ip`:0 with a large receive buffer and kernel receive
// timestamps. Returns the descriptor and sets `port`; -1 and `error` on failure.
int openSessionSocket(const std::string& ip, uint16_t& port, std::string& error);

// The same socket bound to `ip`:wantedPort (0: any).
int openUdpSocket(const std::string& ip, uint16_t wantedPort, uint16_t& port, std::string& error);

// Two such sockets on adjacent ports (RTSP's client_port=rtp-rtcp): rtpPort and rtpPort + 1.
bool openUdpPortPair(const std::string& ip, int& rtpFd, int& rtcpFd, uint16_t& rtpPort, std::string& error);

}  // namespace sluice::load
