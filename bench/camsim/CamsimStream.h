#pragma once
// One simulated camera (camK): loops the clip at real-time pace on absolute deadlines and
// fans every frame out to the sessions playing it. Track 0 is the video; track 1, if the
// stream has audio, one audio packet per "frame" on deadlines of its own.
//
// Frame n is due at origin + n/fps and carries RTP timestamp base + n*90000/fps, both
// computed from n rather than accumulated, so nothing drifts and timestamps keep growing
// across loops. Its sequence numbers follow from the packet count of the clip, so a PLAY
// can announce the exact seq/rtptime of the frame a session will start with.
//
// Audio packet n (j = n mod packets per loop, L = n div it) is at sample
// L x (the video loop's length at the audio clock) + j x samplesPerPacket: both tracks
// restart together every loop, and their deadlines and RTP
// timestamps derive from the same origin, so the sender reports of both tracks map their
// RTP times onto one wall clock (lip sync). An audio clip longer than the video loop is cut
// at the loop; a shorter one leaves silence (no packets) at the end of the loop.
//
// Each frame is patched once into a slot of a small ring and every session is handed the
// same bytes; a slot stays untouched for kRing frames (kAudioRing audio packets), which is
// how long a TCP session may hold on to one (see CamsimSession).
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "camsim/CamsimAudioClip.h"
#include "camsim/CamsimClip.h"
#include "core/Log.h"

namespace sluice::camsim {

class CamsimSession;
class CamsimUdpSender;

// A frame ready to send: interleaved run (see CamsimClip) with this stream's header fields.
inline constexpr uint8_t kVideoTrack = 0, kAudioTrack = 1, kMaxTracks = 2;

struct CamsimFrame {
  uint64_t number = 0;  // per track
  uint8_t track = kVideoTrack;
  const uint8_t* data = nullptr;
  size_t size = 0;
  uint32_t packets = 0;
  uint32_t payloadOctets = 0;
  bool keyframe = false;
};

class CamsimStream {
 public:
  static constexpr uint64_t kRing = 8;
  static constexpr uint64_t kAudioRing = 32;  // 640 ms of PCMU, 680 ms of AAC at 48 kHz

  // `number` is K of camK; `originUs` (monotonic) is when frame 0 (and audio packet 0) is
  // due. `audio` may be null; borrowed, outlives this.
  CamsimStream(const CamsimClip& clip, const CamsimAudioClip* audio, int number, int fps, int64_t originUs,
               std::string sdp);
  CamsimStream(const CamsimStream&) = delete;
  CamsimStream& operator=(const CamsimStream&) = delete;

  const std::string& name() const { return name_; }
  const std::string& sdp() const { return sdp_; }
  const CamsimClip& clip() const { return clip_; }
  const CamsimAudioClip* audio() const { return audio_; }
  size_t trackCount() const { return audio_ ? 2 : 1; }
  uint32_t ssrc(uint8_t track) const { return track == kAudioTrack ? audioSsrc_ : ssrc_; }
  size_t viewers() const { return viewers_.size(); }

  int64_t nextDeadlineUs() const {
    return audio_ ? std::min(deadlineUs(next_), audioDeadlineUs(audioNext_)) : deadlineUs(next_);
  }
  // Sends the next video frame and the next audio packet that are due by `horizonUs` to
  // every playing session (at most one of each per call). Returns the deliveries.
  size_t sendDue(int64_t nowUs, int64_t horizonUs, CamsimUdpSender& udp);

  // Where a session that starts playing now begins: the next keyframe to be sent, and the
  // first audio packet at or after that keyframe's instant (audio from the same moment).
  struct StartPoint {
    uint16_t sequence;
    uint32_t rtpTime;
    uint64_t number;  // of the frame / audio packet
  };
  StartPoint nextKeyframe() const;
  // The first audio packet due at or after monotonic time `atUs` and not sent yet.
  StartPoint audioStartAt(int64_t atUs) const;
  int64_t deadlineUs(uint64_t frame) const {
    return originUs_ + static_cast<int64_t>(frame * 1000000 / fps_);
  }
  // The RTP timestamp of a track that corresponds to monotonic time `us` (sender reports).
  uint32_t rtpTimestampAt(uint8_t track, int64_t us) const;

  void attach(CamsimSession* session);
  void detach(CamsimSession* session);

 private:
  uint16_t sequenceOf(uint64_t n) const;
  uint32_t timestampOf(uint64_t n) const { return tsBase_ + static_cast<uint32_t>(n * 90000 / fps_); }
  CamsimFrame build(uint64_t n);
  size_t sendVideo(int64_t nowUs, CamsimUdpSender& udp);

  // Audio (only with audio_).
  // Loop L starts at sample L x frames x rate / fps, computed whole (not L x a rounded loop
  // length), so audio never drifts from the video, however long it runs.
  uint64_t audioSampleOf(uint64_t n) const {
    return (n / audioPerLoop_) * clip_.frameCount() * audio_->clockRate() / fps_ +
           (n % audioPerLoop_) * audio_->samplesPerPacket();
  }
  int64_t audioDeadlineUs(uint64_t n) const {
    return originUs_ + static_cast<int64_t>(audioSampleOf(n) * 1000000 / audio_->clockRate());
  }
  CamsimFrame buildAudio(uint64_t n);
  size_t sendAudio(int64_t nowUs, CamsimUdpSender& udp);

  const CamsimClip& clip_;
  const CamsimAudioClip* audio_;  // borrowed, outlives this; null: video only
  std::string name_;
  std::string sdp_;
  uint64_t fps_;
  int64_t originUs_;
  uint32_t ssrc_, tsBase_;
  uint16_t seqBase_;
  uint64_t next_ = 0;  // number of the next frame to send
  std::array<std::vector<uint8_t>, kRing> slots_;
  uint32_t audioSsrc_ = 0, audioTsBase_ = 0;
  uint16_t audioSeqBase_ = 0;
  uint64_t audioNext_ = 0;     // number of the next audio packet to send
  uint64_t audioPerLoop_ = 1;  // audio packets in one loop of the video
  uint64_t loopSamples_ = 0;   // one loop of the video at the audio clock, rounded
  std::array<std::vector<uint8_t>, kAudioRing> audioSlots_;
  std::vector<CamsimSession*> viewers_;
  log::RateLimit lateLog_;
};

}  // namespace sluice::camsim
