#pragma once
// Per-stream H.264 RTP shaper on the hot path (camera RTP in, RFC 6184 payloads out) that
// lets a new WebRTC viewer start decoding at any keyframe:
//  - in-band SPS/PPS (single NAL or inside STAP-A) are absorbed and stored, AUDs dropped;
//  - right before the first IDR packet of each access unit one STAP-A [SPS, PPS] is emitted
//    (flagged keyframeStart), so every IDR is self-contained;
//  - every fragmented or oversize NAL unit leaves as the fewest FU-A payloads of at most
//    maxPayload bytes, all full but the last, whatever the camera's fragment size: the
//    remainder of one camera fragment is carried into the next (NalFragmenter), so no
//    whole frame is ever buffered; fitting single NAL units and STAP-As pass through
//    without a copy, STAP-As that lost NAL units are rebuilt;
//  - a NAL unit whose fragments are interrupted (sequence gap, late packet, new start,
//    timestamp change) is dropped from there on, so no spliced NAL unit is forwarded.
// Access units end at the marker bit or a timestamp change. O(1) amortized per packet (work
// proportional to its bytes), no allocation, no locks: one instance per stream, one thread.
// Not absorbed: SPS/PPS/AUD carried inside FU-A (never seen in practice) pass through.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "media/NalFragmenter.h"
#include "media/RtpSequenceTracker.h"
#include "media/ShapedPacket.h"

namespace sluice::media {

class H264RtpIngest {
 public:
  // Larger parameter sets are ignored (counted): real ones are tens of bytes.
  static constexpr size_t kMaxParameterSetSize = 512;

  // maxPayload is clamped to at least 3 (an FU-A with one byte of body).
  explicit H264RtpIngest(size_t maxPayload = 1188);

  // From SDP sprop-parameter-sets; replaced by any in-band SPS/PPS later. Whole NAL units;
  // ignored (counted in oversizeParameterSets) if either exceeds kMaxParameterSetSize.
  void setParameterSets(const uint8_t* sps, size_t spsSize, const uint8_t* pps, size_t ppsSize);

  // Shapes one camera RTP packet. On error nothing is emitted. lostBefore counts the
  // sequence numbers skipped just before the source packet (0 for the first packet, for
  // duplicates, reordered packets and jumps over 1000); when a source packet emits nothing
  // its count moves to the next emitted packet. Late or duplicate FU-A fragments are
  // dropped (counted in lateFragments): they cannot be spliced back into a NAL unit.
  IngestError push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink);

  std::span<const uint8_t> sps() const { return {sps_.data(), spsSize_}; }
  std::span<const uint8_t> pps() const { return {pps_.data(), ppsSize_}; }
  bool hasParameterSets() const { return spsSize_ > 0 && ppsSize_ > 0; }
  size_t maxPayload() const { return maxPayload_; }

  uint64_t packetsIn() const { return packetsIn_; }
  uint64_t packetsOut() const { return packetsOut_; }
  uint64_t lostPackets() const { return sequence_.lostPackets(); }
  uint64_t malformed() const { return malformed_; }
  uint64_t unsupported() const { return unsupported_; }
  uint64_t keyframes() const { return keyframes_; }  // IDR access units
  uint64_t idrWithoutParameterSets() const { return idrWithoutParameterSets_; }
  uint64_t parameterSetChanges() const { return parameterSetChanges_; }  // in-band updates that differed
  uint64_t oversizeParameterSets() const { return oversizeParameterSets_; }
  // NAL units whose fragments stopped before the end fragment (loss, camera restart).
  uint64_t truncatedNals() const { return truncatedNals_; }
  uint64_t lateFragments() const { return lateFragments_; }
  // Continuation fragments whose start was lost or never sent: dropped.
  uint64_t orphanFragments() const { return orphanFragments_; }

 private:
  void trackAccessUnit(uint32_t timestamp, bool marker);
  IngestError dispatch(const uint8_t* payload, size_t size, bool marker);
  IngestError handleStapA(const uint8_t* payload, size_t size, bool marker);
  IngestError handleFuA(const uint8_t* payload, size_t size, bool marker);
  void absorbParameterSet(const uint8_t* nal, size_t size);
  void beforeIdr();
  void emitNal(const uint8_t* nal, size_t size, bool marker, bool keyframeStart);
  void emit(const uint8_t* payload, size_t size, bool marker, bool keyframeStart);

  void interruptFragmentedNal();

  size_t maxPayload_;
  std::vector<uint8_t> scratch_;  // owned, sized once: maxPayload_
  NalFragmenter fragmenter_;      // owned: the NAL unit being re-fragmented
  ShapedPacketSink* sink_ = nullptr;  // borrowed, only during push()

  std::array<uint8_t, kMaxParameterSetSize> sps_{}, pps_{};
  size_t spsSize_ = 0, ppsSize_ = 0;

  RtpSequenceTracker sequence_;

  bool haveAccessUnit_ = false;
  bool accessUnitEnded_ = false;  // the last packet had the marker bit
  uint32_t timestamp_ = 0;
  bool idrSeenInAccessUnit_ = false;

  uint64_t packetsIn_ = 0, packetsOut_ = 0, malformed_ = 0, unsupported_ = 0;
  uint64_t truncatedNals_ = 0, lateFragments_ = 0, orphanFragments_ = 0;
  uint64_t keyframes_ = 0, idrWithoutParameterSets_ = 0, parameterSetChanges_ = 0, oversizeParameterSets_ = 0;
};

}  // namespace sluice::media
