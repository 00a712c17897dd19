#pragma once
// The SDP a DESCRIBE answers with: one media section per track of the stream, carrying the
// source's payload type (readers get the stream's packets as they are), its rtpmap and fmtp
// (H.264 sprop-parameter-sets, H.265 sprop-vps/sps/pps when known, MPEG-4 Audio config) and
// a=control:trackID=<index>. Control plane.
#include <optional>
#include <string>
#include <string_view>

#include "stream/StreamFormat.h"

namespace sluice::rtsp {

std::string buildServerSdp(const stream::StreamFormat& format);

// The track a SETUP URL names: "<base>/trackID=<n>" → n; nullopt when the URL does not end
// in a trackID (a client setting up the only track by the base URL gets track 0).
std::optional<size_t> trackIdOfUrl(std::string_view url);

}  // namespace sluice::rtsp
