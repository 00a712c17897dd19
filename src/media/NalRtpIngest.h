#pragma once
// Per-stream video shaper on the hot path (camera RTP in, WebRTC-ready payloads out), one
// implementation for H.264 (RFC 6184) and H.265 (RFC 7798), so that a new WebRTC viewer can
// start decoding at any keyframe:
//  - in-band parameter sets (single NAL or inside an aggregation packet) are absorbed and
//    stored, AUDs dropped;
//  - right before the first keyframe packet of each access unit one aggregation packet of the
//    stored parameter sets is emitted (flagged keyframeStart), so every keyframe is
//    self-contained; when it would exceed maxPayload the sets leave one by one instead;
//  - every fragmented or oversize NAL unit leaves as the fewest fragmentation units of at most
//    maxPayload bytes, all full but the last, whatever the camera's fragment size: the
//    remainder of one camera fragment is carried into the next (NalFragmenter), so no whole
//    frame is ever buffered; fitting single NAL units and aggregation packets pass through
//    without a copy, aggregation packets that lost NAL units are rebuilt;
//  - sequence gaps stay gaps (lostBefore); a NAL unit whose fragments are interrupted
//    (sequence gap, late packet, new start, timestamp change) is dropped from there on, so no
//    spliced NAL unit is forwarded.
// Access units end at the marker bit or a timestamp change. O(1) amortized per packet (work
// proportional to its bytes), no allocation, no locks: one instance per stream, one thread.
// Not absorbed: parameter sets or AUDs carried inside fragmentation units (never seen in
// practice) pass through.
//
// What differs between the codecs is the payload format, a policy class of static inline
// members (no virtual call, nothing stored): H264PayloadFormat in H264RtpIngest.h (STAP-A,
// FU-A, SPS/PPS, IDR) and H265PayloadFormat in H265RtpIngest.h (AP, FU, VPS/SPS/PPS, IRAP,
// NAL header checks). A Format provides:
//   kCodec (NalFragmenter's), kNalHeaderSize, kFuHeaderSize (bytes before an FU's body, the
//   FU header with its S/E bits last), kAggregation / kFragment (payload NAL types),
//   kParameterSetCount, kMalformedAggregation / kMalformedFragment (its IngestErrors);
//   nalType(header), checkHeader(header) and checkAggregated(nal) (IngestError::None when
//   forwardable), isSingleNal, isParameterSet, parameterSetSlot, isAud, isKeyframe (by type),
//   fuNalType(fuHeader), validFragment(type, start, end), restoreNalHeader(fu, type, out),
//   acceptsSdpParameterSet(slot, nal), and AggregationHeader {add(nal); write(out)}, which
//   derives an aggregation packet's header from the NAL units it carries.
// H264RtpIngest and H265RtpIngest derive from this and add only their parameter-set API.
// The member definitions live in NalRtpIngest.cpp, instantiated there for both formats.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "media/NalFragmenter.h"
#include "media/RtpSequenceTracker.h"
#include "media/ShapedPacket.h"

namespace sluice::media {

template <class Format>
class NalRtpIngest {
 public:
  // Larger parameter sets are ignored (counted): real ones are tens of bytes.
  static constexpr size_t kMaxParameterSetSize = 512;

  // maxPayload is clamped to at least one fragmentation unit with one byte of body.
  explicit NalRtpIngest(size_t maxPayload);

  // Shapes one camera RTP packet. On error nothing is emitted for this packet. lostBefore
  // counts the sequence numbers skipped just before the source packet (0 for the first
  // packet, for duplicates, reordered packets and jumps over 1000); when a source packet
  // emits nothing its count moves to the next emitted packet. Late or duplicate fragments
  // are dropped (counted in lateFragments): they cannot be spliced back into a NAL unit.
  IngestError push(const uint8_t* rtp, size_t size, ShapedPacketSink& sink);

  bool hasParameterSets() const;
  size_t maxPayload() const { return fragmenter_.maxPayload(); }

  uint64_t packetsIn() const { return packetsIn_; }
  uint64_t packetsOut() const { return packetsOut_; }
  uint64_t lostPackets() const { return sequence_.lostPackets(); }
  uint64_t malformed() const { return malformed_; }
  uint64_t unsupported() const { return unsupported_; }
  uint64_t keyframes() const { return keyframes_; }                      // keyframe (IDR / IRAP) access units
  uint64_t parameterSetChanges() const { return parameterSetChanges_; }  // in-band updates that differed
  uint64_t oversizeParameterSets() const { return oversizeParameterSets_; }
  // NAL units whose fragments stopped before the end fragment (loss, camera restart).
  uint64_t truncatedNals() const { return truncatedNals_; }
  uint64_t lateFragments() const { return lateFragments_; }
  // Continuation fragments whose start was lost or never sent: dropped.
  uint64_t orphanFragments() const { return orphanFragments_; }

 protected:
  using ParameterSets = std::array<std::span<const uint8_t>, Format::kParameterSetCount>;

  // From SDP; replaced by in-band ones later. Returns false and keeps nothing if any set
  // exceeds kMaxParameterSetSize (counted in oversizeParameterSets) or the format refuses it.
  bool storeParameterSets(const ParameterSets& sets);
  std::span<const uint8_t> parameterSet(size_t slot) const { return {sets_[slot].data(), sizes_[slot]}; }
  uint64_t keyframesWithoutParameterSets() const { return keyframesWithoutParameterSets_; }

 private:
  void trackAccessUnit(uint32_t timestamp, bool marker);
  void interruptFragmentedNal();
  IngestError dispatch(const uint8_t* payload, size_t size, bool marker);
  IngestError handleAggregation(const uint8_t* payload, size_t size, bool marker);
  IngestError handleFragment(const uint8_t* payload, size_t size, bool marker);
  void absorbParameterSet(const uint8_t* nal, size_t size);
  void beforeKeyframe();
  void emitNal(const uint8_t* nal, size_t size, bool marker, bool keyframeStart);
  void emit(const uint8_t* payload, size_t size, bool marker, bool keyframeStart);

  NalFragmenter fragmenter_;          // owned: the NAL unit being re-fragmented
  std::vector<uint8_t> scratch_;      // owned, sized once (maxPayload): rebuilt aggregation packets
  ShapedPacketSink* sink_ = nullptr;  // borrowed, only during push()

  // Parameter sets in the format's slot order (H.264: SPS, PPS; H.265: VPS, SPS, PPS).
  std::array<std::array<uint8_t, kMaxParameterSetSize>, Format::kParameterSetCount> sets_{};
  std::array<size_t, Format::kParameterSetCount> sizes_{};

  RtpSequenceTracker sequence_;
  bool haveAccessUnit_ = false;
  bool accessUnitEnded_ = false;  // the last packet had the marker bit
  uint32_t timestamp_ = 0;
  bool keyframeSeenInAccessUnit_ = false;

  uint64_t packetsIn_ = 0, packetsOut_ = 0, malformed_ = 0, unsupported_ = 0;
  uint64_t keyframes_ = 0, keyframesWithoutParameterSets_ = 0, parameterSetChanges_ = 0;
  uint64_t oversizeParameterSets_ = 0;
  uint64_t truncatedNals_ = 0, lateFragments_ = 0, orphanFragments_ = 0;
};

}  // namespace sluice::media
