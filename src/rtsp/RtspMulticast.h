#pragma once
// UDP multicast for RTSP readers (rtspTransports: multicast), as MediaMTX serves it: every
// track of a stream gets its own group address from multicastIPRange, on the fixed
// multicastRTPPort / multicastRTCPPort, and the stream's packets go to the groups once,
// however many readers joined them. A reader's session only answers requests; the network
// copies the packets.
//
// RtspMulticastGroups (owned by the server) hands out the addresses at SETUP (control thread)
// and the stream's sender at PLAY (the stream's worker). RtspMulticastSender is a reader of the
// stream on its worker: it writes each packet once, through a batched egress, to its track's
// group, and sends each group's RTCP sender reports. It lives while a reader holds it.
#include <netinet/in.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "core/UdpSendBatch.h"
#include "stream/Stream.h"

namespace sluice::rtsp {

struct RtspMulticastOptions {
  uint32_t firstGroup = 0xe0010000;  // 224.1.0.0 (host order), multicastIPRange
  uint32_t groupCount = 1 << 16;
  uint16_t rtpPort = 8002, rtcpPort = 8003;
  uint8_t ttl = 16;  // gortsplib's (and GStreamer's rtspsrc) default
};

struct RtspMulticastStats {
  std::atomic<uint64_t> packetsSent{0}, bytesSent{0}, packetsDropped{0}, senderReports{0};
};

class RtspMulticastSender;

class RtspMulticastGroups {
 public:
  explicit RtspMulticastGroups(RtspMulticastOptions options) : options_(options) {}
  ~RtspMulticastGroups();
  RtspMulticastGroups(const RtspMulticastGroups&) = delete;
  RtspMulticastGroups& operator=(const RtspMulticastGroups&) = delete;

  // Opens the sending socket (TTL, loopback to local readers); false and why.
  bool open(std::string& error);
  const RtspMulticastOptions& options() const { return options_; }

  // Control thread, at SETUP: the group of `track` of `stream` (host order), the same for every
  // reader of that stream; nullopt when the range is exhausted (error says so).
  std::optional<uint32_t> groupFor(const std::shared_ptr<stream::Stream>& stream, size_t track,
                                   std::string& error);
  // The stream's worker, at PLAY: the stream's sender (started by the first reader).
  std::shared_ptr<RtspMulticastSender> join(const std::shared_ptr<stream::Stream>& stream,
                                            boost::asio::io_context& worker);
  const RtspMulticastStats& stats() const { return stats_; }
  size_t streams() const;  // streams with groups (tests)

 private:
  struct Entry {
    std::weak_ptr<stream::Stream> stream;
    std::array<uint32_t, stream::kMaxSourceTracks> groups{};  // 0: none yet
    std::weak_ptr<RtspMulticastSender> sender;
  };
  void forgetEndedLocked();

  RtspMulticastOptions options_;
  int fd_ = -1;               // owned; outlives every sender (the server closes it last)
  mutable std::mutex mutex_;  // guards entries_, used_, next_ (control thread and workers)
  std::map<const stream::Stream*, Entry> entries_;
  std::set<uint32_t> used_;
  uint32_t next_ = 0;  // offset in the range of the next address to try
  RtspMulticastStats stats_;
};

class RtspMulticastSender : private stream::StreamReader {
 public:
  // Worker thread. `groups` by stream track (0: not sent).
  RtspMulticastSender(std::shared_ptr<stream::Stream> stream, boost::asio::io_context& worker, int fd,
                      const std::array<uint32_t, stream::kMaxSourceTracks>& groups,
                      const RtspMulticastOptions& options, RtspMulticastStats& stats);
  ~RtspMulticastSender() override;  // on the worker: leaves the stream
  RtspMulticastSender(const RtspMulticastSender&) = delete;
  RtspMulticastSender& operator=(const RtspMulticastSender&) = delete;

  void start();

 private:
  void onStreamPacket(size_t track, const stream::HistoryPacket& packet) override;
  void onStreamEnded(const std::string& reason) override;
  void armTick(std::chrono::milliseconds after);
  void sendSenderReports();
  bool onThread() const { return io_.get_executor().running_in_this_thread(); }

  std::shared_ptr<stream::Stream> stream_;      // shared with the path
  boost::asio::io_context& io_;                 // borrowed: the stream's worker
  int fd_;                                      // borrowed: RtspMulticastGroups' socket
  std::shared_ptr<core::UdpSendBatch> egress_;  // owned (shared with its pending flush)
  RtspMulticastStats& stats_;                   // borrowed, the groups', outlive this
  struct Group {
    sockaddr_storage rtp{}, rtcp{};
    bool used = false;
    uint64_t packets = 0, octets = 0;
  };
  std::array<Group, stream::kMaxSourceTracks> groups_{};
  std::atomic<uint64_t> dropped_{0};
  boost::asio::steady_timer tick_;
  bool attached_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // timer handlers check it
};

}  // namespace sluice::rtsp
