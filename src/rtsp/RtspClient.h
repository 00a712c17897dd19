#pragma once
// Pulls one camera stream over RTSP the way MediaMTX's RTSP static source does
// (OPTIONS, DESCRIBE with Basic/Digest retry, SETUP of every media the owner wants, PLAY; UDP first with a
// fallback to TCP; keepalives; RTCP receiver reports; read timeouts).
//
// Threading: everything runs on the io_context given to the constructor (the owner's
// worker thread). The client starts no thread of its own (resolving a host name, not an IP
// literal, uses Asio's internal resolver thread). Callbacks run on that io_context, and
// every public method must be called from it.
//
// Reconnecting is the owner's job: onClosed reports the end of the session, and the owner
// logs the error ("<prefix>[RTSP source] <error>" at ERR, as MediaMTX's static-source
// handler does; the client itself does not) and starts a new client after a pause
// (app/RtspSource: a back-off from 1 s to 5 s; MediaMTX uses a fixed 5 s). The client logs
// "ready: ..." (INF), transport switches and "N RTP packets lost" (WAR, rate-limited).
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rtsp/RtspUdpPortPair.h"

namespace sluice::rtsp {

class RtspClientConnection;

// MediaMTX `rtspTransport`: automatic | udp | tcp.
enum class RtspTransport { Automatic, Udp, Tcp };
const char* rtspTransportName(RtspTransport transport);  // "automatic", "UDP", "TCP"

struct RtspTrackInfo {
  std::string controlUrl;  // absolute URL used for SETUP
  std::string mediaType;   // "video", "audio", ...
  int payloadType = -1;
  std::string codecName;  // rtpmap encoding name, e.g. "H264"
  uint32_t clockRate = 0;
  uint32_t channels = 0;
  std::string fmtp;  // e.g. "packetization-mode=1;sprop-parameter-sets=..."
};

struct RtspClientConfig {
  std::string url;  // rtsp://[user:pass@]host[:port]/path, or rtsps:// (TLS; media over TCP only)
  // rtsps://: the SHA-256 fingerprint (hex) of the one server certificate to accept (MediaMTX
  // `sourceFingerprint`); empty: the certificate must be trusted by the system and name the host.
  std::string fingerprint;
  RtspTransport transport = RtspTransport::Automatic;
  std::chrono::milliseconds readTimeout{10000};  // also the connect timeout
  std::chrono::milliseconds writeTimeout{10000};
  // Automatic: no UDP packet within this long after PLAY means "switch to TCP".
  std::chrono::milliseconds initialUdpReadTimeout{3000};
  RtspUdpPortRange udpPorts;  // client RTP/RTCP ports; {0, 0}: any
  int udpReadBufferSize = 0;  // SO_RCVBUF of the UDP sockets; 0 keeps the OS default
  // MediaMTX `rtspAnyPort`: accept UDP media from any port of the server's address, not
  // only from the server_port it announced.
  bool anyPort = false;
  std::string userAgent = "sluice";
  // Which described media to SETUP (called once per media, in SDP order, before any SETUP);
  // the others are neither set up nor reported. Null: every media. The RtspSessionInfo track
  // indexes count only the media set up.
  std::function<bool(const RtspTrackInfo&)> wantTrack;
  std::string logPrefix;  // e.g. "[path cam] "; lines read "<prefix>[RTSP source] ..."
};

struct RtspSessionInfo {
  std::string sdp;                               // the DESCRIBE body as received
  std::string baseUrl;                           // Content-Base (or the request URL), no credentials
  std::vector<RtspTrackInfo> tracks;             // index = the `track` argument of onRtp/onRtcp
  RtspTransport transport = RtspTransport::Udp;  // the one in use: Udp or Tcp
};

struct RtspClientStats {
  uint64_t rtpPackets = 0;
  uint64_t rtpBytes = 0;
  uint64_t rtpPacketsLost = 0;     // sequence gaps (RFC 3550 cumulative loss), all tracks
  uint64_t rtpPacketsInvalid = 0;  // not RTP v2 / truncated: dropped
  uint64_t rtcpPackets = 0;
  uint64_t foreignUdpPackets = 0;  // from an address other than the server's: dropped
};

class RtspClient {
 public:
  struct Callbacks {
    // Once per session, before the first onRtp. With automatic transport the client first
    // waits for UDP media to flow (or falls back to TCP), so `transport` is final.
    std::function<void(const RtspSessionInfo&)> onReady;
    // One RTP packet with a valid header (data is only valid during the call).
    std::function<void(size_t track, const uint8_t* data, size_t size)> onRtp;
    // One RTCP compound packet from the server (optional).
    std::function<void(size_t track, const uint8_t* data, size_t size)> onRtcp;
    // Exactly once when the session ends, for any reason, including close() ("terminated",
    // run from inside close(), so a close() made inside another callback re-enters the
    // owner here). Destroying the client without close() stays silent. The client may be
    // destroyed from inside onClosed; from the other callbacks, close() it and destroy it
    // later (e.g. from a posted handler).
    std::function<void(const std::string& error)> onClosed;
  };

  RtspClient(boost::asio::io_context& io, RtspClientConfig config, Callbacks callbacks);
  ~RtspClient();
  RtspClient(const RtspClient&) = delete;
  RtspClient& operator=(const RtspClient&) = delete;

  // Starts connecting. Every failure, a malformed URL included, arrives via onClosed.
  void start();
  // Sends TEARDOWN if it can do so without waiting, stops everything, and reports
  // onClosed("terminated") unless the session had already ended. Safe at any time,
  // including from inside a callback; no callback runs after it returns. Before start()
  // it only marks the client closed (no session, no callback).
  void close();

  bool running() const { return started_ && !closed_; }
  const RtspClientConfig& config() const { return config_; }
  RtspClientStats stats() const;

 private:
  // The current attempt's session events and the callbacks its media go to (its one caller).
  friend class RtspClientConnection;
  void onConnectionReady(const RtspSessionInfo& info);
  // The attempt ended by itself. switchToTcp: an automatic UDP attempt wants a TCP attempt
  // next; it keeps its RTSP session open until that one plays (or the client closes).
  void onConnectionFinished(const std::string& error, bool switchToTcp);
  void connect(RtspTransport transport);
  void finish(const std::string& error);
  void releaseRetiring();

  boost::asio::io_context& io_;
  RtspClientConfig config_;
  Callbacks callbacks_;
  std::shared_ptr<RtspClientConnection> connection_;
  // A UDP attempt given up for TCP: its session stays open until the TCP one plays.
  std::shared_ptr<RtspClientConnection> retiring_;
  RtspClientStats previousStats_;  // of the connection given up for the TCP fallback
  bool started_ = false;
  bool closed_ = false;
};

}  // namespace sluice::rtsp
