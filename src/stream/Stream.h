#pragma once
// One source, many readers. The source's RTP packets are shaped once per stream
// (H.264 parameter sets before each IDR, re-fragmented to WebRTC's payload size) into
// the stream's shared PacketHistory; every reader is handed the same stored packets.
// A new reader starts at the last keyframe in the history, so it decodes at once.
// Single-threaded: everything here runs on the stream's worker, except the atomics.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "media/H264RtpIngest.h"
#include "stream/PacketHistory.h"

namespace sluice::stream {

class Stream;

class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // A packet to forward. Right after attach, the cached packets from the last keyframe.
  virtual void onStreamPacket(const HistoryPacket& packet) = 0;
  // The source went away; the reader is already detached when this is called.
  virtual void onStreamEnded(const std::string& reason) = 0;
};

struct StreamStats {
  std::atomic<uint64_t> packetsIn{0};
  std::atomic<uint64_t> bytesIn{0};
  std::atomic<uint64_t> packetsStored{0};
  std::atomic<uint64_t> ingestErrors{0};
  std::atomic<uint64_t> packetsLost{0};
  std::atomic<uint32_t> readers{0};
  std::atomic<int64_t> readySinceUnixMs{0};  // 0 while not ready
};

class Stream : private media::ShapedPacketSink {
 public:
  Stream(std::string path, size_t historyCapacity, size_t maxPayload = kMaxRtpPayload);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const std::string& path() const { return path_; }

  // --- source side -----------------------------------------------------------------
  // The source is connected and described; parameter sets may be empty (in-band later).
  void start(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps);
  // The source is gone: every reader is detached and told why; the history is dropped.
  void stop(const std::string& reason);
  // One RTP packet from the source. Returns the shaping error, if any (counted).
  media::IngestError ingestRtp(const uint8_t* data, size_t size);

  // --- reader side -----------------------------------------------------------------
  void addReader(StreamReader* reader);
  void removeReader(StreamReader* reader);
  size_t readerCount() const { return readers_.size() - removedPending_; }

  const PacketHistory& history() const { return history_; }
  uint32_t ssrc() const { return ssrc_; }
  uint8_t payloadType() const { return 96; }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  const StreamStats& stats() const { return stats_; }
  const media::H264RtpIngest& ingest() const { return ingest_; }

 private:
  void onShapedPacket(const media::ShapedPacket& packet) override;
  void compactReaders();

  std::string path_;
  PacketHistory history_;
  media::H264RtpIngest ingest_;
  std::vector<StreamReader*> readers_;
  size_t removedPending_ = 0;
  int fanoutDepth_ = 0;
  uint32_t ssrc_;
  std::atomic<bool> ready_{false};
  StreamStats stats_;
};

}  // namespace sluice::stream
