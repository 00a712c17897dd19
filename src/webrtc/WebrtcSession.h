#pragma once
// One WHEP viewer: ICE-lite (the mux answers its STUN checks), DTLS server, SRTP, and a
// reader of the tracks of one stream it negotiated (at most a video and an audio track).
// Forwarding rewrites only PT, sequence and SSRC of the stream's shared packets; NACKs are
// answered from the track's shared history; each track gets its own sender reports, all on
// the stream's one capture clock (lip sync).
// Lives on the worker of the stream it reads (the stream itself, or its mirror on the worker
// ViewerPlacement chose); the atomics are read by the control thread (API).
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <climits>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "media/Rtcp.h"
#include "stream/Stream.h"
#include "webrtc/DtlsTransport.h"
#include "webrtc/SocketAddress.h"
#include "webrtc/SrtpSession.h"
#include "webrtc/TcpTransport.h"
#include "webrtc/UdpTransport.h"

namespace sluice::webrtc {

class WebrtcWorker;

// One track the answer accepted.
struct WebrtcOutTrack {
  size_t streamTrack = SIZE_MAX;  // the stream's track; SIZE_MAX: negotiated but silent (dummy audio)
  std::string codec;              // "H264", "H265", "PCMU", "PCMA", "Opus": checked when attaching
  uint8_t payloadType = 0;        // the viewer's
  uint32_t ssrc = 0;
  bool video = false;
};

struct WebrtcSessionParams {
  std::string id;      // public UUID (API, ID header)
  std::string secret;  // UUID in the resource URL
  std::string path, query, remoteHttpAddress;
  std::string localUfrag, localPwd, remoteUfrag;
  std::string remoteFingerprintAlgorithm, remoteFingerprint;
  std::vector<WebrtcOutTrack> tracks;  // what the answer accepted, in answer order
  std::string cname;
  std::chrono::milliseconds handshakeTimeout{10000};
  std::chrono::milliseconds senderReportPeriod{1000};
  std::chrono::milliseconds consentTimeout{30000};
};

struct WebrtcSessionStats {
  std::atomic<uint64_t> rtpPacketsSent{0};
  std::atomic<uint64_t> bytesSent{0};
  std::atomic<uint64_t> bytesReceived{0};
  std::atomic<uint64_t> rtcpPacketsReceived{0};
  std::atomic<uint64_t> rtcpPacketsSent{0};
  std::atomic<uint64_t> nacksReceived{0};
  std::atomic<uint64_t> retransmitted{0};
  std::atomic<uint64_t> retransmitMisses{0};
  std::atomic<uint64_t> retransmitsDenied{0};  // NACKed packets not resent: over the budget, or useless
  std::atomic<uint64_t> keyframeSkips{0};      // times the video was moved ahead to the next keyframe
  std::atomic<uint64_t> packetsSkipped{0};     // video packets not sent meanwhile
  std::atomic<uint64_t> plisReceived{0};
  std::atomic<uint64_t> firsReceived{0};
  std::atomic<uint64_t> packetsLostReported{0};
  std::atomic<uint32_t> jitterReported{0};
};

class WebrtcSession : public stream::StreamReader,
                      private media::RtcpVisitor,
                      public std::enable_shared_from_this<WebrtcSession> {
 public:
  enum class State { New, Connecting, Connected, Closed };
  using ClosedCallback = std::function<void(const std::string& reason)>;

  // A slow viewer's cost stays its own: NACKed packets are resent out of a budget that every
  // packet sent fresh refills by one unit and a resend costs kRetransmitCost of (so resends stay
  // under a quarter of the stream, after a burst of kMaxRetransmitCredit / kRetransmitCost).
  // A viewer that exhausts it loses more than resending can repair (a link slower than the
  // stream): its video is moved ahead to the next keyframe, deltas until then are not sent, and
  // NACKs for anything before that keyframe are not answered (its decoder restarts there). It
  // resumes with at least a quarter of the burst.
  static constexpr int32_t kRetransmitCost = 4;
  static constexpr int32_t kMaxRetransmitCredit = 1024;

  WebrtcSession(WebrtcSessionParams params, WebrtcWorker& worker, std::shared_ptr<stream::Stream> stream,
                std::shared_ptr<DtlsCertificate> certificate, ClosedCallback onClosed);
  ~WebrtcSession() override;

  const WebrtcSessionParams& params() const { return params_; }
  const WebrtcSessionStats& stats() const { return stats_; }
  State state() const { return state_.load(std::memory_order_acquire); }
  std::string remoteAddress() const;
  // The viewer's selected ICE address, "" before the first check (any thread).
  std::string selectedRemote() const;
  // "udp" or "tcp": the transport of the selected path (any thread).
  const char* selectedProtocol() const { return selectedProtocol_.load(std::memory_order_relaxed); }
  std::chrono::system_clock::time_point created() const { return created_; }
  // Worker thread: whether OpenSSL's DTLS session was freed (after the viewer's first SRTCP).
  bool dtlsReleased() const { return dtls_ && dtls_->released(); }

  void setClosedCallback(ClosedCallback cb) { onClosed_ = std::move(cb); }
  boost::asio::io_context& workerIo();
  size_t workerIndex() const;

  // ---- worker thread ----
  void start();
  // The mux validated a STUN check from `from` (USE-CANDIDATE or not).
  void onIceCheck(const SocketAddress& from, bool useCandidate);
  // The ICE-TCP listener verified a first check on connection `fd` from `from`; `pending`
  // holds the bytes it read past that check. The session adopts the connection.
  void adoptTcpConnection(int fd, const SocketAddress& from, std::vector<uint8_t> pending, bool useCandidate);
  // A bound ICE-TCP connection verified a check / was lost.
  void onTcpCheck(TcpTransport& connection, bool useCandidate);
  void onTcpClosed(TcpTransport& connection, const std::string& reason);
  // A DTLS record or SRTCP packet from one of the viewer's checked paths.
  void onDatagram(const uint8_t* data, size_t size);
  void tick(int64_t nowUs);
  void close(const std::string& reason);

  // Written by the mux's thread on every valid STUN check; read by tick().
  std::atomic<int64_t> lastConsentUs{0};

 private:
  // stream::StreamReader
  void onStreamPacket(size_t track, const stream::HistoryPacket& packet) override;
  void onStreamEnded(const std::string& reason) override;
  void onStreamSuspended(const std::string& reason) override;
  void onStreamResumed() override;
  void onVideoReordered(size_t track) override;
  // media::RtcpVisitor
  void onNack(uint32_t senderSsrc, uint32_t mediaSsrc, uint16_t pid, uint16_t blp) override;
  void onPli(uint32_t senderSsrc, uint32_t mediaSsrc) override;
  void onFir(uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t seqNr) override;
  void onReportBlock(uint32_t reporterSsrc, const media::RtcpReportBlock& block) override;

  void onDtlsConnected(const DtlsKeys& keys);

  // Per negotiated track: the rewrite of the shared packets and the sender-report counts.
  struct OutState {
    uint16_t seqOffset = 0;
    uint64_t lastSentIndex = UINT64_MAX;
    uint32_t lastSentTimestamp = 0;
    int64_t lastSentUs = 0;
    uint32_t packetsSent = 0;
    uint32_t octetsSent = 0;
    int32_t retransmitCredit = kMaxRetransmitCredit;
    bool awaitingKeyframe = false;  // video: moved ahead, deltas skipped until a keyframe
    uint64_t resumedAt = 0;         // the keyframe it resumed at: older packets are not resent
  };
  static constexpr size_t kMaxOutTracks = 4;

  void sendPacket(size_t out, const stream::HistoryPacket& packet, bool retransmission);
  void sendSenderReports(int64_t nowUs);
  void sendSenderReport(size_t out, int64_t nowUs);
  void retransmit(size_t out, uint16_t seq);
  void skipToNextKeyframe(size_t out);
  int outOfSsrc(uint32_t ssrc) const;
  // Whether the stream still carries what the answer promised (it may have restarted since).
  bool streamMatchesAnswer(std::string& why) const;
  void sendRaw(const uint8_t* data, size_t size);
  // ICE-lite: the first checked path carries media until the viewer nominates one
  // (USE-CANDIDATE); the nominated one carries it from then on.
  void selectTransport(SessionTransport* transport);
  std::string logPrefix() const;

  WebrtcSessionParams params_;
  WebrtcWorker& worker_;
  std::shared_ptr<stream::Stream> stream_;
  std::shared_ptr<DtlsCertificate> certificate_;
  ClosedCallback onClosed_;
  std::unique_ptr<DtlsTransport> dtls_;
  SrtpSession srtpOut_;
  SrtpSession srtpIn_{SrtpSession::Use::RtcpOnly};    // a viewer sends no media
  UdpTransport udp_;                                  // owned: the UDP path (remote from checks)
  std::vector<std::shared_ptr<TcpTransport>> tcp_;    // owned: ICE-TCP connections bound here
  SessionTransport* transport_ = nullptr;             // borrowed: &udp_ or one of tcp_; null before checks
  std::atomic<const char*> selectedProtocol_{"udp"};  // static strings; read by the control thread
  mutable std::mutex remoteTextMutex_;                // control-plane reads of the selected address
  std::string remoteText_;
  std::atomic<State> state_{State::New};
  std::chrono::system_clock::time_point created_;
  int64_t startedUs_ = 0;
  int64_t nextSenderReportUs_ = 0;
  int64_t skipLogUs_ = 0;  // last "moved ahead to the next keyframe" log line
  bool attached_ = false;

  // Per-viewer rewrite of the shared packets, per negotiated track (index as params_.tracks).
  std::array<OutState, kMaxOutTracks> out_{};
  std::array<int8_t, stream::kMaxTracks> outOfStreamTrack_;  // stream track -> out_ index, -1: not sent

  WebrtcSessionStats stats_;
};

const char* toString(WebrtcSession::State s);

}  // namespace sluice::webrtc
