#pragma once
// Per-stream H.264 RTP shaper (camera RTP in, RFC 6184 payloads out): NalRtpIngest, which
// does all the shaping, with the H.264 payload format below. Parameter sets are SPS and PPS
// (absorbed from single NAL units and STAP-As), the [SPS, PPS] STAP-A goes before every IDR
// access unit, fragments leave as FU-A. Unlike H.265, NAL headers are not checked: the
// forbidden bit is not looked at, units inside a STAP-A may be of any type, and an FU-A with
// both S and E set is accepted. As payloads, types 1..23 are single NAL units; STAP-B,
// MTAP16/24, FU-B and types 0/30/31 are refused as unsupported.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/H264.h"
#include "media/NalRtpIngest.h"

namespace sluice::media {

struct H264PayloadFormat {
  static constexpr NalCodec kCodec = NalCodec::H264;
  static constexpr size_t kNalHeaderSize = 1;
  static constexpr size_t kFuHeaderSize = 2;  // FU indicator + FU header
  static constexpr uint8_t kAggregation = h264::kStapA;
  static constexpr uint8_t kFragment = h264::kFuA;
  static constexpr size_t kParameterSetCount = 2;  // SPS, PPS
  static constexpr IngestError kMalformedAggregation = IngestError::MalformedStapA;
  static constexpr IngestError kMalformedFragment = IngestError::MalformedFuA;

  static uint8_t nalType(const uint8_t* header) { return h264::nalType(header[0]); }
  static IngestError checkHeader(const uint8_t*) { return IngestError::None; }
  static IngestError checkAggregated(const uint8_t*) { return IngestError::None; }
  static bool isSingleNal(uint8_t type) { return h264::isSingleNal(type); }
  static bool isParameterSet(uint8_t type) { return h264::isParameterSet(type); }
  static size_t parameterSetSlot(uint8_t type) { return type == h264::kSps ? 0 : 1; }
  static bool isAud(uint8_t type) { return type == h264::kAud; }
  static bool isKeyframe(uint8_t type) { return type == h264::kIdr; }
  static bool isPrefixSei(uint8_t type) { return type == h264::kSei; }

  static uint8_t fuNalType(uint8_t fuHeader) { return h264::nalType(fuHeader); }
  static bool validFragment(uint8_t type, bool /*start*/, bool /*end*/) { return h264::isSingleNal(type); }
  // The fragmented NAL unit's header: F and NRI from the FU indicator, the type from the FU header.
  static void restoreNalHeader(const uint8_t* fu, uint8_t type, uint8_t* out) {
    out[0] = static_cast<uint8_t>((fu[0] & 0xe0) | type);
  }
  // SDP sprop-parameter-sets were parsed by the SDP layer: any bytes are kept.
  static bool acceptsSdpParameterSet(size_t, std::span<const uint8_t>) { return true; }

  // STAP-A header byte for a set of NAL units: F is OR-ed, NRI is the maximum (RFC 6184 §5.7.1).
  class AggregationHeader {
   public:
    void add(const uint8_t* nal) {
      uint8_t f = static_cast<uint8_t>((header_ | nal[0]) & 0x80);
      uint8_t nri = std::max<uint8_t>(header_ & 0x60, nal[0] & 0x60);
      header_ = static_cast<uint8_t>(f | nri | h264::kStapA);
    }
    void write(uint8_t* out) const { out[0] = header_; }

   private:
    uint8_t header_ = h264::kStapA;
  };
};

extern template class NalRtpIngest<H264PayloadFormat>;

class H264RtpIngest : public NalRtpIngest<H264PayloadFormat> {
 public:
  // maxPayload is clamped to at least 3 (an FU-A with one byte of body).
  explicit H264RtpIngest(size_t maxPayload = 1188) : NalRtpIngest(maxPayload) {}

  // From SDP sprop-parameter-sets; replaced by any in-band SPS/PPS later. Whole NAL units;
  // ignored (counted in oversizeParameterSets) if either exceeds kMaxParameterSetSize.
  void setParameterSets(const uint8_t* sps, size_t spsSize, const uint8_t* pps, size_t ppsSize) {
    storeParameterSets({{{sps, spsSize}, {pps, ppsSize}}});
  }

  std::span<const uint8_t> sps() const { return parameterSet(0); }
  std::span<const uint8_t> pps() const { return parameterSet(1); }
  uint64_t idrWithoutParameterSets() const { return keyframesWithoutParameterSets(); }
};

}  // namespace sluice::media
