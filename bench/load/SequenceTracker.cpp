#include "load/SequenceTracker.h"

#include "load/H264PayloadFlags.h"

namespace sluice::load {

int64_t SequenceTracker::extend(uint16_t seq) const {
  if (!started_) return seq;
  const int16_t delta = static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(highest_)));
  const int64_t ext = highest_ + delta;
  return ext < 0 ? -1 : ext;
}

const SequenceTracker::Slot* SequenceTracker::find(int64_t ext) const {
  if (!started_ || ext < firstExt_ || ext > highest_ || highest_ - ext >= static_cast<int64_t>(kRingSize)) {
    return nullptr;
  }
  const Slot& s = ring_[static_cast<size_t>(ext) & (kRingSize - 1)];
  return s.state != State::Unknown && s.ext32 == static_cast<uint32_t>(ext) ? &s : nullptr;
}

const SequenceTracker::Slot* SequenceTracker::received(int64_t ext) const {
  const Slot* s = find(ext);
  return s && s->state == State::Received ? s : nullptr;
}

SequenceTracker::State SequenceTracker::state(int64_t ext) const {
  const Slot* s = find(ext);
  return s ? s->state : State::Unknown;
}

void SequenceTracker::giveUp(Slot& s) {
  s.state = State::Lost;
  ++lost_;
  ++newlyLost_;
}

void SequenceTracker::markMissing(int64_t ext, int64_t nowUs) {
  Slot& s = slot(ext);
  s = Slot{static_cast<uint32_t>(ext), 0, State::Missing, 0, false, false};
  if (missingCount_ == kMaxMissing) {  // more holes than we can chase: count it lost at once
    giveUp(s);
    return;
  }
  missing_[missingCount_++] = MissingEntry{ext, nowUs, nowUs + policy_.reorderWaitUs, 0};
}

SequenceTracker::Arrival SequenceTracker::onPacket(int64_t ext, uint32_t timestamp, bool marker,
                                                   uint8_t flags, int64_t nowUs) {
  if (ext < 0) return Arrival::TooOld;
  if (!started_) {
    started_ = true;
    firstExt_ = highest_ = ext;
    slot(ext) = Slot{static_cast<uint32_t>(ext), timestamp, State::Received, flags, marker, false};
    return Arrival::New;
  }
  if (ext > highest_) {
    const int64_t gap = ext - highest_ - 1;
    if (gap > policy_.maxGap) {
      ++discontinuities_;
    } else {
      for (int64_t e = highest_ + 1; e < ext; ++e) markMissing(e, nowUs);
    }
    highest_ = ext;
    slot(ext) = Slot{static_cast<uint32_t>(ext), timestamp, State::Received, flags, marker, false};
    return Arrival::New;
  }
  Slot* s = const_cast<Slot*>(find(ext));
  if (!s) return Arrival::TooOld;
  const State before = s->state;
  const bool nacked = s->nacked;
  if (before == State::Received) return Arrival::Duplicate;
  *s = Slot{static_cast<uint32_t>(ext), timestamp, State::Received, flags, marker, nacked};
  if (before == State::Lost) {
    --lost_;
    return Arrival::LateAfterGiveUp;
  }
  // Missing: its list entry is dropped by the next pollNacks().
  return nacked ? Arrival::Retransmission : Arrival::Reordered;
}

size_t SequenceTracker::pollNacks(int64_t nowUs, uint16_t* out, size_t capacity) {
  size_t written = 0;
  size_t kept = 0;
  for (size_t i = 0; i < missingCount_; ++i) {
    MissingEntry e = missing_[i];
    Slot& s = slot(e.ext);
    if (s.ext32 != static_cast<uint32_t>(e.ext)) {
      // The ring wrapped past it (a very fast stream): it never came.
      ++lost_;
      ++newlyLost_;
      continue;
    }
    if (s.state != State::Missing) continue;  // arrived (or already given up)
    if (nowUs - e.detectedUs >= policy_.giveUpUs) {
      giveUp(s);
      continue;
    }
    if (nowUs >= e.nextNackUs && e.nacks < policy_.maxNacks && written < capacity) {
      out[written++] = static_cast<uint16_t>(e.ext);
      if (e.nacks == 0) ++nackedUnique_;
      ++nackRequests_;
      ++e.nacks;
      e.nextNackUs = nowUs + policy_.renackIntervalUs;
      s.nacked = true;
    }
    missing_[kept++] = e;
  }
  missingCount_ = kept;
  return written;
}

uint8_t SequenceTracker::completeAccessUnitFlags(int64_t ext) const {
  const Slot* s = received(ext);
  if (!s) return 0;
  const uint32_t ts = s->timestamp;
  uint8_t flags = 0;
  // Back to the access unit's first packet: one that begins with SPS/AUD, or one whose
  // predecessor arrived with another timestamp or the marker bit.
  int64_t start = ext;
  for (int n = 0;; ++n) {
    const Slot* cur = received(start);
    if (!cur || !(cur->flags & payload_flags::kKnown) || n >= kMaxAccessUnitPackets) return 0;
    flags |= cur->flags;
    if (cur->flags & payload_flags::kStartsAccessUnit) break;
    const Slot* prev = received(start - 1);
    if (!prev) return 0;  // missing, or before what we saw: the start is unknown
    if (prev->timestamp != ts || prev->marker) break;
    --start;
  }
  // Forward to the marker (or, if the marker packet is the one at `ext`, done).
  int64_t end = ext;
  for (int n = 0; !received(end)->marker; ++n) {
    const Slot* next = received(end + 1);
    if (!next || n >= kMaxAccessUnitPackets) return 0;
    if (next->timestamp != ts) break;  // the unit ended without a marker bit
    if (!(next->flags & payload_flags::kKnown)) return 0;
    flags |= next->flags;
    ++end;
  }
  return flags;
}

}  // namespace sluice::load
