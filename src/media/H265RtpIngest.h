#pragma once
// Per-stream H.265 RTP shaper (camera RTP in, RFC 7798 payloads out): NalRtpIngest, which
// does all the shaping, with the H.265 payload format below. Parameter sets are VPS, SPS and
// PPS (absorbed from single NAL units and APs), the [VPS, SPS, PPS] AP goes before every IRAP
// access unit (BLA/IDR/CRA, types 16..21), fragments leave as FUs.
// Only streams without DONL (sprop-max-don-diff absent or 0) can be shaped: with DONL every
// AP/FU carries 2 more bytes this parser would misread, so the SDP layer refuses such
// streams (see TrackCodec). Rejected, counted, nothing emitted: truncated APs, FUs without
// start or with another type than their start, forbidden bit set, nuh_layer_id != 0,
// TID 0, PACI.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/H265.h"
#include "media/NalRtpIngest.h"

namespace sluice::media {

struct H265PayloadFormat {
  static constexpr NalCodec kCodec = NalCodec::H265;
  static constexpr size_t kNalHeaderSize = h265::kNalHeaderSize;
  static constexpr size_t kFuHeaderSize = 3;  // payload header + FU header
  static constexpr uint8_t kAggregation = h265::kAp;
  static constexpr uint8_t kFragment = h265::kFu;
  static constexpr size_t kParameterSetCount = 3;  // VPS, SPS, PPS
  static constexpr IngestError kMalformedAggregation = IngestError::MalformedAggregation;
  static constexpr IngestError kMalformedFragment = IngestError::MalformedFragment;

  static uint8_t nalType(const uint8_t* header) { return h265::nalType(header); }
  // A NAL unit header this shaper can forward: forbidden bit clear, base layer, TID >= 1.
  static IngestError checkHeader(const uint8_t* header) {
    if (h265::forbiddenBit(header)) return IngestError::ForbiddenBitSet;
    if (h265::layerId(header) != 0) return IngestError::NonBaseLayer;
    if (h265::temporalIdPlus1(header) == 0) return IngestError::BadTemporalId;
    return IngestError::None;
  }
  // A NAL unit inside an AP: a forwardable header of a single NAL unit type.
  static IngestError checkAggregated(const uint8_t* nal) {
    if (IngestError e = checkHeader(nal); e != IngestError::None) return e;
    return h265::isSingleNal(h265::nalType(nal)) ? IngestError::None : IngestError::MalformedAggregation;
  }
  static bool isSingleNal(uint8_t type) { return h265::isSingleNal(type); }
  static bool isParameterSet(uint8_t type) { return h265::isParameterSet(type); }
  static size_t parameterSetSlot(uint8_t type) { return type - h265::kVps; }
  static bool isAud(uint8_t type) { return type == h265::kAud; }
  static bool isKeyframe(uint8_t type) { return h265::isIrap(type); }
  static bool isPrefixSei(uint8_t type) { return type == h265::kPrefixSei; }

  static uint8_t fuNalType(uint8_t fuHeader) { return fuHeader & 0x3f; }
  static bool validFragment(uint8_t type, bool start, bool end) {
    return h265::isSingleNal(type) && !(start && end);
  }
  // The fragmented NAL unit's header: the payload header with the FU header's type.
  static void restoreNalHeader(const uint8_t* fu, uint8_t type, uint8_t* out) {
    out[0] = static_cast<uint8_t>((fu[0] & 0x81) | (type << 1));
    out[1] = fu[1];
  }
  // SDP sprop-vps/sps/pps: a forwardable NAL unit of the slot's type.
  static bool acceptsSdpParameterSet(size_t slot, std::span<const uint8_t> nal) {
    return nal.size() >= kNalHeaderSize && h265::nalType(nal.data()) == h265::kVps + slot &&
           checkHeader(nal.data()) == IngestError::None;
  }

  // AP payload header (RFC 7798 §4.4.2): F is the OR of the units' F bits (all 0 here), type
  // 48, the lowest LayerId (0) and the lowest TID of the aggregated units.
  class AggregationHeader {
   public:
    void add(const uint8_t* nal) { lowestTidPlus1_ = std::min(lowestTidPlus1_, h265::temporalIdPlus1(nal)); }
    void write(uint8_t* out) const {
      out[0] = static_cast<uint8_t>(h265::kAp << 1);
      out[1] = lowestTidPlus1_;
    }

   private:
    uint8_t lowestTidPlus1_ = 7;
  };
};

extern template class NalRtpIngest<H265PayloadFormat>;

class H265RtpIngest : public NalRtpIngest<H265PayloadFormat> {
 public:
  // maxPayload is clamped to at least 4 (an FU with one byte of body).
  explicit H265RtpIngest(size_t maxPayload = 1188) : NalRtpIngest(maxPayload) {}

  // From SDP sprop-vps/sps/pps; replaced by in-band ones later. Whole NAL units. Returns
  // false and keeps nothing if any is shorter than a NAL header, of the wrong type, or
  // exceeds kMaxParameterSetSize (that case counted in oversizeParameterSets).
  bool setParameterSets(std::span<const uint8_t> vps, std::span<const uint8_t> sps,
                        std::span<const uint8_t> pps) {
    return storeParameterSets({vps, sps, pps});
  }

  std::span<const uint8_t> vps() const { return parameterSet(0); }
  std::span<const uint8_t> sps() const { return parameterSet(1); }
  std::span<const uint8_t> pps() const { return parameterSet(2); }
  uint64_t irapWithoutParameterSets() const { return keyframesWithoutParameterSets(); }
};

}  // namespace sluice::media
