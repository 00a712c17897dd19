#pragma once
// One RTSP client connection and the single media session it may set up: one stream, and
// of it the tracks the client SETUPs one by one (video trackID=0, audio trackID=1), all over
// the same transport (TCP interleaved, each on its own channel pair, or UDP, each to its
// own client port pair), each with its own sender reports.
//
// Lifetime: owned by its worker's registry (and by pending handlers); it ends when the
// client closes the connection, on a protocol error, or, for UDP delivery, after 60 s
// (--session-timeout) without an RTSP request or an RTCP/NAT packet from the client. TCP sessions live as
// long as their connection.
//
// Threading: a connection starts on any worker; its first request naming a stream that
// another worker owns moves it there (the socket's descriptor is handed over between two
// handlers), so that media is always delivered on the thread that produces it.
//
// Output: RTSP responses and interleaved media share the connection, one gathered
// async_write at a time. Frames arriving while a write is in progress wait in a queue of
// kMaxQueuedFrames video frames and kMaxQueuedAudio audio packets; beyond that (the kernel
// send buffer is full as well) frames are dropped and the session resumes at the next
// keyframe (audio included), so a slow reader sees gaps between whole GOPs, never torn
// frames and never unbounded memory.
#include <netinet/in.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "camsim/CamsimDirectory.h"
#include "camsim/CamsimHandlerMemory.h"
#include "camsim/CamsimStream.h"
#include "core/Log.h"
#include "rtsp/RtspMessage.h"
#include "rtsp/RtspStreamParser.h"

namespace sluice::camsim {

class CamsimWorker;

class CamsimSession : public std::enable_shared_from_this<CamsimSession> {
 public:
  static constexpr size_t kMaxQueuedFrames = 4;  // video, below CamsimStream::kRing
  static constexpr size_t kMaxQueuedAudio = 8;   // below CamsimStream::kAudioRing
  static constexpr size_t kQueueCapacity = kMaxQueuedFrames + kMaxQueuedAudio;

  CamsimSession(CamsimWorker& worker, const CamsimDirectory& directory, boost::asio::ip::tcp::socket socket);
  CamsimSession(const CamsimSession&) = delete;
  CamsimSession& operator=(const CamsimSession&) = delete;

  // On the worker's thread, once the registry holds the session.
  void start();
  // Idempotent. Stops media, closes the socket and leaves the registry (posted).
  void close(std::string_view reason);

  // Media, from the stream on the worker's thread.
  void onFrame(const CamsimFrame& frame, int64_t nowUs, CamsimUdpSender& udp);
  // Whether a queued or in-flight write still points into a frame of `track` numbered
  // below `number`.
  bool holdsFrameBefore(uint8_t track, uint64_t number) const;
  void waitForKeyframe() { needKeyframe_ = true; }

  // Liveness of UDP sessions.
  void touch(int64_t nowUs) { lastActivityUs_ = nowUs; }
  void expireIfQuiet(int64_t nowUs);

 private:
  enum class Transport { None, Tcp, Udp };

  // One set-up track of the media session.
  struct TrackOut {
    bool setUp = false;
    uint8_t rtpChannel = 0, rtcpChannel = 1;  // TCP
    sockaddr_in udpRtp{}, udpRtcp{};          // UDP
    uint64_t startNumber = 0;                 // audio: the first packet after PLAY
    size_t queued = 0;                        // frames of this track in frameQueue_
    int64_t nextReportUs = 0;
    uint32_t packetsSent = 0, octetsSent = 0;
    std::array<uint8_t, 160> report{};  // the sender report; a UDP batch points into it
  };

  // A span of buffers for async_write, so a gathered write copies two pointers, not a vector.
  struct BufferRange {
    using value_type = boost::asio::const_buffer;
    using const_iterator = const boost::asio::const_buffer*;
    const boost::asio::const_buffer* first;
    const boost::asio::const_buffer* last;
    const_iterator begin() const { return first; }
    const_iterator end() const { return last; }
  };

  // Connection (CamsimSession.cpp).
  void read();
  void onRead(const boost::system::error_code& ec, size_t size);
  void processInput();
  void migrate();
  void resume(int fd);

  // RTSP methods (CamsimSessionRequests.cpp). handleRequest returns false when the
  // connection must first move to the worker owning the named stream.
  bool handleRequest(const rtsp::RtspRequest& req);
  void onDescribe(const rtsp::RtspRequest& req, const CamsimRoute& route, rtsp::RtspResponse& res);
  void onSetup(const rtsp::RtspRequest& req, const CamsimRoute& route, uint8_t track,
               rtsp::RtspResponse& res);
  void onPlay(const rtsp::RtspRequest& req, rtsp::RtspResponse& res);
  bool sessionMatches(const rtsp::RtspRequest& req, rtsp::RtspResponse& res) const;
  void endMediaSession();

  // Output (CamsimSessionMedia.cpp).
  void sendControl(std::string bytes);
  void writeNext();
  void writeFrame(const CamsimFrame& frame);
  void onWritten(const boost::system::error_code& ec, size_t size);
  void sendUdp(const CamsimFrame& frame, int64_t nowUs, CamsimUdpSender& udp);
  // Sender report + SDES CNAME of a track for now, into `out`; returns its size.
  size_t buildReport(uint8_t track, uint8_t* out, size_t cap);
  void clearQueue();
  void prepareTcpMedia();
  void startPlaying();
  void stopPlaying();
  // Leaves the stream's viewer list once no write points into its frames (or at once
  // with `force`, when the socket is closed and the write cancelled).
  void detachIfIdle(bool force);

  CamsimWorker* worker_;
  const CamsimDirectory& directory_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
  std::string peer_;   // "ip:port", for logs
  std::string label_;  // "ip:port camK" once a stream is set up, for logs
  boost::asio::ip::address_v4 peerAddress_;
  rtsp::RtspStreamParser parser_;
  CamsimHandlerMemory readMemory_, writeMemory_;
  CamsimWorker* migrateTo_ = nullptr;
  bool closed_ = false;

  // The media session (after SETUP).
  std::string sessionId_;
  CamsimStream* stream_ = nullptr;
  CamsimStream* attachedTo_ = nullptr;  // may outlive PLAY while a frame write drains
  Transport transport_ = Transport::None;
  std::array<TrackOut, kMaxTracks> tracks_{};
  bool playing_ = false;
  bool needKeyframe_ = true;
  int64_t lastActivityUs_ = 0;
  std::string cname_;

  // Output state.
  bool writing_ = false;
  bool writingFrame_ = false;
  uint64_t inflightFrame_ = 0;
  uint8_t inflightTrack_ = kVideoTrack;
  std::string controlInFlight_;
  std::deque<std::string> controlQueue_;
  std::array<CamsimFrame, kQueueCapacity> frameQueue_{};
  size_t queueHead_ = 0, queued_ = 0;
  std::vector<boost::asio::const_buffer> gather_;
  std::vector<uint8_t> prefixes_;  // per-packet interleaved headers on channels other than the template's
  uint64_t dropped_ = 0;
  log::RateLimit dropLog_;
};

}  // namespace sluice::camsim
