#pragma once
// The request side of one RTSP server connection and its (single) session, without sockets:
// OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER,
// PAUSE, answered as MediaMTX (gortsplib) answers them, plus what the connection must do next
// (close, start playing, start recording). Kept apart from the socket so that the unit tests
// and the fuzzer drive it directly.
//
// Threading: handle() runs on the server's control thread until PLAY or RECORD; after that the
// connection moves to the stream's worker and answers its few remaining requests itself
// (RtspServerConnection). The accessors below are then read-only.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rtsp/RtspMessage.h"
#include "rtsp/RtspMulticast.h"
#include "rtsp/RtspServerHandler.h"
#include "rtsp/RtspTransportHeader.h"

namespace sluice::core {
class TlsContext;
}

namespace sluice::rtsp {

// rtspAuthMethods: what a 401 offers, in this order, and what the server accepts.
enum class RtspAuthMethod { Basic, Digest };

struct RtspServerOptions {
  std::string address = ":8554";
  std::vector<RtspAuthMethod> authMethods{RtspAuthMethod::Basic};
  bool tcp = true;         // "tcp" is in rtspTransports
  bool udp = false;        // "udp" is in rtspTransports: readers and publishers over UDP unicast
  bool multicast = false;  // "multicast" is in rtspTransports: readers over UDP multicast
  RtspMulticastOptions multicastOptions;
  // Set by RtspServer::start when multicast is served (the server owns it).
  RtspMulticastGroups* multicastGroups = nullptr;
  std::string rtpAddress = ":8000", rtcpAddress = ":8001";  // the server's UDP pair, when udp
  int udpReadBufferSize = 0;                                // SO_RCVBUF of the pair; 0 = OS default
  // Set by RtspServer::start once the pair is bound (0: no UDP), for SETUP's server_port.
  uint16_t udpRtpPort = 0, udpRtcpPort = 0;
  size_t writeQueueSize = 512;
  std::chrono::milliseconds readTimeout{10000};   // publishers must send within this
  std::chrono::milliseconds writeTimeout{10000};  // a reader stuck this long is closed
  std::chrono::milliseconds idleTimeout{60000};   // readers and idle connections must send within this
  size_t maxConnections = 4096;
  // RTSPS (rtspsAddress): every connection is a TLS session with this certificate, and media
  // travel only interleaved in it (TCP). Null for plain RTSP.
  std::shared_ptr<core::TlsContext> tls;
};

// A set-up track: which stream track and on which interleaved channels (over UDP the channel
// only names the track inside the session) or client ports.
struct RtspSetupTrack {
  size_t streamTrack = 0;
  uint8_t rtpChannel = 0;                          // RTCP on rtpChannel + 1
  uint16_t clientRtpPort = 0, clientRtcpPort = 0;  // UDP: where the reader receives, the publisher sends from
};

// How a session's media travel (every track of a session the same way, as gortsplib requires).
enum class RtspMediaTransport { None, Tcp, Udp, Multicast };

struct RtspReply {
  // WaitForSource: the path's on-demand source is starting; ask the handler's whenReadable()
  // and handle the request again (with waitForSources(false)).
  // WaitForAccess: ask the handler's decideAccess(accessQuery), give its verdict to
  // setAccessAnswer() and handle the request again.
  enum class Then { Continue, Close, Play, Record, WaitForSource, WaitForAccess };
  RtspResponse response;
  Then then = Then::Continue;
  std::chrono::milliseconds delay{0};  // wait this long before sending (wrong credentials)
  std::string logError;                // why the request was refused, for one log line
  std::string waitPath;                // WaitForSource: the path
  RtspAccessQuery accessQuery;         // WaitForAccess: what to decide
};

class RtspServerSession {
 public:
  enum class State { Initial, Reading, Playing, Announced, Recording };

  RtspServerSession(RtspServerHandler& handler, const RtspServerOptions& options, std::string remoteIp);

  // One request of the control phase.
  RtspReply handle(const RtspRequest& request);
  // How the connection closes this session when its path hands the publisher to another one.
  void setKick(std::function<void()> kick) { kick_ = std::move(kick); }
  // Whether a reader's request may wait for an on-demand source (not when handled again).
  void waitForSources(bool wait) { waitForSources_ = wait; }
  // The verdict of decideAccess() for the request handled next (after WaitForAccess) only, and
  // for its handling again after WaitForSource.
  void setAccessAnswer(const RtspAccessResult& answer) { accessAnswer_ = answer; }

  State state() const { return state_; }
  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }
  const std::string& query() const { return query_; }
  const std::string& userAgent() const { return userAgent_; }
  const std::string& playUrl() const { return playUrl_; }
  const std::vector<RtspSetupTrack>& tracks() const { return setup_; }
  RtspMediaTransport transport() const { return transport_; }
  const RtspReadTarget& readTarget() const { return read_; }
  const RtspPublishTarget& publishTarget() const { return publish_; }
  const stream::StreamFormat& announcedFormat() const { return announced_; }
  // The announced media it cannot carry, each "track N (why)", for the log.
  const std::vector<std::string>& skippedTracks() const { return skippedTracks_; }
  // Publisher: the stream track an interleaved channel carries; -1 if none. `rtcp` for odd.
  int trackOfChannel(uint8_t channel, bool& rtcp) const;
  // "Session: <id>;timeout=55" (MediaMTX advertises its idle timeout minus 5 s).
  std::string sessionHeader() const;
  // Starts a response with CSeq and Server.
  static RtspResponse response(const RtspRequest& request, int status);

 private:
  RtspReply dispatch(const RtspRequest& r);
  RtspReply options(const RtspRequest& r);
  RtspReply describe(const RtspRequest& r);
  RtspReply announce(const RtspRequest& r);
  RtspReply setup(const RtspRequest& r);
  RtspReply play(const RtspRequest& r);
  RtspReply record(const RtspRequest& r);
  RtspReply refuse(const RtspRequest& r, int status, std::string why, bool close = true);
  // Why this session cannot use transport `t`; empty when it can.
  std::string transportRefusal(const RtspTransportHeader& t) const;
  // Access for the path; nullopt when allowed, else the 401 to send.
  std::optional<RtspReply> checkAccess(const RtspRequest& r, bool publish, const std::string& path,
                                       const std::string& query);
  bool sessionMatches(const RtspRequest& r) const;
  bool offers(RtspAuthMethod method) const;
  // 301 Moved Permanently to `location` (a path on this server becomes a URL like the request's).
  RtspReply redirect(const RtspRequest& r, const std::string& location);
  RtspReply waitFor(const std::string& path);

  RtspServerHandler& handler_;        // borrowed, outlives this
  const RtspServerOptions& options_;  // borrowed, outlives this
  std::string remoteIp_;
  std::string id_;
  std::string nonce_;                             // this connection's Digest nonce (random, 128 bits)
  std::optional<RtspAccessResult> accessAnswer_;  // setAccessAnswer(), for one request
  State state_ = State::Initial;
  bool sessionCreated_ = false;  // a SETUP created it: requests must then carry it
  std::string path_, query_, userAgent_;
  std::string announceUrl_, playUrl_;
  RtspReadTarget read_;
  RtspPublishTarget publish_;
  stream::StreamFormat announced_;             // by stream track
  std::vector<int> announcedTrackOfMedia_;     // by SDP media: stream track, -1 when not carried
  std::vector<std::string> announcedControl_;  // by SDP media: a=control
  std::vector<std::string> skippedTracks_;     // announced media not carried, described
  std::vector<RtspSetupTrack> setup_;
  RtspMediaTransport transport_ = RtspMediaTransport::None;
  std::array<int16_t, 256> channelTrack_;  // by channel: set-up track index, -1 free
  std::function<void()> kick_;
  bool waitForSources_ = true;
};

// "rtsp://host/a/b?x=1" → path "a/b", query "x=1"; false for a URL that is not rtsp://.
bool rtspRequestPath(std::string_view url, std::string& path, std::string& query);

}  // namespace sluice::rtsp
