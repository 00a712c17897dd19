#pragma once
// One source, many readers. The source's RTP packets are shaped once per stream
// (H.264 parameter sets before each IDR, re-fragmented to WebRTC's payload size) into
// the stream's shared PacketHistory; every reader is handed the same stored packets.
// A new reader starts at the last keyframe in the history, so it decodes at once.
//
// Sources come and go without readers noticing: a stream runs as a series of segments (a
// camera's session, its restart, the offline slate), each begun by start(). Between two,
// suspend() keeps the readers attached; the next segment continues the sequence numbers
// (history indexes never restart) and the timestamps (OutputTimeline) and is delivered from
// its first keyframe, so a reader's decoder goes on as after any IDR. A suspension longer
// than the grace given to suspend(), or a segment in another codec, ends the readers.
// Single-threaded: everything here runs on the stream's worker, except the atomics.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "media/H264RtpIngest.h"
#include "stream/OutputTimeline.h"
#include "stream/PacketHistory.h"

namespace sluice::stream {

class Stream;

class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // A packet to forward. Right after attach, the cached packets from the last keyframe.
  virtual void onStreamPacket(const HistoryPacket& packet) = 0;
  // The stream ended; the reader is already detached when this is called.
  virtual void onStreamEnded(const std::string& reason) = 0;
  // The source went away and may come back (the reader stays attached), and came back:
  // informational, the packets simply pause and resume.
  virtual void onStreamSuspended(const std::string& reason) {}
  virtual void onStreamResumed() {}
};

// What a source delivers; two segments may follow each other without ending the readers
// when their codec is the same (new parameter sets are fine: they arrive before the IDR
// that starts the segment, and decoders reconfigure there).
struct TrackFormat {
  std::string codec = "H264";   // MediaMTX's codec names: H264, H265, ...
  std::vector<uint8_t> sps, pps;  // H.264 out-of-band parameter sets; may be empty (in-band)
};

enum class StartResult {
  Fresh,     // no reader was waiting: a new stream
  Resumed,   // suspended readers continue with this segment
  Replaced,  // suspended readers were ended: the codec changed
};

struct StreamStats {
  std::atomic<uint64_t> packetsIn{0};
  std::atomic<uint64_t> bytesIn{0};
  std::atomic<uint64_t> packetsStored{0};
  std::atomic<uint64_t> ingestErrors{0};
  std::atomic<uint64_t> packetsLost{0};
  std::atomic<uint32_t> readers{0};
  std::atomic<int64_t> readySinceUnixMs{0};  // 0 while not ready
  std::atomic<uint64_t> resumes{0};          // segments that continued suspended readers
  std::atomic<uint64_t> packetsBeforeKeyframe{0};  // dropped while a resumed segment awaited its IDR
  std::atomic<bool> suspended{false};              // source away, readers kept
};

class Stream : private media::ShapedPacketSink {
 public:
  using Clock = int64_t (*)();  // monotonic microseconds; injectable for tests
  Stream(std::string path, size_t historyCapacity, size_t maxPayload = kMaxRtpPayload, Clock clock = nullptr);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const std::string& path() const { return path_; }

  // --- source side -----------------------------------------------------------------
  // A segment begins: the source is connected and described.
  StartResult start(const TrackFormat& format);
  StartResult start(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps) {
    return start(TrackFormat{"H264", sps, pps});
  }
  // The source went away and may come back within graceUs: readers stay attached, the stream
  // is not ready. graceUs <= 0 ends the readers at once (stop()).
  void suspend(const std::string& reason, int64_t graceUs);
  // Ends readers of a suspension older than its grace; returns true if it did. The owner
  // calls it from a timer at graceDeadlineUs().
  bool expireSuspension();
  bool suspended() const { return suspended_; }
  int64_t graceDeadlineUs() const { return graceDeadlineUs_; }
  // The stream is over: every reader is detached and told why; the history is dropped.
  void stop(const std::string& reason);
  // One RTP packet from the source. Returns the shaping error, if any (counted).
  media::IngestError ingestRtp(const uint8_t* data, size_t size);

  // --- reader side -----------------------------------------------------------------
  void addReader(StreamReader* reader);
  void removeReader(StreamReader* reader);
  size_t readerCount() const { return readers_.size() - removedPending_; }

  const PacketHistory& history() const { return history_; }
  const OutputTimeline& timeline() const { return timeline_; }
  const TrackFormat& format() const { return format_; }
  uint32_t ssrc() const { return ssrc_; }
  uint8_t payloadType() const { return 96; }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  const StreamStats& stats() const { return stats_; }
  const media::H264RtpIngest& ingest() const { return ingest_; }

 private:
  void onShapedPacket(const media::ShapedPacket& packet) override;
  void endReaders(const std::string& reason);
  void compactReaders();
  int64_t now() const { return clock_(); }

  std::string path_;
  Clock clock_;
  PacketHistory history_;
  media::H264RtpIngest ingest_;
  OutputTimeline timeline_;
  TrackFormat format_;
  std::vector<StreamReader*> readers_;
  size_t removedPending_ = 0;
  int fanoutDepth_ = 0;
  uint32_t ssrc_;
  bool suspended_ = false;
  std::string suspendReason_;
  int64_t graceDeadlineUs_ = 0;
  bool awaitingKeyframe_ = false;  // a resumed segment is delivered from its first IDR
  std::atomic<bool> ready_{false};
  StreamStats stats_;
};

}  // namespace sluice::stream
