#include "stream/Stream.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/Clock.h"
#include "core/Random.h"
#include "media/RtpPacket.h"

namespace sluice::stream {

Stream::Stream(std::string path, size_t historyCapacity, size_t maxPayload)
    : path_(std::move(path)), history_(historyCapacity), ingest_(maxPayload), ssrc_(core::random32()) {
  readers_.reserve(16);
}

void Stream::start(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps) {
  ingest_ = media::H264RtpIngest(ingest_.maxPayload());
  if (!sps.empty() && !pps.empty()) ingest_.setParameterSets(sps.data(), sps.size(), pps.data(), pps.size());
  history_.clear();
  stats_.readySinceUnixMs.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count(),
                                std::memory_order_relaxed);
  ready_.store(true, std::memory_order_release);
}

void Stream::stop(const std::string& reason) {
  ready_.store(false, std::memory_order_release);
  stats_.readySinceUnixMs.store(0, std::memory_order_relaxed);
  std::vector<StreamReader*> readers;
  readers.swap(readers_);
  removedPending_ = 0;
  stats_.readers.store(0, std::memory_order_relaxed);
  for (StreamReader* r : readers) {
    if (r) r->onStreamEnded(reason);
  }
  history_.clear();
}

media::IngestError Stream::ingestRtp(const uint8_t* data, size_t size) {
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
  if (in.lostBefore) {
    // Leave the gap in the sequence so receivers see the loss instead of decoding garbage.
    history_.skip(in.lostBefore);
    stats_.packetsLost.fetch_add(in.lostBefore, std::memory_order_relaxed);
  }
  HistoryPacket& p = history_.beginAppend();
  media::RtpHeader h;
  h.marker = in.marker;
  h.payloadType = payloadType();
  h.sequence = static_cast<uint16_t>(history_.head());
  h.timestamp = in.timestamp;
  h.ssrc = ssrc_;
  size_t hs = media::writeRtpHeader(p.data, h);
  std::memcpy(p.data + hs, in.payload, in.size);
  p.size = static_cast<uint16_t>(hs + in.size);
  p.timestamp = in.timestamp;
  p.marker = in.marker;
  p.keyframeStart = in.keyframeStart;
  p.arrivalUs = core::monotonicUs();
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
