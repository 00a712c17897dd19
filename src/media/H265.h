#pragma once
// H.265 NAL unit vocabulary (ITU-T H.265 §7.4.2.2, RFC 7798 §1.1.4, §4.4) and the SDP
// sprop-vps/sps/pps helpers. A NAL unit header is 2 bytes:
// F(1) Type(6) LayerId(6) TID(3).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::media {

namespace h265 {
constexpr uint8_t kBlaWLp = 16;    // first IRAP type
constexpr uint8_t kIdrWRadl = 19;
constexpr uint8_t kIdrNLp = 20;
constexpr uint8_t kCraNut = 21;    // last IRAP type
constexpr uint8_t kVps = 32;
constexpr uint8_t kSps = 33;
constexpr uint8_t kPps = 34;
constexpr uint8_t kAud = 35;
constexpr uint8_t kPrefixSei = 39;
// RTP payload structures (RFC 7798 §4.4).
constexpr uint8_t kAp = 48;
constexpr uint8_t kFu = 49;
constexpr uint8_t kPaci = 50;

constexpr size_t kNalHeaderSize = 2;
constexpr uint8_t kFuStart = 0x80;
constexpr uint8_t kFuEnd = 0x40;

inline uint8_t nalType(const uint8_t* header) { return (header[0] >> 1) & 0x3f; }
inline bool forbiddenBit(const uint8_t* header) { return (header[0] & 0x80) != 0; }
inline uint8_t layerId(const uint8_t* header) {
  return static_cast<uint8_t>(((header[0] & 1) << 5) | (header[1] >> 3));
}
inline uint8_t temporalIdPlus1(const uint8_t* header) { return header[1] & 7; }
// Intra random access point pictures (BLA, IDR, CRA): a decoder can start there.
inline bool isIrap(uint8_t type) { return type >= kBlaWLp && type <= kCraNut; }
inline bool isParameterSet(uint8_t type) { return type >= kVps && type <= kPps; }
// Types 0..47 are whole NAL units when they appear as an RTP payload.
inline bool isSingleNal(uint8_t type) { return type < kAp; }
}  // namespace h265

struct H265ParameterSets {
  std::vector<uint8_t> vps, sps, pps;  // whole NAL units, 2-byte header included
};

// Parses SDP fmtp sprop-vps, sprop-sps and sprop-pps (each a comma-separated list of base64
// NAL units; the first of the right type is kept). Fails, with a reason in `error`, on bad
// base64, a NAL unit shorter than its header, a unit of the wrong type in a list, or when any
// of the three is missing.
bool parseH265Sprop(std::string_view vps, std::string_view sps, std::string_view pps, H265ParameterSets& sets,
                    std::string& error);

}  // namespace sluice::media
