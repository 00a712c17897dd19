#pragma once
// What one RTSP reader still has to send, as a cursor per track into the stream's shared
// history: no packet is copied or queued per reader, and the backlog costs no memory. The
// next packet is the oldest (by arrival) among the tracks' cursors, so tracks stay
// interleaved as they arrived.
//
// The history keeps what the cursors have yet to send (neededFrom, through the stream) past
// its retention before a keyframe, as long as its ring has room.
// Backlog policy (a slow TCP reader must never stall the worker or the other readers): past
// `limit` live packets waiting, or when the history has overwritten a packet the reader has
// not sent yet, the backlog is dropped and the reader resumes at the next video keyframe (and
// the audio captured from then on, never below what it already sent); a reader without video
// resumes with the next packet. Each skip is counted. The cached packets a new reader starts
// with (the keyframe and the paced rest of the GOP, Stream::handingCachedPackets) do not count
// toward `limit`: a reader slow to take them at first (a player still starting, a CPU-starved
// client) keeps its start, bounded by what the history holds.
// Single-threaded: the stream's worker.
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "stream/Stream.h"

namespace sluice::rtsp {

class RtspPlayQueue {
 public:
  RtspPlayQueue(const stream::Stream& stream, size_t limit);

  // A track this reader takes (PLAY), sent on `channel` (RTCP on channel + 1). `sentBefore`:
  // the first index this reader did not send before a PAUSE, so a resumed reader continues
  // where it stopped (or at a newer keyframe), never sending a packet twice.
  void addTrack(size_t streamTrack, uint8_t channel, bool video, uint64_t sentBefore = 0);
  // The first index of the stream's track this reader has not given its socket (0: none given).
  uint64_t sentUpTo(size_t streamTrack) const;
  // The stream handed on a packet of a track this reader takes (from inside
  // StreamReader::onStreamPacket: the stream says whether it is live or cached).
  void onPacket(size_t streamTrack, const stream::HistoryPacket& packet);

  // The next packet to send and its channel, or nullptr when the reader is caught up.
  const stream::HistoryPacket* front(uint8_t& channel);
  // Takes the front packet off (it was handed to the socket).
  void pop();
  // Position of the cursors, to put back packets a socket write did not take.
  struct Mark {  // no allocation: taken once per socket write
    std::array<uint64_t, stream::kMaxSourceTracks> cursors{};
    std::array<uint64_t, stream::kMaxSourceTracks> sent{};
    size_t waiting = 0, cachedWaiting = 0;
  };
  Mark mark() const;
  void rewind(const Mark& m);

  // The oldest index of the stream's track `streamTrack` this reader has yet to send
  // (UINT64_MAX: none, or it is skipping to a keyframe): the history keeps it.
  uint64_t neededFrom(size_t streamTrack) const;

  // Live packets waiting to be sent, the count `limit` bounds.
  size_t waiting() const { return waiting_; }
  // Cached packets (a new reader's start) waiting to be sent; they leave before any live one.
  size_t cachedWaiting() const { return cachedWaiting_; }
  uint64_t skips() const { return skips_; }
  uint64_t packetsDiscarded() const { return discarded_; }
  bool skipping() const { return skipping_; }

 private:
  struct Track {
    size_t streamTrack;
    uint8_t channel;
    bool video;
    uint64_t cursor = UINT64_MAX;  // next index to send; UINT64_MAX: starts with the next packet
    // Next index the socket has not been given: a cursor set anew (a start, a resume after a
    // skip) never goes below it, so no packet leaves twice, whatever the capture times say.
    uint64_t sent = 0;
  };
  const Track* find(size_t streamTrack) const;  // nullptr: a track this reader does not take
  Track* find(size_t streamTrack) { return const_cast<Track*>(std::as_const(*this).find(streamTrack)); }
  void skipToKeyframe();
  void resumeAt(const stream::HistoryPacket& keyframe);

  const stream::Stream& stream_;  // borrowed, outlives this (the reader detaches first)
  size_t limit_;
  std::vector<Track> tracks_;
  size_t frontTrack_ = SIZE_MAX;  // tracks_ index of the packet front() returned
  size_t waiting_ = 0;
  size_t cachedWaiting_ = 0;
  bool skipping_ = false;
  uint64_t skips_ = 0, discarded_ = 0;
};

}  // namespace sluice::rtsp
