#include "camsim/CamsimStream.h"

#include <algorithm>
#include <cstring>

#include "camsim/CamsimSession.h"
#include "core/Clock.h"
#include "core/Random.h"
#include "media/RtpPacket.h"

namespace sluice::camsim {
namespace {
// Behind by more than this (a stalled process), jump to the present instead of bursting
// out every missed frame: a real camera does not deliver the past either.
constexpr int64_t kMaxLateUs = 1000000;
}  // namespace

CamsimStream::CamsimStream(const CamsimClip& clip, const CamsimAudioClip* audio, int number, int fps,
                           int64_t originUs, std::string sdp)
    : clip_(clip),
      audio_(audio),
      name_("cam" + std::to_string(number)),
      sdp_(std::move(sdp)),
      fps_(static_cast<uint64_t>(fps)),
      originUs_(originUs),
      ssrc_(core::random32()),
      tsBase_(core::random32()),
      seqBase_(static_cast<uint16_t>(core::random32())) {
  for (auto& slot : slots_) slot.resize(clip.maxFrameSize());
  if (audio_) {
    audioSsrc_ = core::random32();
    audioTsBase_ = core::random32();
    audioSeqBase_ = static_cast<uint16_t>(core::random32());
    // Rounded to whole samples; only for the packet count and loop skipping (see audioSampleOf).
    loopSamples_ = (uint64_t{clip.frameCount()} * audio_->clockRate() + fps_ / 2) / fps_;
    uint64_t spp = audio_->samplesPerPacket();
    audioPerLoop_ =
        std::max<uint64_t>(1, std::min<uint64_t>(audio_->packetCount(), (loopSamples_ + spp - 1) / spp));
    for (auto& slot : audioSlots_) slot.resize(audio_->maxPacketSize());
  }
  // Started in the past (CamsimOptions::spreadClip): begin with the present frame and audio
  // packet, as a camera that has been running that long would.
  const int64_t nowUs = core::monotonicUs();
  if (originUs_ < nowUs) {
    next_ = static_cast<uint64_t>((nowUs - originUs_) * static_cast<int64_t>(fps_) / 1000000);
    if (audio_) audioNext_ = audioStartAt(nowUs).number;
  }
}

uint16_t CamsimStream::sequenceOf(uint64_t n) const {
  uint64_t loops = n / clip_.frameCount();
  uint64_t sent = loops * clip_.packetsPerLoop() + clip_.packetsBefore(n % clip_.frameCount());
  return static_cast<uint16_t>(seqBase_ + sent);
}

uint32_t CamsimStream::rtpTimestampAt(uint8_t track, int64_t us) const {
  // Signed so an instant before the origin still maps. Video: 90 kHz, 9 ticks per 100 µs.
  if (track == kAudioTrack && audio_) {
    int64_t ticks = (us - originUs_) * static_cast<int64_t>(audio_->clockRate()) / 1000000;
    return audioTsBase_ + static_cast<uint32_t>(ticks);
  }
  int64_t ticks = (us - originUs_) * 9 / 100;
  return tsBase_ + static_cast<uint32_t>(ticks);
}

CamsimStream::StartPoint CamsimStream::nextKeyframe() const {
  uint64_t n = next_ + clip_.framesToKeyframe(next_ % clip_.frameCount());
  return {sequenceOf(n), timestampOf(n), n};
}

CamsimStream::StartPoint CamsimStream::audioStartAt(int64_t at) const {
  // From the next packet to send, step over whole loops, then packets (at most a loop's).
  uint64_t n = audioNext_;
  uint64_t loopUs = loopSamples_ * 1000000 / audio_->clockRate();
  if (loopUs > 0 && at > audioDeadlineUs(n))
    n += static_cast<uint64_t>(at - audioDeadlineUs(n)) / loopUs * audioPerLoop_;
  while (audioDeadlineUs(n) < at) ++n;
  return {static_cast<uint16_t>(audioSeqBase_ + n), audioTsBase_ + static_cast<uint32_t>(audioSampleOf(n)),
          n};
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
  return {n, kVideoTrack, out, cf.size, cf.packets, cf.payloadOctets, cf.keyframe};
}

CamsimFrame CamsimStream::buildAudio(uint64_t n) {
  size_t index = n % audioPerLoop_;
  const CamsimClipFrame& cf = audio_->packet(index);
  uint8_t* out = audioSlots_[n % kAudioRing].data();
  std::memcpy(out, audio_->packetData(index), cf.size);
  uint8_t* rtp = out + kInterleavedPrefix;
  media::setSequence(rtp, static_cast<uint16_t>(audioSeqBase_ + n));
  media::setTimestamp(rtp, audioTsBase_ + static_cast<uint32_t>(audioSampleOf(n)));
  media::setSsrc(rtp, audioSsrc_);
  return {n, kAudioTrack, out, cf.size, 1, cf.payloadOctets, true};
}

size_t CamsimStream::sendDue(int64_t nowUs, int64_t horizonUs, CamsimUdpSender& udp) {
  size_t deliveries = 0;
  if (deadlineUs(next_) <= horizonUs) deliveries += sendVideo(nowUs, udp);
  if (audio_ && audioDeadlineUs(audioNext_) <= horizonUs) deliveries += sendAudio(nowUs, udp);
  return deliveries;
}

size_t CamsimStream::sendAudio(int64_t nowUs, CamsimUdpSender& udp) {
  if (nowUs - audioDeadlineUs(audioNext_) > kMaxLateUs) {
    // Stalled: jump to the present with the video (the video's own check restarts readers).
    uint64_t loopUs = loopSamples_ * 1000000 / audio_->clockRate();
    if (loopUs > 0) {
      audioNext_ += static_cast<uint64_t>(nowUs - audioDeadlineUs(audioNext_)) / loopUs * audioPerLoop_;
    }
    while (audioDeadlineUs(audioNext_) < nowUs - kMaxLateUs) ++audioNext_;
  }
  uint64_t n = audioNext_++;
  if (viewers_.empty()) return 0;
  if (n >= kAudioRing) {
    for (size_t i = viewers_.size(); i-- > 0;) {
      CamsimSession* v = viewers_[i];
      if (v->holdsFrameBefore(kAudioTrack, n - kAudioRing + 1)) v->close("too slow: stopped reading");
    }
  }
  CamsimFrame packet = buildAudio(n);
  for (size_t i = viewers_.size(); i-- > 0;) viewers_[i]->onFrame(packet, nowUs, udp);
  return viewers_.size();
}

size_t CamsimStream::sendVideo(int64_t nowUs, CamsimUdpSender& udp) {
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
      if (v->holdsFrameBefore(kVideoTrack, n - kRing + 1)) v->close("too slow: stopped reading");
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
