#pragma once
// Per-stream H.265 RTP shaper on the hot path (camera RTP in, RFC 7798 payloads out), the
// H.265 counterpart of H264RtpIngest with the same sink, so a stream can own either:
//  - in-band VPS/SPS/PPS (single NAL or inside an AP) are absorbed and stored, AUDs dropped;
//  - right before the first IRAP packet (BLA/IDR/CRA, types 16..21) of each access unit one
//    AP [VPS, SPS, PPS] is emitted, flagged keyframeStart, so every IRAP is self-contained;
//  - every fragmented or oversize NAL unit leaves as the fewest FUs of at most maxPayload
//    bytes, all full but the last (NalFragmenter, shared with H.264): the remainder of one
//    camera fragment is carried into the next, no whole frame is buffered; fitting single
//    NAL units and APs pass through without a copy, APs that lost NAL units are rebuilt;
//  - sequence gaps stay gaps (lostBefore); a NAL unit whose fragments are interrupted is
//    dropped from there on, never spliced.
// Only streams without DONL (sprop-max-don-diff absent or 0) can be shaped: with DONL every
// AP/FU carries 2 more bytes this parser would misread, so the SDP layer refuses such
// streams (see TrackCodec). Rejected, counted, nothing emitted: truncated APs, FUs without
// start or with another type than their start, forbidden bit set, nuh_layer_id != 0,
// TID 0, PACI. Access units end at the marker bit or a timestamp change. O(1) amortized per
// packet, no allocation, no locks: one instance per stream, one thread.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "media/NalFragmenter.h"
#include "media/RtpSequenceTracker.h"
#include "media/ShapedPacket.h"

namespace sluice::media {

class H265RtpIngest {
 public:
  // Larger parameter sets are ignored (counted): real ones are tens of bytes.
  static constexpr size_t kMaxParameterSetSize = 512;

  // maxPayload is clamped to at least 4 (an FU with one byte of body).
  explicit H265RtpIngest(size_t maxPayload = 1188);

  // From SDP sprop-vps/sps/pps; replaced by in-band ones later. Whole NAL units. Returns
  // false and keeps nothing if any is shorter than a NAL header, of the wrong type, or
  // exceeds kMaxParameterSetSize (that case counted in oversizeParameterSets).
  bool setParameterSets(std::span<const uint8_t> vps, std::span<const uint8_t> sps,
                        std::span<const uint8_t> pps);

  // Shapes one camera RTP packet; see H264RtpIngest::push for lostBefore. On error nothing
  // is emitted for this packet.
  IngestError push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink);

  std::span<const uint8_t> vps() const { return {sets_[0].data(), sizes_[0]}; }
  std::span<const uint8_t> sps() const { return {sets_[1].data(), sizes_[1]}; }
  std::span<const uint8_t> pps() const { return {sets_[2].data(), sizes_[2]}; }
  bool hasParameterSets() const { return sizes_[0] > 0 && sizes_[1] > 0 && sizes_[2] > 0; }
  size_t maxPayload() const { return fragmenter_.maxPayload(); }

  uint64_t packetsIn() const { return packetsIn_; }
  uint64_t packetsOut() const { return packetsOut_; }
  uint64_t lostPackets() const { return sequence_.lostPackets(); }
  uint64_t malformed() const { return malformed_; }
  uint64_t unsupported() const { return unsupported_; }
  uint64_t keyframes() const { return keyframes_; }  // IRAP access units
  uint64_t irapWithoutParameterSets() const { return irapWithoutParameterSets_; }
  uint64_t parameterSetChanges() const { return parameterSetChanges_; }
  uint64_t oversizeParameterSets() const { return oversizeParameterSets_; }
  uint64_t truncatedNals() const { return truncatedNals_; }
  uint64_t lateFragments() const { return lateFragments_; }
  uint64_t orphanFragments() const { return orphanFragments_; }

 private:
  void trackAccessUnit(uint32_t timestamp, bool marker);
  IngestError dispatch(const uint8_t* payload, size_t size, bool marker);
  IngestError handleAp(const uint8_t* payload, size_t size, bool marker);
  IngestError handleFu(const uint8_t* payload, size_t size, bool marker);
  void absorbParameterSet(const uint8_t* nal, size_t size);
  void beforeIrap();
  void interruptFragmentedNal();
  void emitNal(const uint8_t* nal, size_t size, bool marker, bool keyframeStart);
  void emit(const uint8_t* payload, size_t size, bool marker, bool keyframeStart);

  NalFragmenter fragmenter_;            // owned: the NAL unit being re-fragmented
  std::vector<uint8_t> scratch_;       // owned, sized once (maxPayload): rebuilt APs
  ShapedPacketSink* sink_ = nullptr;  // borrowed, only during push()

  std::array<std::array<uint8_t, kMaxParameterSetSize>, 3> sets_{};  // VPS, SPS, PPS
  std::array<size_t, 3> sizes_{};

  RtpSequenceTracker sequence_;
  bool haveAccessUnit_ = false;
  bool accessUnitEnded_ = false;  // the last packet had the marker bit
  uint32_t timestamp_ = 0;
  bool irapSeenInAccessUnit_ = false;

  uint64_t packetsIn_ = 0, packetsOut_ = 0, malformed_ = 0, unsupported_ = 0;
  uint64_t keyframes_ = 0, irapWithoutParameterSets_ = 0, parameterSetChanges_ = 0;
  uint64_t oversizeParameterSets_ = 0;
  uint64_t truncatedNals_ = 0, lateFragments_ = 0, orphanFragments_ = 0;
};

}  // namespace sluice::media
