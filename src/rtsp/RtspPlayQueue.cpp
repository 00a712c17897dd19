#include "rtsp/RtspPlayQueue.h"

#include <algorithm>

namespace sluice::rtsp {

RtspPlayQueue::RtspPlayQueue(const stream::Stream& stream, size_t limit) : stream_(stream), limit_(limit) {}

void RtspPlayQueue::addTrack(size_t streamTrack, uint8_t channel, bool video, uint64_t sentBefore) {
  if (tracks_.size() >= stream::kMaxSourceTracks) return;  // a session sets up at most that many
  tracks_.push_back({streamTrack, channel, video, UINT64_MAX, sentBefore});
}

uint64_t RtspPlayQueue::sentUpTo(size_t streamTrack) const {
  const Track* t = find(streamTrack);
  return t ? t->sent : 0;
}

const RtspPlayQueue::Track* RtspPlayQueue::find(size_t streamTrack) const {
  for (const auto& t : tracks_)
    if (t.streamTrack == streamTrack) return &t;
  return nullptr;
}

void RtspPlayQueue::onPacket(size_t streamTrack, const stream::HistoryPacket& packet) {
  Track* t = find(streamTrack);
  if (!t) return;
  if (skipping_) {
    if (t->video && packet.keyframeStart) {
      resumeAt(packet);
    } else {
      ++discarded_;
      return;
    }
  }
  if (t->cursor == UINT64_MAX) t->cursor = std::max(packet.index, t->sent);
  if (packet.index < t->sent) return;  // sent before a PAUSE: not waiting
  if (stream_.handingCachedPackets()) {
    ++cachedWaiting_;
    return;
  }
  ++waiting_;
  if (waiting_ > limit_) skipToKeyframe();
}

uint64_t RtspPlayQueue::neededFrom(size_t streamTrack) const {
  const Track* t = find(streamTrack);
  return t ? t->cursor : UINT64_MAX;
}

void RtspPlayQueue::skipToKeyframe() {
  ++skips_;
  discarded_ += waiting_ + cachedWaiting_;
  waiting_ = 0;
  cachedWaiting_ = 0;
  frontTrack_ = SIZE_MAX;
  bool hasVideo = false;
  for (auto& t : tracks_) {
    t.cursor = UINT64_MAX;
    hasVideo = hasVideo || t.video;
  }
  // Audio alone needs no keyframe: it goes on with the next packet.
  skipping_ = hasVideo;
}

void RtspPlayQueue::resumeAt(const stream::HistoryPacket& keyframe) {
  skipping_ = false;
  for (auto& t : tracks_) {
    if (t.video) continue;  // set by onPacket from this keyframe
    const stream::StreamTrack* st = stream_.findTrack(t.streamTrack);
    const uint64_t start = st ? st->startIndex(keyframe.captureUs) : UINT64_MAX;
    t.cursor = start == UINT64_MAX ? start : std::max(start, t.sent);
  }
}

const stream::HistoryPacket* RtspPlayQueue::front(uint8_t& channel) {
  frontTrack_ = SIZE_MAX;
  const stream::HistoryPacket* best = nullptr;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    if (t.cursor == UINT64_MAX) continue;
    const stream::StreamTrack* st = stream_.findTrack(t.streamTrack);
    if (!st) continue;
    const stream::PacketHistory& h = st->history();
    if (t.cursor < h.tail()) {
      // The history overwrote what this reader had not sent: it is too far behind.
      skipToKeyframe();
      return nullptr;
    }
    const stream::HistoryPacket* p = nullptr;
    const uint64_t end = stream_.liveEdge(*st);                  // not into a frame the stream holds
    while (t.cursor < end && !(p = h.at(t.cursor))) ++t.cursor;  // gaps (lost source packets)
    if (!p) continue;
    if (!best || p->arrivalUs < best->arrivalUs) {
      best = p;
      frontTrack_ = i;
    }
  }
  if (best) channel = tracks_[frontTrack_].channel;
  return best;
}

void RtspPlayQueue::pop() {
  if (frontTrack_ == SIZE_MAX) return;
  Track& t = tracks_[frontTrack_];
  t.sent = ++t.cursor;
  // The cached packets were handed on before the live ones and leave first.
  if (cachedWaiting_ > 0) {
    --cachedWaiting_;
  } else if (waiting_ > 0) {
    --waiting_;
  }
  frontTrack_ = SIZE_MAX;
}

RtspPlayQueue::Mark RtspPlayQueue::mark() const {
  Mark m;
  for (size_t i = 0; i < tracks_.size() && i < m.cursors.size(); ++i) {
    m.cursors[i] = tracks_[i].cursor;
    m.sent[i] = tracks_[i].sent;
  }
  m.waiting = waiting_;
  m.cachedWaiting = cachedWaiting_;
  return m;
}

void RtspPlayQueue::rewind(const Mark& m) {
  for (size_t i = 0; i < tracks_.size() && i < m.cursors.size(); ++i) {
    tracks_[i].cursor = m.cursors[i];
    tracks_[i].sent = m.sent[i];
  }
  waiting_ = m.waiting;
  cachedWaiting_ = m.cachedWaiting;
  frontTrack_ = SIZE_MAX;
}

}  // namespace sluice::rtsp
