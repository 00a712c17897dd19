#pragma once
// The one bounded history of a stream's outgoing RTP packets. It is at the same time the
// fan-out queue, the NACK retransmission store and the keyframe cache for new viewers:
// memory is O(streams), never O(viewers). Packets are stored by their bytes in one ring
// (no fixed-size slots), next to a ring of small per-packet entries; appending never
// allocates except while the history learns the stream's keyframe interval (rare growth).
// Single-threaded: owned by the stream's worker.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace sluice::stream {

// RTP header (12 bytes) + payload of at most 1188 bytes, WebRTC's safe payload size.
constexpr size_t kMaxRtpPayload = 1188;
constexpr size_t kMaxRtpPacket = 12 + kMaxRtpPayload;

struct HistoryPacket {
  uint64_t index = UINT64_MAX;  // position in the stream, monotonic; UINT64_MAX: empty entry
  int64_t arrivalUs = 0;        // monotonic receive time at the server
  int64_t captureUs = 0;        // capture time on the server's clock, the same for all tracks (CaptureClock)
  uint8_t* data = nullptr;      // borrowed from the history's byte ring: RTP packet with the stream's
                                // SSRC and sequence number; valid until the next append
  uint32_t timestamp = 0;       // RTP timestamp (also in data)
  uint16_t size = 0;            // bytes in data (header + payload)
  bool marker = false;          // last packet of an access unit
  bool keyframeStart = false;   // a decoder can start here
};

class PacketHistory {
 public:
  // Holds at most maxCapacity packets (a power of two). Starts small and grows only when
  // what must stay no longer fits: the packets since the last keyframe (a video track), or
  // every packet the entry ring holds (a track without keyframes, audio). The entry ring
  // doubles (entries are small); the byte ring grows in steps of 1/32, so it costs the
  // bytes of one keyframe interval plus a few percent, whatever the packets' sizes.
  explicit PacketHistory(size_t maxCapacity, size_t initialCapacity = 256);

  // Entries (packets) the history can hold now.
  size_t capacity() const { return mask_ + 1; }
  size_t maxCapacity() const { return maxCapacity_; }
  // Bytes of the ring that stores the packets (what the history costs, with the entries).
  size_t byteCapacity() const { return byteCapacity_; }
  // Index the next appended packet gets; also the count of packets ever appended.
  uint64_t head() const { return head_; }
  // Oldest index still held (or head() when none is).
  uint64_t tail() const { return tail_; }

  // Reserves the next packet with room for kMaxRtpPacket bytes at data; the caller fills it
  // (size at most kMaxRtpPacket) and calls commit(). Other packets' data stay valid until then.
  HistoryPacket& beginAppend();
  void commit();
  // Leaves n indexes unused (source packets that were lost), so that sequence gaps
  // reach the receivers.
  void skip(uint64_t n);

  // The packet at index, or nullptr when it was dropped or never written.
  const HistoryPacket* at(uint64_t index) const {
    if (index >= head_ || index < tail_) return nullptr;
    const HistoryPacket& p = entries_[index & mask_];
    return p.index == index ? &p : nullptr;
  }

  // Most recent keyframe start still in the history (UINT64_MAX if none).
  uint64_t lastKeyframe() const { return at(lastKeyframe_) ? lastKeyframe_ : UINT64_MAX; }

  void clear();

 private:
  struct Unmap {  // the byte ring's deleter
    size_t size;
    void operator()(uint8_t* p) const;
  };
  // Fresh pages, touched (and so counted) only as packets are written into them.
  static std::unique_ptr<uint8_t[], Unmap> mapBytes(size_t size);

  void growEntries();
  void growBytes();
  // Makes kMaxRtpPacket contiguous bytes free at writeOffset_, dropping the oldest packets.
  void reserveBytes();
  // The oldest packet still held, advancing tail_ over holes; nullptr when none.
  HistoryPacket* oldest();
  // Whether the oldest packet may be dropped to make room, or the byte ring should grow.
  bool mustKeep(const HistoryPacket& p) const;

  std::unique_ptr<HistoryPacket[]> entries_;  // owned
  size_t mask_;
  size_t maxCapacity_;
  // owned: the packets, in index order around the ring. A mapping of its own (not the heap,
  // which kept outgrown rings as fragments), grown with mremap: no copy, no page touched twice.
  std::unique_ptr<uint8_t[], Unmap> bytes_;
  size_t byteCapacity_;
  size_t maxBytes_;
  size_t writeOffset_ = 0;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
  uint64_t lastKeyframe_ = UINT64_MAX;
};

}  // namespace sluice::stream
