#pragma once
// One simulated camera (camK): loops the clip at real-time pace on absolute deadlines and
// fans every frame out to the sessions playing it.
//
// Frame n is due at origin + n/fps and carries RTP timestamp base + n*90000/fps, both
// computed from n rather than accumulated, so nothing drifts and timestamps keep growing
// across loops. Its sequence numbers follow from the packet count of the clip, so a PLAY
// can announce the exact seq/rtptime of the frame a session will start with.
//
// Each frame is patched once into a slot of a small ring and every session is handed the
// same bytes; a slot stays untouched for kRing frames, which is how long a TCP session
// may hold on to one (see CamsimSession).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "camsim/CamsimClip.h"
#include "core/Log.h"

namespace sluice::camsim {

class CamsimSession;
class CamsimUdpSender;

// A frame ready to send: interleaved run (see CamsimClip) with this stream's header fields.
struct CamsimFrame {
  uint64_t number = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;
  uint32_t packets = 0;
  uint32_t payloadOctets = 0;
  bool keyframe = false;
};

class CamsimStream {
 public:
  static constexpr uint64_t kRing = 8;

  // `number` is K of camK; `originUs` (monotonic) is when frame 0 is due.
  CamsimStream(const CamsimClip& clip, int number, int fps, int64_t originUs, std::string sdp);
  CamsimStream(const CamsimStream&) = delete;
  CamsimStream& operator=(const CamsimStream&) = delete;

  const std::string& name() const { return name_; }
  const std::string& sdp() const { return sdp_; }
  const CamsimClip& clip() const { return clip_; }
  uint32_t ssrc() const { return ssrc_; }
  size_t viewers() const { return viewers_.size(); }

  int64_t nextDeadlineUs() const { return deadlineUs(next_); }
  // Sends the next frame to every playing session (call when it is due). Returns the
  // number of sessions it went to.
  size_t sendNextFrame(int64_t nowUs, CamsimUdpSender& udp);

  // Where a session that starts playing now begins: the next keyframe to be sent.
  struct StartPoint {
    uint16_t sequence;
    uint32_t rtpTime;
  };
  StartPoint nextKeyframe() const;
  // The RTP timestamp that corresponds to monotonic time `us` (sender reports).
  uint32_t rtpTimestampAt(int64_t us) const;

  void attach(CamsimSession* session);
  void detach(CamsimSession* session);

 private:
  int64_t deadlineUs(uint64_t n) const { return originUs_ + static_cast<int64_t>(n * 1000000 / fps_); }
  uint16_t sequenceOf(uint64_t n) const;
  uint32_t timestampOf(uint64_t n) const { return tsBase_ + static_cast<uint32_t>(n * 90000 / fps_); }
  CamsimFrame build(uint64_t n);

  const CamsimClip& clip_;
  std::string name_;
  std::string sdp_;
  uint64_t fps_;
  int64_t originUs_;
  uint32_t ssrc_, tsBase_;
  uint16_t seqBase_;
  uint64_t next_ = 0;  // number of the next frame to send
  std::array<std::vector<uint8_t>, kRing> slots_;
  std::vector<CamsimSession*> viewers_;
  log::RateLimit lateLog_;
};

}  // namespace sluice::camsim
