#pragma once
// One source, many readers, N tracks. Each track's RTP packets are shaped once per stream
// (StreamTrack: H.264/H.265 parameter sets before each keyframe, re-fragmented to WebRTC's
// payload size; audio passed through) into the track's shared PacketHistory; every reader is
// handed the same stored packets of the tracks it asked for. A new reader starts at the last
// video keyframe in the history, and its audio at the same capture instant, so it decodes at
// once and in sync; the cached packets after the keyframe are paced (kCatchUpSpeed) until the
// reader reaches the live edge. While it catches up a reader is a cursor into the histories;
// one the history overran skips ahead to the last keyframe (counted, logged).
//
// Live readers get video a whole access unit at a time: a track's packets are held until the
// one that ends the frame (RTP marker) is stored, then each reader is handed the frame's
// packets in a row. A viewer's frame thus leaves as one run of equal-size datagrams (one UDP
// GSO message) however many viewers share the worker's batch, and no packet waits longer than
// its frame takes to arrive, which a decoder waits for anyway. A source that does not mark its
// frames' ends is forwarded packet by packet (logged). Audio is handed on at once. Video whose
// frames come out of presentation order (B-frames) is forwarded too, and noticed once a
// segment: the track's readers are told (WebRTC readers, which browsers would stall on, end).
//
// Sources come and go without readers noticing: a stream runs as a series of segments (a
// camera's session, its restart, the offline slate), each begun by start(). Between two,
// suspend() keeps the readers attached; the next segment continues the sequence numbers
// (history indexes never restart) and the timestamps (OutputTimeline) and is delivered from
// its first keyframe, so a reader's decoder goes on as after any IDR. A suspension longer
// than the grace given to suspend(), or a segment whose tracks changed codec, ends the readers.
// Single-threaded: everything here runs on the stream's worker, except the atomics and the
// format snapshot (control plane, behind a mutex).
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "stream/AudioTranscoding.h"
#include "stream/CaptureClock.h"
#include "stream/StreamFormat.h"
#include "stream/StreamTrack.h"

namespace sluice::stream {

class Stream;

class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // A packet of track `track` to forward. After attach, first the cached packets from the last
  // keyframe: paced, each track in order, the tracks interleaved by capture time.
  virtual void onStreamPacket(size_t track, const HistoryPacket& packet) = 0;
  // The stream ended; the reader is already detached when this is called.
  virtual void onStreamEnded(const std::string& reason) = 0;
  // The source went away and may come back (the reader stays attached), and came back:
  // informational, the packets simply pause and resume.
  virtual void onStreamSuspended(const std::string& reason) {}
  virtual void onStreamResumed() {}
  // A new segment continues this reader, after a suspension or when one source hands over to
  // another without one (the offline slate to the camera): format() is the new segment's, which
  // may have gained tracks. Called before onStreamResumed().
  virtual void onStreamSegment() {}
  // Video track `track`, which this reader receives, carries frames out of presentation order
  // (B-frames): called once a segment. A reader that cannot forward them (WebRTC) ends itself.
  virtual void onVideoReordered(size_t track) {}
  // The oldest index of `track` this reader has yet to take from the history itself (a reader
  // that sends from its own cursors, as an RTSP reader whose socket is behind): the history
  // keeps it past the retention before a keyframe. UINT64_MAX: none (it was handed everything).
  virtual uint64_t historyNeededFrom(size_t track) const { return UINT64_MAX; }
  // Asked once, at attach: start the video one frame before the cached keyframe (when the
  // history has it). For readers whose first frame is lost to them anyway (ffmpeg's RTSP
  // demuxer gives it no timestamp): they lose that frame instead of the keyframe.
  virtual bool startsFrameBeforeKeyframe() const { return false; }
};

enum class StartResult {
  Fresh,     // no reader was waiting: a new stream
  Resumed,   // suspended readers continue with this segment
  Replaced,  // suspended readers were ended: a track changed codec
};

struct StreamStats {
  std::atomic<uint64_t> packetsIn{0};
  std::atomic<uint64_t> bytesIn{0};
  std::atomic<uint64_t> packetsStored{0};
  std::atomic<uint64_t> ingestErrors{0};
  std::atomic<uint64_t> packetsLost{0};
  std::atomic<uint32_t> readers{0};
  std::atomic<int64_t> readySinceUnixMs{0};        // 0 while not ready
  std::atomic<uint64_t> resumes{0};                // segments that continued suspended readers
  std::atomic<uint64_t> packetsBeforeKeyframe{0};  // dropped while a resumed segment awaited its IDR
  std::atomic<bool> suspended{false};              // source away, readers kept
  std::atomic<uint32_t> reorderedVideo{0};         // a bit per video track with B-frames this segment
  std::atomic<uint32_t> transcoding{0};            // tracks being transcoded to Opus now
  std::atomic<uint64_t> readerSkips{
      0};  // catching-up readers the history overran: moved to the last keyframe
};

// A bit per track index: which tracks a reader receives.
using TrackMask = uint32_t;
constexpr TrackMask kAllTracks = ~TrackMask{0};
constexpr size_t kMaxTracks = 32;                                  // mask bits: source + transcoded
constexpr size_t kMaxSourceTracks = StreamTrack::kTranscodedBase;  // a source's tracks beyond are ignored

class Stream : private TrackOwner {
 public:
  using Clock = int64_t (*)();  // monotonic microseconds; injectable for tests

  // Catching up: a new reader gets at once what was captured in the first
  // kCatchUpHeadStartUs from the cached keyframe (its first frames: it starts decoding now),
  // then the rest of the cache at kCatchUpSpeed times the stream's own pace, until it reaches
  // the live edge. Sent in one go, a 4 s GOP (megabytes) overflows a viewer's link and the
  // socket buffers of every viewer joining with it, and the losses cost its start. The pace is
  // kept by the stream's own packets (no timer): each one releases what is due. After
  // kMaxCatchUpUs (a clock anomaly) whatever is left goes at once.
  static constexpr int64_t kCatchUpHeadStartUs = 200'000;
  static constexpr int64_t kCatchUpSpeed = 4;
  static constexpr int64_t kMaxCatchUpUs = 4'000'000;
  // Access units in a row that may end without a marker (lost packets) before a video track
  // is forwarded packet by packet: each such unit waits for the next one's first packet.
  static constexpr uint8_t kMaxUnmarkedFrames = 3;
  // A video track has B-frames once this many access units, each less than kReorderGapUs after
  // the previous such one, came with a timestamp shortly before the previous unit's: a single
  // step back of a camera's clock is not B-frames (a B-frame stream has them every few frames).
  static constexpr uint8_t kReorderedFramesForBFrames = 3;
  static constexpr int64_t kReorderGapUs = 2'000'000;
  Stream(std::string path, size_t historyCapacity, size_t maxPayload = kMaxRtpPayload, Clock clock = nullptr);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const std::string& path() const { return path_; }
  // This stream is another's replica on another worker (StreamMirror): what it notices about
  // the source (B-frames, missing frame markers) is the origin's to log, once.
  void markReplica() { replica_ = true; }
  size_t historyCapacity() const { return historyCapacity_; }
  size_t maxPayload() const { return maxPayload_; }

  // --- source side -----------------------------------------------------------------
  // A segment begins: the source is connected and described (at most kMaxSourceTracks tracks).
  StartResult start(const StreamFormat& format);
  StartResult start(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps) {
    return start(StreamFormat{h264Track(sps, pps)});
  }
  // The source went away and may come back within graceUs: readers stay attached, the stream
  // is not ready. graceUs <= 0 ends the readers at once (stop()).
  void suspend(const std::string& reason, int64_t graceUs);
  // Ends readers of a suspension older than its grace; returns true if it did. The owner
  // calls it from a timer at graceDeadlineUs().
  bool expireSuspension();
  bool suspended() const { return suspended_; }
  int64_t graceDeadlineUs() const { return graceDeadlineUs_; }
  // The stream is over: every reader is detached and told why; the histories are dropped.
  void stop(const std::string& reason);
  // The stream is over for good (a mirror whose origin it no longer follows): stop(), and a
  // reader added later is told at once that it ended, with the same reason.
  void retire(const std::string& reason);
  // One RTP packet of track `track` from the source. Returns the shaping error, if any (counted).
  media::IngestError ingestRtp(size_t track, const uint8_t* data, size_t size);
  media::IngestError ingestRtp(const uint8_t* data, size_t size) { return ingestRtp(0, data, size); }
  // One RTCP compound packet the source sent about track `track`: its sender report maps the
  // track's clock to the source's wall clock (lip sync).
  void ingestRtcp(size_t track, const uint8_t* data, size_t size);

  // A packet of track `track` that another worker's stream shaped and stored: this stream is
  // its mirror there (StreamMirror), and stores and fans it out as it is.
  void ingestMirrored(size_t track, const HistoryPacket& packet, uint64_t lostBefore);

  // --- reader side -----------------------------------------------------------------
  void addReader(StreamReader* reader, TrackMask tracks = kAllTracks);
  void removeReader(StreamReader* reader);
  size_t readerCount() const { return readers_.size() - removedPending_; }

  // Source tracks are 0..trackCount()-1; the Opus track transcoded from an AAC source track i
  // is StreamTrack::kTranscodedBase + i (only transcoded while a reader has it in its mask).
  size_t trackCount() const { return tracks_.size(); }
  const StreamTrack& track(size_t i) const { return *tracks_.at(i); }
  const StreamTrack* findTrack(size_t i) const;
  // The history index live readers have been handed up to (not including) on one of this
  // stream's tracks: a reader that reads the history itself (RTSP's cursors) stops there, so
  // it never sends a packet of a frame the stream still holds.
  uint64_t liveEdge(const StreamTrack& track) const { return frontier(track.index(), track.history()); }
  // True while a reader is being handed cached packets (its start at the last keyframe and the
  // paced rest of the cache), false in the live fan-out: what a reader that counts its backlog
  // (RTSP's writeQueueSize) asks from inside onStreamPacket. Those packets are already in the
  // history and cost a reader nothing to hold.
  bool handingCachedPackets() const { return handingCached_; }
  // The current segment's tracks (worker thread).
  const StreamFormat& format() const { return format_; }
  // The same, for other threads (the API, a WHEP answer being built): a copy under a mutex.
  StreamFormat formatSnapshot() const;
  // The SSRC track `i` goes out with, for other threads (an RTSP SETUP answer); 0 if none.
  uint32_t ssrcSnapshot(size_t i) const;
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  const StreamStats& stats() const { return stats_; }

 private:
  // A reader still behind the live edge: where it is in each track's history.
  struct CatchUp {
    static constexpr uint64_t kUnset = UINT64_MAX;  // a track that had no history at the start
    int64_t fromUs = 0;                             // capture time of the keyframe it started at
    int64_t startedUs = 0;                          // when (monotonic)
    std::array<uint64_t, kMaxTracks> next{};        // per track index: next history index to hand over
  };
  struct ReaderEntry {
    StreamReader* reader;  // borrowed; null once removed inside a fan-out
    TrackMask tracks;
    std::unique_ptr<CatchUp> catchUp;  // owned while the reader catches up; null once live
  };

  // Per track: how far live readers have been handed its history (the fan-out frontier).
  struct Frontier {
    uint64_t next = 0;           // first history index not yet handed to live readers
    uint32_t heldTimestamp = 0;  // RTP timestamp of the access unit being held
    bool holding = false;        // packets of an unfinished access unit are held
    bool wholeFrames = true;     // video: hand on whole access units (off: marker bits missing)
    uint8_t unmarkedFrames = 0;  // access units in a row that ended without their marker
    // Video: the previous packet's timestamp, to notice frames out of presentation order
    // (B-frames), which browsers do not play over WebRTC; noticed once a segment.
    uint32_t lastTimestamp = 0;
    bool seenTimestamp = false;
    bool reordered = false;       // B-frames noticed (logged, readers told)
    uint8_t reorderedFrames = 0;  // access units out of order so far, each within kReorderGapUs
    int64_t lastReorderUs = 0;    // when the last one came
  };
  void onTrackPacket(StreamTrack& track, const HistoryPacket& packet) override;
  // Hands live readers the track's packets up to (not including) history index `end`, each
  // reader its packets in a row; catching-up readers are fed as their pace allows (and the
  // track's history keeps what they have yet to get).
  void releaseTo(StreamTrack& track, uint64_t end);
  // Where the live readers are in the track's history: what a catching-up reader may take.
  uint64_t frontier(size_t trackIndex, const PacketHistory& history) const {
    return std::min(history.head(), frontiers_[trackIndex].next);
  }
  void resetFrontiers();
  // The oldest index of `track` that a reader still needs the history to keep.
  static uint64_t neededFrom(const ReaderEntry& entry, size_t track);
  // Points a reader at the last video keyframe of its tracks; false when there is none. Called
  // again for a reader the history overran, it moves no cursor back.
  bool beginCatchUp(ReaderEntry& entry);
  // Hands the reader at readers_[pos] what its pace releases now; it goes live when nothing is
  // left behind.
  void feedCatchUp(size_t pos);
  void skipAhead(size_t pos);
  void endReaders(const std::string& reason);
  void compactReaders();
  void publishFormat();
  void noteParameterSetChange(const StreamTrack& track);
  // A new access unit of video `track` came with timestamp step `step` from the previous one.
  void noteTimestampStep(const StreamTrack& track, Frontier& f, int32_t step);
  void noteIngestError(const StreamTrack& track, media::IngestError err);
  // Runs each transcoded track's transcoder while, and only while, a reader takes its Opus track.
  void updateTranscoding();
  // Starts or stops one track's transcoding as `wanted` says; whether it runs afterwards.
  bool applyTranscodingDemand(TrackMask wanted, const StreamTrack& track, AudioTranscoding& transcoding);
  int64_t now() const { return clock_(); }

  std::string path_;
  Clock clock_;
  size_t historyCapacity_, maxPayload_;
  std::vector<std::unique_ptr<StreamTrack>> tracks_;  // owned; only grows while readers continue
  StreamFormat format_;
  CaptureClock captureClock_;
  std::array<int64_t, kMaxSourceTracks> parameterSetLogUs_{};  // last parameter-set log line per track
  int64_t clockStepLogUs_ = 0;                                 // last "clock stepped" log line
  int64_t skipLogUs_ = 0;                                      // last "reader skipped ahead" log line
  int64_t ingestErrorLogUs_ = 0;                               // last "packets refused" log line
  bool ingestErrorLogged_ = false;                             // one was written (the clock may start at 0)
  std::vector<ReaderEntry> readers_;
  std::array<Frontier, kMaxTracks> frontiers_{};  // per track index (source and transcoded)
  size_t removedPending_ = 0;
  int fanoutDepth_ = 0;
  bool handingCached_ = false;  // inside feedCatchUp
  bool suspended_ = false;
  std::string suspendReason_;
  bool retired_ = false;
  bool replica_ = false;
  std::string retireReason_;
  int64_t graceDeadlineUs_ = 0;
  std::atomic<bool> ready_{false};
  mutable std::mutex formatMutex_;  // guards formatSnapshot_ only
  StreamFormat formatSnapshot_;
  std::array<uint32_t, kMaxSourceTracks> ssrcSnapshot_{};  // guarded by formatMutex_
  StreamStats stats_;
};

}  // namespace sluice::stream
