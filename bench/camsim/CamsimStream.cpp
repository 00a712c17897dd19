#include "camsim/CamsimStream.h"

#include <algorithm>
#include <cstring>

#include "camsim/CamsimSession.h"
#include "core/Random.h"
#include "media/RtpPacket.h"

namespace sluice::camsim {
namespace {
// Behind by more than this (a stalled process), jump to the present instead of bursting
// out every missed frame: a real camera does not deliver the past either.
constexpr int64_t kMaxLateUs = 1000000;
}  // namespace

CamsimStream::CamsimStream(const CamsimClip& clip, int number, int fps, int64_t originUs, std::string sdp)
    : clip_(clip),
      name_("cam" + std::to_string(number)),
      sdp_(std::move(sdp)),
      fps_(static_cast<uint64_t>(fps)),
      originUs_(originUs),
      ssrc_(core::random32()),
      tsBase_(core::random32()),
      seqBase_(static_cast<uint16_t>(core::random32())) {
  for (auto& slot : slots_) slot.resize(clip.maxFrameSize());
}

uint16_t CamsimStream::sequenceOf(uint64_t n) const {
  uint64_t loops = n / clip_.frameCount();
  uint64_t sent = loops * clip_.packetsPerLoop() + clip_.packetsBefore(n % clip_.frameCount());
  return static_cast<uint16_t>(seqBase_ + sent);
}

uint32_t CamsimStream::rtpTimestampAt(int64_t us) const {
  // 90 kHz clock: 9 ticks per 100 µs. Signed so an instant before the origin still maps.
  int64_t ticks = (us - originUs_) * 9 / 100;
  return tsBase_ + static_cast<uint32_t>(ticks);
}

CamsimStream::StartPoint CamsimStream::nextKeyframe() const {
  uint64_t n = next_ + clip_.framesToKeyframe(next_ % clip_.frameCount());
  return {sequenceOf(n), timestampOf(n)};
}

CamsimFrame CamsimStream::build(uint64_t n) {
  size_t index = n % clip_.frameCount();
  const CamsimClipFrame& cf = clip_.frame(index);
  uint8_t* out = slots_[n % kRing].data();
  std::memcpy(out, clip_.frameData(index), cf.size);
  uint16_t seq = sequenceOf(n);
  uint32_t ts = timestampOf(n);
  for (size_t off = 0; off < cf.size;) {
    uint8_t* rtp = out + off + kInterleavedPrefix;
    media::setSequence(rtp, seq++);
    media::setTimestamp(rtp, ts);
    media::setSsrc(rtp, ssrc_);
    off += kInterleavedPrefix + media::readBe16(out + off + 2);
  }
  return {n, out, cf.size, cf.packets, cf.payloadOctets, cf.keyframe};
}

size_t CamsimStream::sendNextFrame(int64_t nowUs, CamsimUdpSender& udp) {
  if (nowUs - deadlineUs(next_) > kMaxLateUs) {
    uint64_t present = static_cast<uint64_t>((nowUs - originUs_) * static_cast<int64_t>(fps_) / 1000000);
    uint64_t suppressed = 0;
    if (lateLog_.allow(suppressed)) {
      log::warn("[camsim] {}: {} frames late, skipping to the present ({} more)", name_, present - next_,
                suppressed);
    }
    next_ = present;
    // The skipped frames are gone for good: restart every reader at a keyframe.
    for (auto* v : viewers_) v->waitForKeyframe();
  }
  uint64_t n = next_++;
  if (viewers_.empty()) return 0;  // nobody to send to: keep time, skip the copy
  // The slot about to be overwritten may still be held by a TCP session that has not been
  // able to write anything for kRing frame intervals (its kernel buffer is full too): such
  // a reader is hopeless, close it rather than send it torn frames. Backwards, because a
  // closing session removes itself (swap with the last, pop).
  if (n >= kRing) {
    for (size_t i = viewers_.size(); i-- > 0;) {
      CamsimSession* v = viewers_[i];
      if (v->holdsFrameBefore(n - kRing + 1)) v->close("too slow: stopped reading");
    }
  }
  CamsimFrame frame = build(n);
  for (size_t i = viewers_.size(); i-- > 0;) viewers_[i]->onFrame(frame, nowUs, udp);
  return viewers_.size();
}

void CamsimStream::attach(CamsimSession* session) {
  if (std::find(viewers_.begin(), viewers_.end(), session) == viewers_.end()) viewers_.push_back(session);
}

void CamsimStream::detach(CamsimSession* session) {
  auto it = std::find(viewers_.begin(), viewers_.end(), session);
  if (it == viewers_.end()) return;
  *it = viewers_.back();
  viewers_.pop_back();
}

}  // namespace sluice::camsim
