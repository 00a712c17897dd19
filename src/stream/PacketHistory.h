#pragma once
// The one bounded history of a stream's outgoing RTP packets. It is at the same time the
// fan-out queue, the NACK retransmission store and the keyframe cache for new viewers:
// memory is O(streams), never O(viewers). Packets are stored by their bytes (no fixed-size
// slots) in a ring of 32 KB chunks, next to a ring of small per-packet entries; appending
// never allocates except while the history learns the stream's keyframe interval (rare
// growth of the entry ring; the chunk ring's slots are reserved up front). What lies before the last keyframe
// (but the one frame just before it, keyframeLead()) is kept only for late NACKs: once older than
// kRetainBeforeKeyframeUs it is dropped and its chunks go back to the thread's HistoryChunkPool, where
// another history takes them: a video track costs the bytes since its last keyframe, not the largest interval
// it has seen. Single-threaded: owned by the stream's worker.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace sluice::stream {

// RTP header (12 bytes) + payload of at most 1188 bytes, WebRTC's safe payload size.
constexpr size_t kMaxRtpPayload = 1188;
constexpr size_t kMaxRtpPacket = 12 + kMaxRtpPayload;

struct HistoryPacket {
  uint64_t index = UINT64_MAX;  // position in the stream, monotonic; UINT64_MAX: empty entry
  int64_t arrivalUs = 0;        // monotonic receive time at the server
  int64_t captureUs = 0;        // capture time on the server's clock, the same for all tracks (CaptureClock)
  uint8_t* data = nullptr;      // borrowed from the history's chunk ring: RTP packet with the stream's
                                // SSRC and sequence number; valid until the next append
  uint32_t timestamp = 0;       // RTP timestamp (also in data)
  uint16_t size = 0;            // bytes in data (header + payload)
  bool marker = false;          // last packet of an access unit
  bool keyframeStart = false;   // a decoder can start here
};

class PacketHistory {
 public:
  // How long a packet from before the last keyframe stays (by arrival, against the newest
  // packet's): a viewer at the live edge restarts at the keyframe anyway, so only a NACK for
  // the previous interval's last packets can still want it. Janus's default NACK queue is 500 ms too.
  static constexpr int64_t kRetainBeforeKeyframeUs = 500000;
  // Holds at most maxCapacity packets (a power of two). Starts small and grows only when
  // what must stay no longer fits: the packets since the last keyframe (a video track), or
  // every packet the entry ring holds (a track without keyframes, audio). The entry ring
  // doubles (entries are small); the chunk ring grows a chunk at a time, so it spans one
  // keyframe interval's bytes plus the chunk it gives up whole when the writer comes round
  // and the chunks' unused ends (under a packet each), whatever the packets' sizes.
  explicit PacketHistory(size_t maxCapacity, size_t initialCapacity = 256);
  ~PacketHistory();
  PacketHistory(const PacketHistory&) = delete;
  PacketHistory& operator=(const PacketHistory&) = delete;

  // Entries (packets) the history can hold now.
  size_t capacity() const { return mask_ + 1; }
  size_t maxCapacity() const { return maxCapacity_; }
  // Bytes the chunk ring spans (the most the packets may take now).
  size_t byteCapacity() const;
  // Bytes of the chunks it holds now (what the packets cost, with the entries).
  size_t heldBytes() const;
  // Index the next appended packet gets; also the count of packets ever appended.
  uint64_t head() const { return head_; }
  // Oldest index still held (or head() when none is).
  uint64_t tail() const { return tail_; }
  // A reader still needs the packets from index on (one catching up on the cached interval,
  // an RTSP reader whose socket is behind): none of them is dropped early; they still go when
  // the ring needs their room.
  // UINT64_MAX: no such reader.
  void keepFrom(uint64_t index) { keepFrom_ = index; }
  uint64_t keptFrom() const { return keepFrom_; }
  // Chunks given back to the pool early (their packets dropped before the ring came round).
  uint64_t chunksReleased() const { return chunksReleased_; }

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
  // The first packet of the frame just before that keyframe, kept with it for readers that
  // must start one frame early (ffmpeg's RTSP demuxer, see RtspServerConnection); UINT64_MAX
  // when there is none (the stream began at the keyframe, or the keyframe did not start
  // right after a frame's marker).
  uint64_t keyframeLead() const {
    return lastKeyframe() != UINT64_MAX && at(keyframeLead_) ? keyframeLead_ : UINT64_MAX;
  }

  void clear();

 private:
  void growEntries();
  // Makes kMaxRtpPacket contiguous bytes free at the writer: moves it to the next chunk when
  // its own is full, dropping the oldest packets or growing the ring by a chunk.
  void reserveBytes();
  // The oldest packet still held, advancing tail_ over holes; nullptr when none.
  HistoryPacket* oldest();
  // Where what must stay begins: the keyframe's lead frame, else the keyframe (UINT64_MAX: none held).
  uint64_t cacheStart() const;
  // Whether the oldest packet may be dropped to make room, or the ring should grow.
  bool mustKeep(const HistoryPacket& p) const;
  // Drops the packets before the last keyframe (and before keepFrom_) that arrived
  // kRetainBeforeKeyframeUs before newestArrivalUs, then gives their chunks back.
  void dropBeforeKeyframe(int64_t newestArrivalUs);
  // Gives the pool every chunk between the writer's and the oldest held packet's.
  void releaseFreeChunks();
  size_t nextChunk(size_t i) const { return i + 1 == chunks_.size() ? 0 : i + 1; }

  std::unique_ptr<HistoryPacket[]> entries_;  // owned
  size_t mask_;
  size_t maxCapacity_;
  // The packets, in index order around the ring; a slot is null while its chunk is in the
  // pool (owned: taken from and given back to HistoryChunkPool::local()). Its size changes
  // only when the ring grows, within the capacity reserved at construction (no allocation).
  std::vector<uint8_t*> chunks_;
  size_t maxChunks_;
  size_t writeChunk_ = 0;   // the slot the writer is in
  size_t writeOffset_ = 0;  // within that chunk
  // The first slot after the writer's that may hold a chunk: the slots between are null
  // (== writeChunk_: all but the writer's are).
  size_t tailChunk_ = 0;
  uint64_t chunksReleased_ = 0;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
  uint64_t lastKeyframe_ = UINT64_MAX;
  uint64_t keyframeLead_ = UINT64_MAX;
  // Frame boundaries by marker bits, for keyframeLead_: where the frame being written began,
  // where the one before it began, and whether the next packet begins a frame.
  uint64_t frameStart_ = UINT64_MAX;
  uint64_t previousFrameStart_ = UINT64_MAX;
  bool afterMarker_ = true;
  uint64_t keepFrom_ = UINT64_MAX;
};

}  // namespace sluice::stream
