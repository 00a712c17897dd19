#pragma once
// "host:port" listen addresses as MediaMTX's keys write them (":8889", "127.0.0.1:8554",
// "[::1]:8189"), split the way Go's net.SplitHostPort does, with its messages. One parser
// for every listener (HTTP, RTSP, RTSP's UDP pair, WebRTC's UDP and TCP).
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::core {

// host without brackets ("" for every interface) and a port in 0..65535. False with `error`
// ("address X: missing port in address", "…: too many colons in address", "…: missing ']' in
// address", "…: invalid port") otherwise.
bool splitListenAddress(std::string_view address, std::string& host, uint16_t& port, std::string& error);

}  // namespace sluice::core
