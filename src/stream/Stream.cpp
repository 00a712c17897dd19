#include "stream/Stream.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/Clock.h"
#include "core/Random.h"
#include "media/RtpPacket.h"

namespace sluice::stream {

namespace {
int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Stream::Stream(std::string path, size_t historyCapacity, size_t maxPayload, Clock clock)
    : path_(std::move(path)),
      clock_(clock ? clock : &core::monotonicUs),
      history_(historyCapacity),
      ingest_(maxPayload),
      ssrc_(core::random32()) {
  readers_.reserve(16);
}

StartResult Stream::start(const TrackFormat& format) {
  StartResult result = StartResult::Fresh;
  const bool wasSuspended = suspended_;
  if (suspended_ || ready()) {
    // Readers of the previous segment (suspended, or still running when one source hands
    // over to another) continue if their decoder can.
    if (format.codec != format_.codec) {
      endReaders("the source came back with codec " + format.codec + ", the readers were receiving " +
                 format_.codec);
      result = StartResult::Replaced;
    } else {
      result = StartResult::Resumed;
      awaitingKeyframe_ = true;
      stats_.resumes.fetch_add(1, std::memory_order_relaxed);
    }
  }
  suspended_ = false;
  stats_.suspended.store(false, std::memory_order_relaxed);
  format_ = format;
  ingest_ = media::H264RtpIngest(ingest_.maxPayload());
  if (!format.sps.empty() && !format.pps.empty()) {
    ingest_.setParameterSets(format.sps.data(), format.sps.size(), format.pps.data(), format.pps.size());
  }
  history_.clear();
  timeline_.beginSegment();
  stats_.readySinceUnixMs.store(wallClockMs(), std::memory_order_relaxed);
  ready_.store(true, std::memory_order_release);
  if (wasSuspended && result == StartResult::Resumed) {
    ++fanoutDepth_;
    for (size_t i = 0; i < readers_.size(); ++i) {
      if (readers_[i]) readers_[i]->onStreamResumed();
    }
    --fanoutDepth_;
    if (removedPending_ && fanoutDepth_ == 0) compactReaders();
  }
  return result;
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
  awaitingKeyframe_ = false;
  history_.clear();
  ++fanoutDepth_;
  for (size_t i = 0; i < readers_.size(); ++i) {
    if (readers_[i]) readers_[i]->onStreamSuspended(reason);
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
  awaitingKeyframe_ = false;
  endReaders(reason);
  history_.clear();
}

void Stream::endReaders(const std::string& reason) {
  std::vector<StreamReader*> readers;
  readers.swap(readers_);
  readers_.reserve(16);
  removedPending_ = 0;
  stats_.readers.store(0, std::memory_order_relaxed);
  for (StreamReader* r : readers) {
    if (r) r->onStreamEnded(reason);
  }
}

media::IngestError Stream::ingestRtp(const uint8_t* data, size_t size) {
  if (suspended_) return media::IngestError::None;  // the source said it is gone
  stats_.packetsIn.fetch_add(1, std::memory_order_relaxed);
  stats_.bytesIn.fetch_add(size, std::memory_order_relaxed);
  ++fanoutDepth_;
  media::IngestError err = ingest_.push(data, size, *this);
  --fanoutDepth_;
  if (err != media::IngestError::None) stats_.ingestErrors.fetch_add(1, std::memory_order_relaxed);
  if (removedPending_ && fanoutDepth_ == 0) compactReaders();
  return err;
}

void Stream::onShapedPacket(const media::ShapedPacket& in) {
  if (in.size > kMaxRtpPayload) return;  // the shaper guarantees this; never overrun a slot
  if (awaitingKeyframe_) {
    // A resumed segment starts at its first IDR: what comes before cannot be decoded by the
    // readers, and dropping it here (not skipping indexes) keeps their sequence gap-free.
    if (!in.keyframeStart) {
      stats_.packetsBeforeKeyframe.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    awaitingKeyframe_ = false;
  } else if (in.lostBefore) {
    // Leave the gap in the sequence so receivers see the loss instead of decoding garbage.
    history_.skip(in.lostBefore);
    stats_.packetsLost.fetch_add(in.lostBefore, std::memory_order_relaxed);
  }
  const int64_t nowUs = now();
  HistoryPacket& p = history_.beginAppend();
  media::RtpHeader h;
  h.marker = in.marker;
  h.payloadType = payloadType();
  h.sequence = static_cast<uint16_t>(history_.head());
  h.timestamp = timeline_.map(in.timestamp, nowUs);
  h.ssrc = ssrc_;
  size_t hs = media::writeRtpHeader(p.data, h);
  std::memcpy(p.data + hs, in.payload, in.size);
  p.size = static_cast<uint16_t>(hs + in.size);
  p.timestamp = h.timestamp;
  p.marker = in.marker;
  p.keyframeStart = in.keyframeStart;
  p.arrivalUs = nowUs;
  history_.commit();
  stats_.packetsStored.fetch_add(1, std::memory_order_relaxed);

  for (size_t i = 0; i < readers_.size(); ++i) {
    if (readers_[i]) readers_[i]->onStreamPacket(p);
  }
}

void Stream::addReader(StreamReader* reader) {
  readers_.push_back(reader);
  stats_.readers.store(static_cast<uint32_t>(readerCount()), std::memory_order_relaxed);
  // Start the reader at the last keyframe so it decodes now, not at the camera's next IDR.
  uint64_t k = history_.lastKeyframe();
  if (k == UINT64_MAX) return;
  const size_t pos = readers_.size() - 1;
  ++fanoutDepth_;
  for (uint64_t i = k; i < history_.head() && readers_[pos] == reader; ++i) {
    const HistoryPacket* p = history_.at(i);
    if (p) reader->onStreamPacket(*p);
  }
  --fanoutDepth_;
  if (removedPending_ && fanoutDepth_ == 0) compactReaders();
}

void Stream::removeReader(StreamReader* reader) {
  auto it = std::find(readers_.begin(), readers_.end(), reader);
  if (it == readers_.end()) return;
  if (fanoutDepth_ > 0) {
    // Removed from inside a fan-out (the reader closed itself): compact afterwards.
    *it = nullptr;
    ++removedPending_;
  } else {
    readers_.erase(it);
  }
  stats_.readers.store(static_cast<uint32_t>(readerCount()), std::memory_order_relaxed);
}

void Stream::compactReaders() {
  readers_.erase(std::remove(readers_.begin(), readers_.end(), nullptr), readers_.end());
  removedPending_ = 0;
}

}  // namespace sluice::stream
