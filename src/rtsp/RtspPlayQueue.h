#pragma once
// What one RTSP reader still has to send, as a cursor per track into the stream's shared
// history: no packet is copied or queued per reader, and the backlog costs no memory. The
// next packet is the oldest (by arrival) among the tracks' cursors, so tracks stay
// interleaved as they arrived.
//
// The history keeps what the cursors have yet to send (neededFrom, through the stream) past
// its retention before a keyframe, as long as its ring has room.
// Backlog policy (a slow TCP reader must never stall the worker or the other readers): past
// `limit` packets waiting (besides the keyframe replay a new reader starts with), or when the
// history has overwritten a packet the reader has not sent yet, the backlog is dropped and the
// reader resumes at the next video keyframe (and the audio captured from then on); a reader
// without video resumes with the next packet. Each skip is counted.
// Single-threaded: the stream's worker.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "stream/Stream.h"

namespace sluice::rtsp {

class RtspPlayQueue {
 public:
  RtspPlayQueue(const stream::Stream& stream, size_t limit);

  // A track this reader takes (PLAY), sent on `channel` (RTCP on channel + 1).
  void addTrack(size_t streamTrack, uint8_t channel, bool video);
  // The stream stored a packet of a track this reader takes. `replay`: part of the burst a
  // new reader starts with.
  void onPacket(size_t streamTrack, const stream::HistoryPacket& packet, bool replay);

  // The next packet to send and its channel, or nullptr when the reader is caught up.
  const stream::HistoryPacket* front(uint8_t& channel);
  // Takes the front packet off (it was handed to the socket).
  void pop();
  // Position of the cursors, to put back packets a socket write did not take.
  struct Mark {  // no allocation: taken once per socket write
    std::array<uint64_t, stream::kMaxSourceTracks> cursors{};
    size_t waiting = 0;
  };
  Mark mark() const;
  void rewind(const Mark& m);

  // The oldest index of the stream's track `streamTrack` this reader has yet to send
  // (UINT64_MAX: none, or it is skipping to a keyframe): the history keeps it.
  uint64_t neededFrom(size_t streamTrack) const;

  // Packets waiting to be sent (live ones; the replay burst is not counted).
  size_t waiting() const { return waiting_; }
  uint64_t skips() const { return skips_; }
  uint64_t packetsDiscarded() const { return discarded_; }
  bool skipping() const { return skipping_; }

 private:
  struct Track {
    size_t streamTrack;
    uint8_t channel;
    bool video;
    uint64_t cursor = UINT64_MAX;  // next index to send; UINT64_MAX: starts with the next packet
  };
  void skipToKeyframe();
  void resumeAt(const stream::HistoryPacket& keyframe);

  const stream::Stream& stream_;  // borrowed, outlives this (the reader detaches first)
  size_t limit_;
  std::vector<Track> tracks_;
  size_t frontTrack_ = SIZE_MAX;  // tracks_ index of the packet front() returned
  size_t waiting_ = 0;
  bool skipping_ = false;
  uint64_t skips_ = 0, discarded_ = 0;
};

}  // namespace sluice::rtsp
