#pragma once
// A stream's copy on another worker, so that one stream's viewers spread over every core
// instead of all living on the worker that takes the stream in. The mirror reads the origin
// stream as a viewer would (on the origin's worker: one copy of each packet into a ring), and
// on its own worker stores the packets, as they are, into a replica Stream that the viewers
// there read exactly as they would read the origin: its history answers their NACKs and starts
// new viewers at the cached keyframe, its timeline gives their sender reports. A packet is thus
// shaped once per stream and copied once per worker, never per viewer.
//
// Threads: onStream*() run on the origin's worker (the ring's producer); drain() and
// everything the replica does run on the mirror's worker (the consumer). The ring is
// single-producer single-consumer; its consumer is woken once per access unit (a post, never
// per packet), and the source's suspensions, returns and end travel through it in order with
// the packets. A full ring (the mirror's worker stalled) drops packets, counted; the replica's
// viewers see the gap as loss.
//
// Lifetime: the mirror keeps itself alive while it is a reader of the origin; the replica
// handed to viewers shares its ownership. detach() (any thread) ends it; the origin ending its
// readers (the stream stopped) ends it too.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/HandlerMemory.h"
#include "core/WorkerPool.h"
#include "stream/Stream.h"

namespace sluice::stream {

class StreamMirror final : public StreamReader, public std::enable_shared_from_this<StreamMirror> {
 public:
  // Enough for a 1080p keyframe and the first 200 ms a new reader is given at once, with room
  // to spare; a worker that falls this far behind loses packets (counted).
  static constexpr size_t kRingSlots = 1024;
  // Slots only the source's events may take, so an end is never lost to a full ring of packets.
  static constexpr size_t kEventSlots = 16;
  // Packets without a frame's end (a source that does not mark them) after which the mirror's
  // worker is woken anyway.
  static constexpr uint32_t kWakeAfterPackets = 32;

  // Called on the control thread: the replica starts with the origin's current format, and the
  // mirror attaches itself to the origin on the origin's worker (posted). Every source track is
  // carried; the Opus tracks transcoded from AAC are not (their readers stay on the origin).
  static std::shared_ptr<StreamMirror> create(std::shared_ptr<Stream> origin, core::Worker& originWorker,
                                              core::Worker& mirrorWorker);
  ~StreamMirror() override;
  StreamMirror(const StreamMirror&) = delete;
  StreamMirror& operator=(const StreamMirror&) = delete;

  // The copy to hand to readers on the mirror's worker; it shares the mirror's ownership.
  std::shared_ptr<Stream> replica() { return std::shared_ptr<Stream>(shared_from_this(), &replica_); }
  const Stream& origin() const { return *origin_; }
  size_t workerIndex() const { return mirrorWorker_.index(); }

  // Stops mirroring (any thread): the mirror leaves the origin on its worker, and the replica's
  // readers are ended with `reason` on theirs.
  void detach(const std::string& reason);
  // Whether the mirror carries no more packets (detached, or the origin stream stopped).
  bool ended() const { return ended_.load(std::memory_order_acquire); }
  // Packets a full ring dropped.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  enum class Event : uint8_t { Packet, Start, Suspend, End };
  struct Slot {
    Event event = Event::Packet;
    uint8_t track = 0;
    uint64_t lostBefore = 0;
    HistoryPacket packet;  // its data points at `data` once delivered
    StreamFormat format;   // Start
    std::string reason;    // Suspend, End
    uint8_t data[kMaxRtpPacket];
  };

  StreamMirror(std::shared_ptr<Stream> origin, core::Worker& originWorker, core::Worker& mirrorWorker);

  // --- origin's worker ---
  void attach();
  void onStreamPacket(size_t track, const HistoryPacket& packet) override;
  void onStreamEnded(const std::string& reason) override;
  void onStreamSuspended(const std::string& reason) override;
  void onStreamSegment() override;
  // A free slot, or nullptr when the ring is full (events may use the last kEventSlots).
  Slot* reserve(bool event);
  void publish(bool wake);
  void pushEvent(Event event, const std::string& reason);
  void end();

  // --- mirror's worker ---
  void drain();
  void apply(Slot& slot);

  std::shared_ptr<Stream> origin_;  // shared: the stream mirrored
  core::Worker& originWorker_;      // borrowed, outlives this
  core::Worker& mirrorWorker_;      // borrowed, outlives this
  Stream replica_;                  // owned; lives on the mirror's worker
  std::unique_ptr<Slot[]> ring_;    // owned; kRingSlots
  std::atomic<uint64_t> head_{0};   // next slot the producer fills
  std::atomic<uint64_t> tail_{0};   // next slot the consumer takes
  std::atomic<bool> wakePending_{false};
  std::atomic<bool> ended_{false};
  std::atomic<uint64_t> dropped_{0};
  // The one pending drain's operation; shared with it, so it outlives a mirror freed meanwhile.
  std::shared_ptr<core::SmallHandlerMemory> wakeMemory_ = std::make_shared<core::SmallHandlerMemory>();

  // Origin's worker only.
  std::shared_ptr<StreamMirror> self_;            // owned reference to itself while attached
  std::array<uint64_t, kMaxTracks> lastIndex_{};  // per track: last origin index carried (+1; 0: none)
  uint32_t unsignaled_ = 0;                       // packets published since the last wake
  bool detachRequested_ = false;
  int64_t dropLogUs_ = 0;
};

}  // namespace sluice::stream
