#pragma once
// A UDP publisher's receive side (RECORD after SETUP with client_port). Its RTP and RTCP arrive
// on the server's shared pair (RtspUdpServer, read on the control thread), which matches each
// datagram to this ingress and a set-up track by source address and port, and hands it over
// with receive(): checked there (malformed RTP/RTCP is counted and dropped), copied into a
// fixed single-producer single-consumer inbox and drained on the stream's worker, where the
// packets go to Stream::ingestRtp / ingestRtcp exactly as a TCP publisher's interleaved frames.
// One drain is posted per burst (its operation in a fixed block), never per packet; a full
// inbox (the worker stalled) drops and counts. No allocation, no lock per packet.
//
// The worker side also keeps each track's reception statistics, from which the connection
// sends receiver reports to the publisher's RTCP port (as gortsplib does), and the time of the
// last valid datagram, which is the session's keep-alive (readTimeout).
//
// Threads: receive() on the control thread only; start(), stop(), sendReceiverReports() on the
// worker only; the counters from any thread.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/HandlerMemory.h"
#include "media/RtpReceptionStats.h"
#include "stream/Stream.h"

namespace sluice::rtsp {

struct RtspUdpIngressStats {
  std::atomic<int64_t> lastPacketUs{0};  // monotonic time of the last valid RTP or RTCP datagram
  std::atomic<uint64_t> rtpPackets{0}, rtpBytes{0}, rtcpPackets{0}, rtcpBytes{0};
  std::atomic<uint64_t> rtpMalformed{0}, rtcpMalformed{0}, inboxDropped{0}, ingestErrors{0};
  std::atomic<uint64_t> reportsSent{0}, reportBytesSent{0};
  std::atomic<uint64_t> rtpLost{0};  // by the tracks' sequence numbers (RFC 3550 A.3), after each drain
  std::atomic<double> rtpJitter{
      0};  // interarrival jitter (A.8), RTP units, mean of the tracks, after each drain
};

class RtspUdpIngress : public std::enable_shared_from_this<RtspUdpIngress> {
 public:
  static constexpr size_t kSlots = 256;
  static constexpr size_t kDatagram = 2048;  // the server's receive buffer
  static constexpr size_t kMaxTracks = stream::kMaxSourceTracks;

  // One set-up track: the stream track it feeds (SIZE_MAX: a medium Sluice does not carry, its
  // packets are dropped) and where its receiver reports go (the publisher's RTCP port).
  struct Track {
    size_t streamTrack = SIZE_MAX;
    sockaddr_storage rtcpTo{};
    socklen_t rtcpToLength = 0;
  };

  // `rtcpFd`: the server's RTCP socket, open while sessions live (borrowed).
  RtspUdpIngress(boost::asio::io_context& worker, std::vector<Track> tracks, int rtcpFd, uint32_t localSsrc);
  RtspUdpIngress(const RtspUdpIngress&) = delete;
  RtspUdpIngress& operator=(const RtspUdpIngress&) = delete;

  // Control thread: one datagram of set-up track `track` from the publisher; what became of it
  // (counted here either way).
  enum class Received { Queued, Malformed, InboxFull };
  Received receive(size_t track, bool rtcp, const uint8_t* data, size_t size, int64_t nowUs);

  // Worker: the inbox's packets go to `stream` from now on (and no more after stop()).
  void start(std::shared_ptr<stream::Stream> stream);
  void stop();
  // Worker: one receiver report per track that has received RTP, to the publisher's RTCP port;
  // how many were sent.
  size_t sendReceiverReports(int64_t nowUs);

  size_t trackCount() const { return tracks_.size(); }
  const RtspUdpIngressStats& stats() const { return stats_; }

 private:
  struct Slot {
    uint8_t track = 0;
    bool rtcp = false;
    uint16_t size = 0;
    uint8_t data[kDatagram];
  };
  struct Reception {
    bool haveSsrc = false;
    uint32_t ssrc = 0;
    uint32_t clockRate = 90000;
    media::RtpReceptionStats stats;
  };

  void drain();  // worker
  void deliver(const Slot& slot, int64_t nowUs);

  boost::asio::io_context& worker_;  // borrowed: the stream's worker
  std::vector<Track> tracks_;        // by set-up track; fixed after construction
  int rtcpFd_;                       // borrowed: the server's RTCP socket
  uint32_t localSsrc_;
  int64_t originUs_;  // arrival times are counted from here, in each track's clock

  // Single producer (control), single consumer (worker): slot i % kSlots holds datagram i.
  std::array<Slot, kSlots> slots_;
  std::atomic<uint64_t> head_{0}, tail_{0};
  std::atomic<bool> drainPosted_{false};
  core::SmallHandlerMemory drainMemory_;  // the posted drain's operation (one at a time)

  // Worker only.
  std::shared_ptr<stream::Stream> stream_;
  std::array<Reception, kMaxTracks> reception_{};

  RtspUdpIngressStats stats_;
};

}  // namespace sluice::rtsp
