#pragma once
// The one bounded history of a stream's outgoing RTP packets. It is at the same time the
// fan-out queue, the NACK retransmission store and the keyframe cache for new viewers:
// memory is O(streams), never O(viewers). Slots are allocated once; appending never
// allocates. Single-threaded: owned by the stream's worker.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace sluice::stream {

// RTP header (12 bytes) + payload of at most 1188 bytes, WebRTC's safe payload size.
constexpr size_t kMaxRtpPayload = 1188;
constexpr size_t kMaxRtpPacket = 12 + kMaxRtpPayload;

struct HistoryPacket {
  uint64_t index = UINT64_MAX;  // position in the stream, monotonic; UINT64_MAX: empty slot
  int64_t arrivalUs = 0;        // monotonic receive time at the server
  int64_t captureUs = 0;        // capture time on the server's clock, the same for all tracks (CaptureClock)
  uint32_t timestamp = 0;       // RTP timestamp (also in data)
  uint16_t size = 0;            // bytes in data (header + payload)
  bool marker = false;          // last packet of an access unit
  bool keyframeStart = false;   // a decoder can start here
  uint8_t data[kMaxRtpPacket];  // RTP packet with the stream's SSRC and sequence number
};

class PacketHistory {
 public:
  // Starts small and doubles, up to maxCapacity (a power of two), only when the packets of
  // one keyframe interval no longer fit: memory follows the stream's real GOP size instead
  // of a worst case. Growth is rare (while the GOP size is learned), never per packet.
  explicit PacketHistory(size_t maxCapacity, size_t initialCapacity = 256);

  size_t capacity() const { return mask_ + 1; }
  size_t maxCapacity() const { return maxCapacity_; }
  // Index the next appended packet gets; also the count of packets ever appended.
  uint64_t head() const { return head_; }
  // Oldest index still held.
  uint64_t tail() const { return head_ > capacity() ? head_ - capacity() : 0; }

  // Reserves the next slot; the caller fills it and calls commit(). Never allocates.
  HistoryPacket& beginAppend();
  void commit();
  // Leaves n indexes unused (source packets that were lost), so that sequence gaps
  // reach the receivers.
  void skip(uint64_t n) { head_ += n; }

  // The packet at index, or nullptr when it was overwritten or never written.
  const HistoryPacket* at(uint64_t index) const {
    if (index >= head_ || index < tail()) return nullptr;
    const HistoryPacket& p = slots_[index & mask_];
    return p.index == index ? &p : nullptr;
  }

  // Most recent keyframe start still in the history (UINT64_MAX if none).
  uint64_t lastKeyframe() const { return at(lastKeyframe_) ? lastKeyframe_ : UINT64_MAX; }

  void clear();

 private:
  void grow();

  std::unique_ptr<HistoryPacket[]> slots_;
  size_t mask_;
  size_t maxCapacity_;
  uint64_t head_ = 0;
  uint64_t lastKeyframe_ = UINT64_MAX;
};

}  // namespace sluice::stream
