#pragma once
// h264PayloadFlags' counterpart for RFC 7798 payloads (single NAL units, APs, FUs): an IRAP
// slice counts as the keyframe flag (kIdr), the SPS and PPS as kSps/kPps, and a VPS or an
// AUD as the start of an access unit. So the load client's keyframe logic (time to first
// frame, PLI) works unchanged for a viewer that receives H.265.
#include <cstddef>
#include <cstdint>

#include "load/H264PayloadFlags.h"

namespace sluice::load {

uint8_t h265PayloadFlags(const uint8_t* payload, size_t size);

}  // namespace sluice::load
