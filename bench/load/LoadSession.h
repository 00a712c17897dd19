#pragma once
// One WHEP viewer on the wire, after signalling: ICE (IceAgent), DTLS in the role the answer
// chose, SRTP, and a browser's receive side: every RTP packet authenticated and decrypted
// (or every Kth with --sample), receiver reports every second, NACKs for gaps, PLIs when a
// keyframe is needed, latency from the sender reports, time to the first complete keyframe.
//
// Lives on one worker thread from start() on; the control thread only reads the atomics.
// The per-packet path does not allocate, lock or log.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "load/AudioCounter.h"
#include "load/H264Dump.h"
#include "load/H265Dump.h"
#include "load/IceAgent.h"
#include "load/LateSrtp.h"
#include "load/RecvBatch.h"
#include "load/SequenceTracker.h"
#include "load/SessionResult.h"
#include "load/VideoTrackReception.h"
#include "load/WhepDescriptions.h"
#include "load/WorkerSession.h"
#include "media/Rtcp.h"
#include "media/RtpReceptionStats.h"
#include "webrtc/DtlsCertificate.h"
#include "webrtc/DtlsTransport.h"
#include "webrtc/SrtpSession.h"

struct OpusDecoder;  // libopus

namespace sluice::load {

struct SessionSetup {
  int index = 0;
  std::string url;
  std::string location;
  int postStatus = 0;
  double startedS = 0;
  int64_t postStartUs = 0;  // monotonic
  int fd = -1;              // bound UDP socket; the session owns it from the constructor on
  std::string localUfrag, localPwd;
  WhepAnswerInfo answer;
  std::shared_ptr<webrtc::DtlsCertificate> certificate;
  int sample = 1;
  std::string dumpPath;      // non-empty: write this session's video there (Annex B)
  bool dumpH265 = false;     // the dump is H.265: fails if the answer is not
  std::string timelinePath;  // non-empty: write this session's timeline there (see --dump-timeline)
  int64_t connectTimeoutUs = 10'000'000;
  std::string srtpProfiles;  // empty: webrtc::kDefaultSrtpProfiles
};

class LoadSession : public WorkerSession,
                    public std::enable_shared_from_this<LoadSession>,
                    private media::RtcpVisitor {
 public:
  LoadSession(SessionSetup setup, boost::asio::io_context& io, RecvBatch& batch);
  ~LoadSession() override;
  LoadSession(const LoadSession&) = delete;
  LoadSession& operator=(const LoadSession&) = delete;

  // ---- worker thread ----
  void start() override;
  // Timers: ICE retransmissions and consent, DTLS retransmissions, NACKs, RR, PLI.
  void tick(int64_t nowUs) override;
  // Stops receiving; sends close_notify if connected. Idempotent.
  void close() override;
  SessionResult result() const override;

  // ---- any thread ----
  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  int index() const { return setup_.index; }
  const std::string& location() const { return setup_.location; }  // immutable
  // The control thread is about to DELETE the session: the server's close_notify is expected.
  void markEnding() override { ending_.store(true, std::memory_order_relaxed); }

 private:
  void armRead();
  void onReadable();
  // Reads up to kMaxBatchesPerWakeup batches; true when the socket may still hold more.
  bool drain();
  void onDatagram(uint8_t* data, size_t size, const sockaddr* from, socklen_t fromLength, int64_t wallUs,
                  int64_t nowUs);
  void onRtp(uint8_t* data, size_t size, int64_t wallUs, int64_t nowUs);
  void onAudioRtp(uint8_t* data, size_t size);
  // --dump-timeline (dump session only).
  void timelineVideo(size_t size, uint32_t timestamp, bool marker, uint8_t flags);
  void timelineAudio(const uint8_t* packet, size_t size);
  void flushTimelineUnit();
  bool isAudio(uint32_t ssrc, uint8_t payloadType);
  void onRtcp(uint8_t* data, size_t size);
  void onDtlsConnected(const webrtc::DtlsKeys& keys);
  void fail(std::string reason);
  std::string connectProgress() const;  // for errors: how far ICE/DTLS got

  void sendTo(const uint8_t* data, size_t size, const webrtc::SocketAddress& to);
  // Protects and sends an RTCP packet built in `buffer` (capacity must allow the overhead).
  void sendRtcp(uint8_t* buffer, size_t length, size_t capacity);
  void sendReceiverReport(int64_t nowUs);
  void sendNacks(int64_t nowUs);
  void sendPli(int64_t nowUs);
  const webrtc::SocketAddress* mediaPeer() const;

  // media::RtcpVisitor
  void onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtpTimestamp, uint32_t packets,
                      uint32_t octets) override;

  SessionSetup setup_;
  boost::asio::posix::stream_descriptor socket_;
  RecvBatch& batch_;
  IceAgent ice_;
  std::unique_ptr<webrtc::DtlsTransport> dtls_;
  bool dtlsStarted_ = false;
  std::optional<webrtc::SocketAddress> dtlsPeer_;  // where DTLS records came from
  webrtc::SrtpSession srtpIn_, srtpOut_;
  LateSrtpOpener late_;
  size_t tagLength_ = 0;
  SessionResult counters_;     // the counting fields only; result() fills in the rest
  VideoTrackReception video_;  // the video track's sequences, latency and keyframes (counts into counters_)
  media::RtpReceptionStats reception_;
  std::unique_ptr<H264Dump> dump_;
  std::unique_ptr<H265Dump> dump265_;
  AudioCounter audio_;             // the audio track, if the answer accepted one
  std::FILE* timeline_ = nullptr;  // owned; --dump-timeline
  struct OpusDecoderDeleter {
    void operator()(OpusDecoder* d) const;
  };
  std::unique_ptr<OpusDecoder, OpusDecoderDeleter> opus_;  // owned; the timeline's Opus loudness
  uint32_t unitTimestamp_ = 0;
  uint64_t unitBytes_ = 0;
  bool unitKeyframe_ = false;
  bool haveAudioSr_ = false;
  int64_t audioSrWallUs_ = 0;
  uint32_t audioSrRtp_ = 0;

  uint32_t localSsrc_;
  uint32_t mediaSsrc_ = 0;
  uint32_t audioSsrc_ = 0;  // 0 until the answer or the first audio packet names it
  std::atomic<bool> connected_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> ending_{false};
  bool closed_ = false;
  std::string error_;
  std::string srtpProfile_;
  int64_t connectedUs_ = 0;
  int64_t closedUs_ = 0;
  int64_t ttffUs_ = -1;

  int64_t nextPliUs_ = 0;
  int64_t lastPliUs_ = INT64_MIN / 2;
  int64_t nextReportUs_ = 0;
  int64_t nextNackPollUs_ = 0;
  uint64_t sampleCounter_ = 0;
};

}  // namespace sluice::load
