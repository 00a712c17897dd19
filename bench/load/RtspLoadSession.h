#pragma once
// One RTSP reader on the wire after PLAY (RtspReaderConnect did the signalling): reads the
// media, over TCP as '$' frames split by rtsp::RtspStreamParser straight from its buffer
// (large reads), over UDP with recvmmsg batches on each track's RTP and RTCP socket. Every
// RTP packet of the video track goes through VideoTrackReception (loss, duplicates, reordering,
// complete keyframes), its latency is mapped through the server's sender reports; the first
// other track is counted as audio. Sends receiver reports every second (interleaved on the
// odd channel, or to the server's RTCP port), GET_PARAMETER within the session timeout,
// TEARDOWN at the end.
//
// Lives on one worker thread from start() on. The per-packet path does not allocate, lock
// or log.
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "load/AudioCounter.h"
#include "load/RecvBatch.h"
#include "load/RtspReaderConnect.h"
#include "load/SessionResult.h"
#include "load/VideoTrackReception.h"
#include "load/WorkerSession.h"
#include "media/Rtcp.h"
#include "media/RtpReceptionStats.h"

namespace sluice::load {

struct RtspSessionSetup {
  int index = 0;
  std::string url;
  double startedS = 0;
  RtspReaderConnection connection;  // after PLAY
};

class RtspLoadSession : public WorkerSession,
                        public std::enable_shared_from_this<RtspLoadSession>,
                        private media::RtcpVisitor {
 public:
  RtspLoadSession(RtspSessionSetup setup, boost::asio::io_context& io, RecvBatch& batch);
  ~RtspLoadSession() override;
  RtspLoadSession(const RtspLoadSession&) = delete;
  RtspLoadSession& operator=(const RtspLoadSession&) = delete;

  // ---- worker thread ----
  void start() override;
  void tick(int64_t nowUs) override;
  // Sends TEARDOWN and waits up to 1 s for its reply (delete_status), then closes.
  void close() override;
  SessionResult result() const override;

  // ---- any thread ----
  void markEnding() override { ending_.store(true, std::memory_order_relaxed); }

 private:
  enum class Role : uint8_t { Video, Audio, Other };
  struct Track {
    RtspReaderTrack info;
    Role role = Role::Other;
    bool h265 = false;
    media::RtpReceptionStats reception;
    uint32_t ssrc = 0;
    bool haveSsrc = false;
    std::unique_ptr<boost::asio::posix::stream_descriptor> rtp, rtcp;  // UDP only; owned
    sockaddr_storage serverRtcp{};  // UDP: where receiver reports go (server_port's second)
    socklen_t serverRtcpLength = 0;
  };

  void armTcpRead();
  void onTcpReadable();
  // Reads and parses up to a bounded number of times; true when the socket may hold more.
  bool drainTcp();
  // Handles what the parser holds; false on a broken stream.
  bool parseBuffered(int64_t wallUs, int64_t nowUs);
  void armUdpRead(size_t track, bool rtcp);
  void onUdpReadable(size_t track, bool rtcp);

  void onRtp(Track& track, const uint8_t* data, size_t size, int64_t wallUs, int64_t nowUs);
  void onRtcp(size_t track, const uint8_t* data, size_t size);

  // Control-plane writes on the RTSP connection: sent at once, the rest kept for later.
  void write(const uint8_t* data, size_t size);
  void flushWrites();
  void sendReceiverReports(int64_t nowUs);
  void sendKeepAlive();
  void fail(std::string reason);

  // media::RtcpVisitor
  void onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtpTimestamp, uint32_t packets,
                      uint32_t octets) override;

  RtspSessionSetup setup_;
  RtspReaderConnection& conn_;  // borrowed from setup_
  boost::asio::posix::stream_descriptor socket_;
  RecvBatch& batch_;  // borrowed, the worker's
  std::vector<Track> tracks_;
  std::array<int16_t, 256> channelTrack_{};  // interleaved channel → track index, -1: none
  int videoTrack_ = -1;
  int audioTrack_ = -1;
  size_t rtcpTrack_ = 0;  // the track of the RTCP packet being parsed
  std::string pendingWrite_;

  AudioCounter audio_;
  uint32_t localSsrc_;
  std::atomic<bool> ending_{false};
  bool closed_ = false;
  bool failed_ = false;
  std::string error_;
  int64_t closedUs_ = 0;
  int64_t ttffUs_ = -1;
  uint32_t teardownCseq_ = 0;  // 0: TEARDOWN not sent
  int teardownStatus_ = 0;
  uint64_t keepAlives_ = 0;

  int64_t nextReportUs_ = 0;
  int64_t nextKeepAliveUs_ = 0;
  int64_t nextGiveUpPollUs_ = 0;

  SessionResult counters_;  // the counting fields only; result() fills in the rest
  VideoTrackReception
      video_;  // the video track's sequences, latency and first keyframe (counts into counters_)
};

}  // namespace sluice::load
