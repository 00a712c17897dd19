#pragma once
// What one RTP payload (RFC 6184) carries, as far as keyframe detection needs it: the load
// client must tell when an IDR access unit is complete without reassembling every stream.
#include <cstddef>
#include <cstdint>

namespace sluice::load {

namespace payload_flags {
constexpr uint8_t kSps = 0x01;
constexpr uint8_t kPps = 0x02;
constexpr uint8_t kIdr = 0x04;
// The payload's first NAL unit is an SPS or an AUD: an access unit starts with it.
constexpr uint8_t kStartsAccessUnit = 0x08;
// The payload was decrypted and read (not skipped by --sample).
constexpr uint8_t kKnown = 0x80;
}  // namespace payload_flags

// Flags of a decrypted payload (kKnown always set). Single NAL units, STAP-A and FU-A.
uint8_t h264PayloadFlags(const uint8_t* payload, size_t size);

}  // namespace sluice::load
