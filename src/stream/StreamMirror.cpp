#include "stream/StreamMirror.h"

#include <boost/asio/post.hpp>
#include <cassert>
#include <cstring>

#include "core/Clock.h"
#include "core/Log.h"

namespace sluice::stream {

namespace {
// The origin's source tracks, none of the transcoded ones.
constexpr TrackMask kSourceTracks = (TrackMask{1} << kMaxSourceTracks) - 1;
// The replica follows the origin's suspensions; only the origin decides when one is too long.
constexpr int64_t kNoGraceLimitUs = INT64_MAX / 4;
}  // namespace

std::shared_ptr<StreamMirror> StreamMirror::create(std::shared_ptr<Stream> origin, core::Worker& originWorker,
                                                   core::Worker& mirrorWorker) {
  std::shared_ptr<StreamMirror> mirror(new StreamMirror(std::move(origin), originWorker, mirrorWorker));
  boost::asio::post(originWorker.io(), [mirror] { mirror->attach(); });
  return mirror;
}

StreamMirror::StreamMirror(std::shared_ptr<Stream> origin, core::Worker& originWorker,
                           core::Worker& mirrorWorker)
    : origin_(std::move(origin)),
      originWorker_(originWorker),
      mirrorWorker_(mirrorWorker),
      replica_(origin_->path(), origin_->historyCapacity(), origin_->maxPayload()),
      ring_(std::make_unique<Slot[]>(kRingSlots)) {
  // No other thread knows the replica yet: a viewer attaching before the first packet arrives
  // already finds the tracks its answer named.
  replica_.markReplica();
  replica_.start(origin_->formatSnapshot());
}

StreamMirror::~StreamMirror() = default;

void StreamMirror::attach() {
  assert(originWorker_.inThisThread());
  if (detachRequested_) return;
  if (!origin_->ready() && !origin_->suspended()) {
    pushEvent(Event::End, "the stream is not running");
    ended_.store(true, std::memory_order_release);
    return;
  }
  self_ = shared_from_this();
  pushEvent(Event::Start, {});  // the format of now, which may differ from the snapshot's
  if (origin_->suspended()) pushEvent(Event::Suspend, "the source is away");
  log::info("[path {}] mirrored to worker {}: its viewers there read the copy", origin_->path(),
            mirrorWorker_.index());
  origin_->addReader(this, kSourceTracks);
}

void StreamMirror::detach(const std::string& reason) {
  boost::asio::post(originWorker_.io(), [self = shared_from_this(), reason] {
    self->detachRequested_ = true;  // an attach() still queued does nothing
    if (self->ended()) return;      // the origin ended it already
    if (self->self_) self->origin_->removeReader(self.get());
    self->pushEvent(Event::End, reason);
    self->end();
  });
}

StreamMirror::Slot* StreamMirror::reserve(bool event) {
  const uint64_t head = head_.load(std::memory_order_relaxed);
  const uint64_t used = head - tail_.load(std::memory_order_acquire);
  if (used >= (event ? kRingSlots : kRingSlots - kEventSlots)) return nullptr;
  return &ring_[head % kRingSlots];
}

void StreamMirror::publish(bool wake) {
  head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
  if (!wake && ++unsignaled_ < kWakeAfterPackets) return;
  unsignaled_ = 0;
  // One drain pending at a time: it takes everything published before it runs (see drain()).
  if (wakePending_.exchange(true, std::memory_order_seq_cst)) return;
  boost::asio::post(mirrorWorker_.io(),
                    core::withMemory(wakeMemory_, [self = shared_from_this()] { self->drain(); }));
}

void StreamMirror::onStreamPacket(size_t track, const HistoryPacket& p) {
  assert(originWorker_.inThisThread());
  if (track >= kMaxSourceTracks) return;
  Slot* slot = reserve(false);
  if (!slot) {
    const uint64_t n = dropped_.fetch_add(1, std::memory_order_relaxed) + 1;
    const int64_t nowUs = core::monotonicUs();
    if (dropLogUs_ == 0 || nowUs - dropLogUs_ >= 10'000'000) {
      dropLogUs_ = nowUs;
      log::warn("[path {}] worker {} falls behind the stream it mirrors: packets dropped ({} so far)",
                origin_->path(), mirrorWorker_.index(), n);
    }
    return;  // the next packet carries the gap
  }
  uint64_t& last = lastIndex_[track];  // last index carried + 1
  slot->event = Event::Packet;
  slot->track = static_cast<uint8_t>(track);
  slot->lostBefore = last != 0 && p.index > last ? p.index - last : 0;
  slot->packet = p;
  slot->packet.data = nullptr;
  std::memcpy(slot->data, p.data, p.size);
  last = p.index + 1;
  const StreamTrack* t = origin_->findTrack(track);
  publish(p.marker || !t || !t->video());  // wake once per access unit, and for each audio packet
}

void StreamMirror::onStreamSuspended(const std::string& reason) { pushEvent(Event::Suspend, reason); }

// Also a hand-over without a pause (slate to camera): the replica takes the new format.
void StreamMirror::onStreamSegment() { pushEvent(Event::Start, {}); }

void StreamMirror::onStreamEnded(const std::string& reason) {
  pushEvent(Event::End, reason);
  end();
}

void StreamMirror::pushEvent(Event event, const std::string& reason) {
  assert(originWorker_.inThisThread());
  Slot* slot = reserve(true);
  if (!slot) {
    // kEventSlots events in a row that the mirror's worker never took: it is stuck.
    log::warn("[path {}] worker {} takes no events from the stream it mirrors; one is lost", origin_->path(),
              mirrorWorker_.index());
    return;
  }
  slot->event = event;
  if (event == Event::Start) slot->format = origin_->format();
  slot->reason = reason;
  publish(true);
}

void StreamMirror::end() {
  ended_.store(true, std::memory_order_release);
  auto keep = std::move(self_);  // may be the last reference: nothing is touched after this scope
}

void StreamMirror::drain() {
  assert(mirrorWorker_.inThisThread());
  // Cleared before reading the head: a packet published after this read wakes a new drain.
  wakePending_.store(false, std::memory_order_seq_cst);
  const uint64_t head = head_.load(std::memory_order_seq_cst);
  for (uint64_t tail = tail_.load(std::memory_order_relaxed); tail < head; ++tail) {
    apply(ring_[tail % kRingSlots]);
    tail_.store(tail + 1, std::memory_order_release);  // the producer may reuse the slot
  }
}

void StreamMirror::apply(Slot& slot) {
  switch (slot.event) {
    case Event::Packet:
      slot.packet.data = slot.data;
      replica_.ingestMirrored(slot.track, slot.packet, slot.lostBefore);
      break;
    case Event::Start:
      replica_.start(slot.format);
      break;
    case Event::Suspend:
      replica_.suspend(slot.reason, kNoGraceLimitUs);
      break;
    case Event::End:
      replica_.retire(slot.reason);  // a viewer still connecting to it is told at once
      break;
  }
}

}  // namespace sluice::stream
