#pragma once
// Per-stream video shaper on the hot path (camera RTP in, WebRTC-ready payloads out), one
// implementation for H.264 (RFC 6184) and H.265 (RFC 7798), so that a new WebRTC viewer can
// start decoding at any keyframe:
//  - in-band parameter sets (single NAL or inside an aggregation packet) are absorbed and
//    stored, AUDs dropped;
//  - right before the first keyframe packet of each access unit one aggregation packet of the
//    stored parameter sets is emitted (flagged keyframeStart), so every keyframe is
//    self-contained; when it would exceed maxPayload the sets leave one by one instead;
//  - a prefix SEI (sent by many cameras before every frame) is held until the next packet of
//    its access unit and shares a payload with what follows when it fits: the keyframe's
//    parameter sets, another SEI, or a small slice; otherwise it leaves alone as before. It
//    is never held past the next packet (a gap or a new timestamp sends it first), so it adds
//    no latency beyond the frame's own arrival;
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
// members checked by the NalPayloadFormat concept below (no virtual call, nothing stored):
// H264PayloadFormat in H264RtpIngest.h (STAP-A, FU-A, SPS/PPS, IDR) and H265PayloadFormat in
// H265RtpIngest.h (AP, FU, VPS/SPS/PPS, IRAP, NAL header checks). H264RtpIngest and
// H265RtpIngest derive from NalRtpIngest and add only their parameter-set API. The member
// definitions live in NalRtpIngest.cpp, instantiated there for both formats.
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "media/NalFragmenter.h"
#include "media/RtpSequenceTracker.h"
#include "media/ShapedPacket.h"

namespace sluice::media {

// NAL types are passed as uint8_t, NAL unit headers as pointers to their first byte.
template <class F>
concept NalPayloadFormat = requires(const uint8_t* nal, uint8_t type, uint8_t* out,
                                    std::span<const uint8_t> sdp, typename F::AggregationHeader header) {
  { F::kCodec } -> std::convertible_to<NalCodec>;            // for NalFragmenter
  { F::kNalHeaderSize } -> std::convertible_to<size_t>;      // 1 or 2 bytes
  { F::kFuHeaderSize } -> std::convertible_to<size_t>;       // before an FU's body, S/E byte last
  { F::kAggregation } -> std::convertible_to<uint8_t>;       // STAP-A / AP payload type
  { F::kFragment } -> std::convertible_to<uint8_t>;          // FU-A / FU payload type
  { F::kParameterSetCount } -> std::convertible_to<size_t>;  // stored slots, in AP order
  { F::kMalformedAggregation } -> std::convertible_to<IngestError>;
  { F::kMalformedFragment } -> std::convertible_to<IngestError>;
  { F::nalType(nal) } -> std::same_as<uint8_t>;
  { F::checkHeader(nal) } -> std::same_as<IngestError>;      // None: a payload header it forwards
  { F::checkAggregated(nal) } -> std::same_as<IngestError>;  // None: a unit it takes in an aggregate
  { F::isSingleNal(type) } -> std::same_as<bool>;            // a whole NAL unit as a payload
  { F::isParameterSet(type) } -> std::same_as<bool>;
  { F::parameterSetSlot(type) } -> std::same_as<size_t>;
  { F::isAud(type) } -> std::same_as<bool>;
  { F::isKeyframe(type) } -> std::same_as<bool>;                  // gets the parameter sets in front
  { F::isPrefixSei(type) } -> std::same_as<bool>;                 // held to share the next payload
  { F::fuNalType(type) } -> std::same_as<uint8_t>;                // from the FU header byte
  { F::validFragment(type, true, false) } -> std::same_as<bool>;  // (type, start, end)
  F::restoreNalHeader(nal, type, out);                            // (FU payload, type, out)
  { F::acceptsSdpParameterSet(size_t{0}, sdp) } -> std::same_as<bool>;
  header.add(nal);  // an aggregation packet's header, derived from the units it carries
  std::as_const(header).write(out);
};

template <NalPayloadFormat Format>
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
  // The held NAL units ([16-bit length][NAL unit] each, as in an aggregation packet).
  bool hold(const uint8_t* nal, size_t size);
  void flushHeld(bool marker);
  // Writes an aggregation packet of `sets` (the parameter sets, may be none) then the held
  // units into scratch_; its size.
  size_t writeAggregate(bool withParameterSets);

  NalFragmenter fragmenter_;      // owned: the NAL unit being re-fragmented
  std::vector<uint8_t> scratch_;  // owned, sized once (maxPayload): rebuilt aggregation packets
  std::vector<uint8_t> held_;     // owned, sized once (maxPayload): held NAL units, with lengths
  size_t heldBytes_ = 0, heldCount_ = 0;
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
