#include "stream/Stream.h"

#include <algorithm>
#include <chrono>

#include "core/Clock.h"
#include "core/Log.h"
#include "core/Random.h"
#include "media/Rtcp.h"

namespace sluice::stream {

namespace {
int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Takes the sender report out of a source's RTCP compound packet.
struct SenderReportReader : media::RtcpVisitor {
  bool found = false;
  uint64_t ntp = 0;
  uint32_t rtp = 0;
  void onSenderReport(uint32_t, uint64_t n, uint32_t r, uint32_t, uint32_t) override {
    found = true;
    ntp = n;
    rtp = r;
  }
};
}  // namespace

Stream::Stream(std::string path, size_t historyCapacity, size_t maxPayload, Clock clock)
    : path_(std::move(path)),
      clock_(clock ? clock : &core::monotonicUs),
      historyCapacity_(historyCapacity),
      maxPayload_(maxPayload) {
  readers_.reserve(16);
}

StartResult Stream::start(const StreamFormat& given) {
  StreamFormat format(given.begin(),
                      given.begin() + static_cast<std::ptrdiff_t>(std::min(given.size(), kMaxSourceTracks)));
  StartResult result = StartResult::Fresh;
  const bool wasSuspended = suspended_;
  bool continuing = suspended_ || ready();
  if (continuing) {
    // Readers of the previous segment (suspended, or still running when one source hands
    // over to another) continue if their decoders can.
    std::string why;
    if (!canContinue(format_, format, why)) {
      endReaders("the source came back with other codecs: " + why);
      result = StartResult::Replaced;
      continuing = false;
    } else {
      result = StartResult::Resumed;
      stats_.resumes.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!continuing) tracks_.clear();  // no reader holds a track index: start over
  // A reader still catching up (also one suspended meanwhile: no packet fed it since) loses the
  // rest of the old segment's cache (the histories are emptied below) and goes on, as the
  // others, from the new segment's keyframe.
  for (ReaderEntry& r : readers_) r.catchUp.reset();
  for (size_t i = 0; i < tracks_.size(); ++i) {
    if (i < format.size()) {
      tracks_[i]->beginSegment(format[i], continuing);
    } else {
      tracks_[i]->endSegment();  // kept for its readers' indexes; silent in this segment
    }
  }
  for (size_t i = tracks_.size(); i < format.size(); ++i) {
    tracks_.push_back(std::make_unique<StreamTrack>(static_cast<TrackOwner&>(*this), i, format[i],
                                                    historyCapacity_, maxPayload_, core::random32()));
  }
  suspended_ = false;
  stats_.suspended.store(false, std::memory_order_relaxed);
  format_ = std::move(format);
  resetFrontiers();  // the histories were emptied; their indexes go on
  stats_.reorderedVideo.store(0, std::memory_order_relaxed);
  captureClock_.reset();
  publishFormat();
  stats_.readySinceUnixMs.store(wallClockMs(), std::memory_order_relaxed);
  ready_.store(true, std::memory_order_release);
  updateTranscoding();  // kept readers of a transcoded track that is new in this segment
  if (result == StartResult::Resumed) {
    ++fanoutDepth_;
    for (size_t i = 0; i < readers_.size(); ++i) {
      if (readers_[i].reader) readers_[i].reader->onStreamSegment();
      if (wasSuspended && readers_[i].reader) readers_[i].reader->onStreamResumed();
    }
    --fanoutDepth_;
    if (removedPending_ && fanoutDepth_ == 0) compactReaders();
  }
  return result;
}

const StreamTrack* Stream::findTrack(size_t i) const {
  if (i < tracks_.size()) return tracks_[i].get();
  if (i >= StreamTrack::kTranscodedBase && i - StreamTrack::kTranscodedBase < tracks_.size()) {
    const AudioTranscoding* t = tracks_[i - StreamTrack::kTranscodedBase]->transcoding();
    return t ? &t->output() : nullptr;
  }
  return nullptr;
}

void Stream::updateTranscoding() {
  TrackMask wanted = 0;
  for (const ReaderEntry& r : readers_) {
    if (r.reader) wanted |= r.tracks;
  }
  uint32_t active = 0;
  for (auto& t : tracks_) {
    AudioTranscoding* transcoding = t->transcoding();
    if (!transcoding) continue;
    active += applyTranscodingDemand(wanted, *t, *transcoding);
  }
  stats_.transcoding.store(active, std::memory_order_relaxed);
}

bool Stream::applyTranscodingDemand(TrackMask wanted, const StreamTrack& t, AudioTranscoding& transcoding) {
  const bool want = (wanted >> (StreamTrack::kTranscodedBase + t.index())) & 1;
  if (want == transcoding.active()) return want;
  std::string error;
  if (!transcoding.setActive(want, error)) {
    log::warn("[path {}] cannot transcode track {} ({}) to Opus: {}", path_, t.index() + 1,
              t.format().describe(), error);
  } else {
    log::info("[path {}] {} transcoding track {} ({}) to Opus", path_, want ? "started" : "stopped",
              t.index() + 1, t.format().describe());
  }
  return transcoding.active();
}

void Stream::publishFormat() {
  std::lock_guard lock(formatMutex_);
  formatSnapshot_ = format_;
  for (size_t i = 0; i < ssrcSnapshot_.size(); ++i)
    ssrcSnapshot_[i] = i < tracks_.size() ? tracks_[i]->ssrc() : 0;
}

uint32_t Stream::ssrcSnapshot(size_t i) const {
  std::lock_guard lock(formatMutex_);
  return i < ssrcSnapshot_.size() ? ssrcSnapshot_[i] : 0;
}

StreamFormat Stream::formatSnapshot() const {
  std::lock_guard lock(formatMutex_);
  return formatSnapshot_;
}

void Stream::suspend(const std::string& reason, int64_t graceUs) {
  if (!ready() && !suspended_) return;
  if (graceUs <= 0 || readerCount() == 0) {
    stop(reason);  // nobody to keep, or no grace: end as the source did
    return;
  }
  ready_.store(false, std::memory_order_release);
  stats_.readySinceUnixMs.store(0, std::memory_order_relaxed);
  if (!suspended_) graceDeadlineUs_ = now() + graceUs;  // a second suspend keeps the first deadline
  suspended_ = true;
  stats_.suspended.store(true, std::memory_order_relaxed);
  suspendReason_ = reason;
  for (auto& t : tracks_) t->endSegment();
  ++fanoutDepth_;
  for (size_t i = 0; i < readers_.size(); ++i) {
    if (readers_[i].reader) readers_[i].reader->onStreamSuspended(reason);
  }
  --fanoutDepth_;
  if (removedPending_ && fanoutDepth_ == 0) compactReaders();
  if (readerCount() == 0) stop(reason);
}

bool Stream::expireSuspension() {
  if (!suspended_ || now() < graceDeadlineUs_) return false;
  stop(suspendReason_ + " (and did not come back within the grace period)");
  return true;
}

void Stream::stop(const std::string& reason) {
  ready_.store(false, std::memory_order_release);
  stats_.readySinceUnixMs.store(0, std::memory_order_relaxed);
  suspended_ = false;
  stats_.suspended.store(false, std::memory_order_relaxed);
  endReaders(reason);
  for (auto& t : tracks_) t->endSegment();
}

void Stream::retire(const std::string& reason) {
  retired_ = true;
  retireReason_ = reason;
  stop(reason);
}

void Stream::endReaders(const std::string& reason) {
  std::vector<ReaderEntry> readers;
  readers.swap(readers_);
  readers_.reserve(16);
  removedPending_ = 0;
  stats_.readers.store(0, std::memory_order_relaxed);
  updateTranscoding();
  for (const ReaderEntry& r : readers) {
    if (r.reader) r.reader->onStreamEnded(reason);
  }
}

media::IngestError Stream::ingestRtp(size_t trackIndex, const uint8_t* data, size_t size) {
  if (suspended_) return media::IngestError::None;  // the source said it is gone
  stats_.packetsIn.fetch_add(1, std::memory_order_relaxed);
  stats_.bytesIn.fetch_add(size, std::memory_order_relaxed);
  if (trackIndex >= format_.size()) {
    stats_.ingestErrors.fetch_add(1, std::memory_order_relaxed);
    return media::IngestError::UndeclaredPayloadType;
  }
  StreamTrack& track = *tracks_[trackIndex];
  const uint64_t lostBefore = track.stats().packetsLost;
  const uint64_t waitingBefore = track.stats().packetsBeforeKeyframe;
  const uint64_t setChangesBefore = track.parameterSetChanges();
  ++fanoutDepth_;
  media::IngestError err = track.ingest(data, size, now(), captureClock_);
  --fanoutDepth_;
  if (track.parameterSetChanges() != setChangesBefore) noteParameterSetChange(track);
  const TrackStats& after = track.stats();  // two counters, not a copy of all of them per packet
  if (err != media::IngestError::None) noteIngestError(track, err);
  if (after.packetsLost != lostBefore)
    stats_.packetsLost.fetch_add(after.packetsLost - lostBefore, std::memory_order_relaxed);
  if (after.packetsBeforeKeyframe != waitingBefore)
    stats_.packetsBeforeKeyframe.fetch_add(after.packetsBeforeKeyframe - waitingBefore,
                                           std::memory_order_relaxed);
  if (removedPending_ && fanoutDepth_ == 0) compactReaders();
  return err;
}

// Counted always; said at most every 10 s per stream, so that an operator sees why packets
// of a source go missing without a line per packet.
void Stream::noteIngestError(const StreamTrack& track, media::IngestError err) {
  const uint64_t total = stats_.ingestErrors.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t nowUs = now();
  if (ingestErrorLogged_ && nowUs - ingestErrorLogUs_ < 10'000'000) return;
  ingestErrorLogged_ = true;
  ingestErrorLogUs_ = nowUs;
  log::warn("[path {}] track {} ({}): {} ({} packet{} refused so far)", path_, track.index() + 1,
            track.format().apiName(), media::describe(err), total, total == 1 ? "" : "s");
}

void Stream::ingestMirrored(size_t trackIndex, const HistoryPacket& packet, uint64_t lostBefore) {
  if (suspended_ || trackIndex >= format_.size()) return;
  ++fanoutDepth_;
  tracks_[trackIndex]->appendMirrored(packet, lostBefore);
  --fanoutDepth_;
  if (removedPending_ && fanoutDepth_ == 0) compactReaders();
}

void Stream::noteParameterSetChange(const StreamTrack& track) {
  // Rare (a camera reconfigured), but a broken one could do it on every packet: at most one
  // line per track per 10 s. Readers need nothing: the new sets lead the next keyframe.
  const int64_t nowUs = now();
  int64_t& last = parameterSetLogUs_[track.index() % parameterSetLogUs_.size()];
  if (last != 0 && nowUs - last < 10'000'000) return;
  last = nowUs;
  log::info(
      "[path {}] track {} ({}): the source changed its parameter sets in band ({} time(s) so far); "
      "readers get the new ones with the next keyframe",
      path_, track.index() + 1, track.format().apiName(), track.parameterSetChanges());
}

void Stream::noteTimestampStep(const StreamTrack& track, Frontier& f, int32_t step) {
  // Shortly before the previous unit: decode order is not presentation order. (A far jump
  // back is a source's clock, not a B-frame.)
  if (step >= 0 || step <= -static_cast<int32_t>(track.clockRate())) return;
  const int64_t nowUs = now();
  if (f.reorderedFrames > 0 && nowUs - f.lastReorderUs > kReorderGapUs) f.reorderedFrames = 0;
  f.lastReorderUs = nowUs;
  if (++f.reorderedFrames < kReorderedFramesForBFrames) return;
  f.reordered = true;
  const TrackMask bit = TrackMask{1} << track.index();
  stats_.reorderedVideo.fetch_or(bit, std::memory_order_relaxed);
  if (!replica_)
    log::warn(
        "[path {}] track {} ({}) has B-frames (frames out of presentation order): RTSP readers play it; "
        "WebRTC does not carry it, so its WebRTC readers are closed and new ones refused until the source "
        "restarts without them; turn B-frames off at the source",
        path_, track.index() + 1, track.format().apiName());
  ++fanoutDepth_;
  for (size_t i = 0; i < readers_.size(); ++i) {
    if (readers_[i].reader && (readers_[i].tracks & bit)) readers_[i].reader->onVideoReordered(track.index());
  }
  --fanoutDepth_;
  if (removedPending_ && fanoutDepth_ == 0) compactReaders();
}

void Stream::ingestRtcp(size_t trackIndex, const uint8_t* data, size_t size) {
  if (suspended_ || trackIndex >= format_.size()) return;
  SenderReportReader sr;
  media::parseRtcpCompound(data, size, sr);
  if (!sr.found || tracks_[trackIndex]->onSenderReport(sr.ntp, sr.rtp)) return;
  // The source's clock stepped: every track's mapping is suspect until its next report.
  for (auto& t : tracks_) {
    if (t.get() != tracks_[trackIndex].get()) t->resetSenderClock();
  }
  captureClock_.reset();
  const int64_t nowUs = now();
  if (nowUs - clockStepLogUs_ >= 10'000'000 || clockStepLogUs_ == 0) {
    clockStepLogUs_ = nowUs;
    log::info("[path {}] the source's clock stepped (sender report of track {}); re-syncing the tracks",
              path_, trackIndex + 1);
  }
}

void Stream::onTrackPacket(StreamTrack& track, const HistoryPacket& p) {
  stats_.packetsStored.fetch_add(1, std::memory_order_relaxed);
  Frontier& f = frontiers_[track.index()];
  if (track.video() && p.timestamp != f.lastTimestamp) {
    if (f.seenTimestamp && !f.reordered)
      noteTimestampStep(track, f, static_cast<int32_t>(p.timestamp - f.lastTimestamp));
    f.lastTimestamp = p.timestamp;
    f.seenTimestamp = true;
  }
  if (!track.video() || !f.wholeFrames) {
    releaseTo(track, p.index + 1);
    return;
  }
  if (f.holding && p.timestamp != f.heldTimestamp) {
    // The held access unit ended without its marker (its last packet was lost, or the source
    // never sets it): it goes now; a source that never marks is forwarded packet by packet.
    releaseTo(track, p.index);
    if (++f.unmarkedFrames >= kMaxUnmarkedFrames) {
      f.wholeFrames = false;
      if (!replica_)
        log::info(
            "[path {}] track {} ({}): the source does not mark where its frames end (RTP marker bit); "
            "forwarding its packets one by one",
            path_, track.index() + 1, track.format().apiName());
      releaseTo(track, p.index + 1);
      return;
    }
  }
  if (p.marker) {
    f.unmarkedFrames = 0;
    releaseTo(track, p.index + 1);
    return;
  }
  if (!f.holding) {
    f.holding = true;
    f.heldTimestamp = p.timestamp;
  }
}

void Stream::releaseTo(StreamTrack& track, uint64_t end) {
  const size_t index = track.index();
  Frontier& f = frontiers_[index];
  const PacketHistory& h = track.history();
  const uint64_t from = std::max(f.next, h.tail());
  f.next = end;
  f.holding = false;
  if (from >= end) return;
  const TrackMask bit = TrackMask{1} << index;
  uint64_t keepFrom = UINT64_MAX;
  for (size_t i = 0; i < readers_.size(); ++i) {
    StreamReader* reader = readers_[i].reader;
    if (!reader) continue;
    if (readers_[i].catchUp) {
      feedCatchUp(i);  // the packets are in the history: the reader gets them when its pace allows
    } else if (readers_[i].tracks & bit) {
      for (uint64_t k = from; k < end; ++k) {
        const HistoryPacket* p = h.at(k);
        if (!p) continue;  // an index the source lost
        reader->onStreamPacket(index, *p);
        if (readers_[i].reader != reader) break;  // it left meanwhile
      }
    }
    // Also for a reader the catch-up just took to the live edge: an RTSP reader may not have
    // sent what it was handed yet.
    if (readers_[i].reader == reader) keepFrom = std::min(keepFrom, neededFrom(readers_[i], index));
  }
  track.keepHistoryFrom(keepFrom);
}

void Stream::resetFrontiers() {
  for (size_t i = 0; i < frontiers_.size(); ++i) {
    const StreamTrack* t = findTrack(i);
    frontiers_[i] = Frontier{};
    frontiers_[i].next = t ? t->history().head() : 0;
  }
}

void Stream::addReader(StreamReader* reader, TrackMask mask) {
  if (retired_) {
    reader->onStreamEnded(retireReason_);
    return;
  }
  readers_.push_back({reader, mask, nullptr});
  stats_.readers.store(static_cast<uint32_t>(readerCount()), std::memory_order_relaxed);
  updateTranscoding();
  // Start the reader at the last video keyframe so it decodes now, not at the camera's next
  // one, and its audio at the same capture instant. Without a keyframe yet, it starts live.
  const size_t pos = readers_.size() - 1;
  if (!beginCatchUp(readers_[pos])) return;
  ++fanoutDepth_;
  feedCatchUp(pos);
  --fanoutDepth_;
  if (readers_[pos].reader) {
    // Until the next fan-out recomputes it, the history keeps what this reader has yet to get
    // (or to send, an RTSP reader that took the whole cache at once).
    for (auto& t : tracks_)
      t->keepHistoryFrom(std::min(neededFrom(readers_[pos], t->index()), t->history().keptFrom()));
  }
  if (removedPending_ && fanoutDepth_ == 0) compactReaders();
}

uint64_t Stream::neededFrom(const ReaderEntry& entry, size_t track) {
  // Both pins count: what the stream has yet to hand a reader catching up, and what a reader
  // that sends from its own cursors (RTSP) has been handed but not sent yet, which is older.
  const uint64_t own = entry.reader->historyNeededFrom(track);
  return entry.catchUp ? std::min(own, entry.catchUp->next[track]) : own;
}

bool Stream::beginCatchUp(ReaderEntry& entry) {
  int64_t sinceUs = INT64_MIN;
  bool haveKeyframe = false;
  for (const auto& t : tracks_) {
    if (!t->video() || !(entry.tracks & (TrackMask{1} << t->index()))) continue;
    const uint64_t k = t->history().lastKeyframe();
    if (k == UINT64_MAX) continue;
    sinceUs = std::max(sinceUs, t->history().at(k)->captureUs);
    haveKeyframe = true;
  }
  if (!haveKeyframe) return false;
  const bool restart = entry.catchUp != nullptr;              // skipAhead: the reader already has packets
  if (!restart) entry.catchUp = std::make_unique<CatchUp>();  // control plane: once per join
  CatchUp& c = *entry.catchUp;
  c.fromUs = sinceUs;
  c.startedUs = now();
  for (size_t index = 0; index < kMaxTracks; ++index) {
    const StreamTrack* t = (entry.tracks & (TrackMask{1} << index)) ? findTrack(index) : nullptr;
    if (!t) {
      c.next[index] = CatchUp::kUnset;
      continue;
    }
    uint64_t start = t->startIndex(sinceUs);
    if (!restart && t->video() && entry.reader->startsFrameBeforeKeyframe()) {
      const uint64_t lead = t->history().keyframeLead();
      if (lead != UINT64_MAX && start == t->history().lastKeyframe()) start = lead;
    }
    // Nothing cached: from now on. Never below the history's oldest packet: the frontier can
    // lag behind it (a video frame held for its end that outgrew the history), and a cursor
    // there would be overrun at once, and moved ahead again without end.
    uint64_t next =
        std::max(start == UINT64_MAX ? frontier(index, t->history()) : start, t->history().tail());
    // A restart only moves a cursor forward: another track's may already be past the keyframe's
    // instant (a camera clock that stepped back, capture times that disagree across tracks),
    // and the reader has those packets.
    if (restart && c.next[index] != CatchUp::kUnset) next = std::max(next, c.next[index]);
    c.next[index] = next;
  }
  return true;
}

void Stream::feedCatchUp(size_t pos) {
  // Restored on every return; nested when a reader the history overran starts again (skipAhead).
  struct HandingCached {
    bool& flag;
    bool was;
    explicit HandingCached(bool& f) : flag(f), was(f) { flag = true; }
    ~HandingCached() { flag = was; }
  } handing(handingCached_);
  StreamReader* reader = readers_[pos].reader;
  CatchUp* c = readers_[pos].catchUp.get();  // stable while the reader is fed (owned by its entry)
  const TrackMask mask = readers_[pos].tracks;
  const int64_t elapsedUs = now() - c->startedUs;
  const int64_t dueUs =
      elapsedUs >= kMaxCatchUpUs ? INT64_MAX : c->fromUs + kCatchUpHeadStartUs + kCatchUpSpeed * elapsedUs;
  bool behind = false;
  for (size_t index = 0; index < kMaxTracks; ++index) {
    if (!(mask & (TrackMask{1} << index))) continue;
    const StreamTrack* t = findTrack(index);
    if (!t) continue;
    const PacketHistory& h = t->history();
    uint64_t& next = c->next[index];
    if (next == CatchUp::kUnset) next = h.tail();  // a track that appeared meanwhile: all it has
    if (next < h.tail()) {
      // The history dropped what this reader had yet to get. Video restarts at the last
      // keyframe (a decoder cannot go on over a gap); audio, which holds fewer seconds than a
      // long GOP, just goes on with what is left.
      if (t->video()) {
        skipAhead(pos);
        return;
      }
      next = h.tail();
    }
    for (const uint64_t end = frontier(index, h); next < end; ++next) {
      const HistoryPacket* p = h.at(next);
      if (!p) continue;  // an index the source lost
      if (p->captureUs > dueUs) {
        behind = true;
        break;
      }
      reader->onStreamPacket(index, *p);
      if (readers_[pos].reader != reader) return;  // it left meanwhile
    }
  }
  if (!behind) readers_[pos].catchUp.reset();  // at the live edge: fed by the fan-out from now on
}

void Stream::skipAhead(size_t pos) {
  const uint64_t skips = stats_.readerSkips.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t nowUs = now();
  if (skipLogUs_ == 0 || nowUs - skipLogUs_ >= 1'000'000) {
    skipLogUs_ = nowUs;
    log::info(
        "[path {}] a reader fell behind what the history holds; it continues at the last keyframe "
        "({} time(s) so far)",
        path_, skips);
  }
  // The history holds its last keyframe onwards, so a fresh start is not overrun at once.
  if (beginCatchUp(readers_[pos])) {
    feedCatchUp(pos);
  } else {
    readers_[pos].catchUp.reset();  // no keyframe held (a GOP longer than the history): live from here
  }
}

void Stream::removeReader(StreamReader* reader) {
  auto it = std::find_if(readers_.begin(), readers_.end(),
                         [&](const ReaderEntry& e) { return e.reader == reader; });
  if (it == readers_.end()) return;
  if (fanoutDepth_ > 0) {
    // Removed from inside a fan-out (the reader closed itself): compact afterwards.
    it->reader = nullptr;
    ++removedPending_;
  } else {
    readers_.erase(it);
  }
  stats_.readers.store(static_cast<uint32_t>(readerCount()), std::memory_order_relaxed);
  if (fanoutDepth_ == 0) updateTranscoding();  // else after the fan-out (compactReaders)
}

void Stream::compactReaders() {
  readers_.erase(
      std::remove_if(readers_.begin(), readers_.end(), [](const ReaderEntry& e) { return !e.reader; }),
      readers_.end());
  removedPending_ = 0;
  updateTranscoding();
}

}  // namespace sluice::stream
