// CamsimSession: the RTSP methods (RFC 2326 §10) a camera answers.
#include <fmt/format.h>

#include "camsim/CamsimSdp.h"
#include "camsim/CamsimSession.h"
#include "camsim/CamsimWorker.h"
#include "core/Clock.h"
#include "core/Random.h"
#include "rtsp/RtspSessionHeader.h"
#include "rtsp/RtspText.h"
#include "rtsp/RtspTransportHeader.h"

namespace sluice::camsim {
namespace {

constexpr std::string_view kPublic = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER";

// The path of a request URI without leading slashes or query: "cam1/trackID=0" from
// "rtsp://127.0.0.1:8554/cam1/trackID=0", "/cam1/trackID=0" or "cam1/trackID=0"; empty
// for "*". Views into `uri`.
std::string_view pathOf(std::string_view uri) {
  if (uri == "*") return {};
  size_t scheme = uri.find("://");
  if (scheme != std::string_view::npos) {
    size_t slash = uri.find('/', scheme + 3);
    uri = slash == std::string_view::npos ? std::string_view{} : uri.substr(slash);
  }
  uri = uri.substr(0, uri.find('?'));
  while (!uri.empty() && uri.front() == '/') uri.remove_prefix(1);
  return uri;
}

// The URI up to and including the stream name, plus '/': what track controls are
// relative to (Content-Base).
std::string baseOf(std::string_view uri, std::string_view name) {
  size_t end = static_cast<size_t>(name.data() - uri.data()) + name.size();
  return std::string(uri.substr(0, end)) + "/";
}

void fail(rtsp::RtspResponse& res, int code, std::string_view reason) {
  res.statusCode = code;
  res.reason = std::string(reason);
}

// The first transport alternative (comma-separated, RFC 2326 §12.39) that can be served:
// unicast TCP interleaved, or unicast UDP with client ports.
std::optional<rtsp::RtspTransportHeader> chooseTransport(std::string_view header) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    auto spec = rtsp::trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto t = rtsp::parseRtspTransport(spec);
    if (!t || t->delivery != rtsp::RtspTransportHeader::Delivery::Unicast) continue;
    if (t->lower == rtsp::RtspTransportHeader::Lower::Tcp || t->clientPorts) return t;
  }
  return std::nullopt;
}

// The track a SETUP names: its control, or the stream's own URL for the video; -1 if none.
int trackOf(std::string_view rest, const CamsimStream& stream) {
  if (rest.empty()) return kVideoTrack;
  for (size_t i = 0; i < stream.trackCount(); ++i) {
    if (rest == kTrackControls[i]) return static_cast<int>(i);
  }
  return -1;
}

sockaddr_in socketAddress(const boost::asio::ip::address_v4& address, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(address.to_uint());
  a.sin_port = htons(port);
  return a;
}

}  // namespace

bool CamsimSession::handleRequest(const rtsp::RtspRequest& req) {
  touch(core::monotonicUs());
  std::string_view uri = req.uri;
  std::string_view path = pathOf(uri);
  std::string_view name = path.substr(0, path.find('/'));
  std::string_view rest = name.size() < path.size() ? path.substr(name.size() + 1) : std::string_view{};
  const CamsimRoute* route = name.empty() ? nullptr : directory_.find(name);
  const std::string& method = req.method;

  bool namesStream = method == "DESCRIBE" || method == "SETUP";
  if (namesStream && route && !stream_ && route->worker != worker_) {
    migrateTo_ = route->worker;
    if (!writing_) migrate();  // else once the response being written is out
    return false;
  }

  rtsp::RtspResponse res;
  res.statusCode = 200;
  res.reason = "OK";
  if (auto cseq = req.headers.get("CSeq")) res.headers.set("CSeq", *cseq);
  res.headers.set("Server", "sluice-camsim");

  if (method == "OPTIONS") {
    res.headers.set("Public", kPublic);
  } else if (method == "DESCRIBE" || method == "SETUP") {
    if (!route) {
      fail(res, 404, "Not Found");
    } else if (method == "DESCRIBE") {
      res.headers.set("Content-Base", baseOf(uri, name));
      res.headers.set("Content-Type", "application/sdp");
      res.body = route->stream->sdp();
    } else if (int track = trackOf(rest, *route->stream); track < 0) {
      fail(res, 404, "Not Found");
    } else {
      onSetup(req, *route, static_cast<uint8_t>(track), res);
    }
  } else if (method == "PLAY") {
    if (sessionMatches(req, res)) {
      if (!playing_) {
        // Video from the next keyframe; audio from the same instant (or, alone, at once).
        std::string base = route ? baseOf(uri, name) : std::string(uri) + "/";
        std::string info;
        auto video = stream_->nextKeyframe();
        if (tracks_[kVideoTrack].setUp) {
          info = fmt::format("url={}{};seq={};rtptime={}", base, kTrackControls[kVideoTrack], video.sequence,
                             video.rtpTime);
        }
        if (tracks_[kAudioTrack].setUp) {
          auto audio =
              stream_->audioStartAt(tracks_[kVideoTrack].setUp ? stream_->deadlineUs(video.number) : 0);
          tracks_[kAudioTrack].startNumber = audio.number;
          info += fmt::format("{}url={}{};seq={};rtptime={}", info.empty() ? "" : ",", base,
                              kTrackControls[kAudioTrack], audio.sequence, audio.rtpTime);
        }
        startPlaying();
        res.headers.set("RTP-Info", info);
      }
    }
  } else if (method == "PAUSE") {
    if (sessionMatches(req, res)) stopPlaying();
  } else if (method == "TEARDOWN") {
    if (sessionMatches(req, res)) {
      log::info("[camsim] {}: teardown", label_);
      endMediaSession();
    }
  } else if (method == "GET_PARAMETER") {
    // The usual keepalive; with a Session header it must name ours.
    if (req.headers.get("Session")) sessionMatches(req, res);
  } else {
    fail(res, 501, "Not Implemented");
    res.headers.set("Public", kPublic);
  }

  if (!sessionId_.empty() && res.statusCode == 200 && method != "OPTIONS" && method != "DESCRIBE") {
    res.headers.set("Session", fmt::format("{};timeout={}", sessionId_, worker_->sessionTimeoutSeconds()));
  }
  if (method == "TEARDOWN" && res.statusCode == 200) sessionId_.clear();
  sendControl(res.serialize());
  return true;
}

bool CamsimSession::sessionMatches(const rtsp::RtspRequest& req, rtsp::RtspResponse& res) const {
  if (auto header = req.headers.get("Session")) {
    auto parsed = rtsp::parseRtspSession(*header);
    if (!parsed || sessionId_.empty() || parsed->id != sessionId_) {
      fail(res, 454, "Session Not Found");
      return false;
    }
  }
  if (!stream_) {
    fail(res, 455, "Method Not Valid in This State");
    return false;
  }
  return true;
}

void CamsimSession::onSetup(const rtsp::RtspRequest& req, const CamsimRoute& route, uint8_t track,
                            rtsp::RtspResponse& res) {
  if (stream_) {
    // One stream per session; each of its tracks once, all before PLAY, with our session.
    if (route.stream != stream_) {
      fail(res, 459, "Aggregate Operation Not Allowed");
      return;
    }
    if (req.headers.get("Session") && !sessionMatches(req, res)) return;
    if (tracks_[track].setUp || playing_) {
      fail(res, 455, "Method Not Valid in This State");
      return;
    }
  }
  auto header = req.headers.get("Transport");
  auto chosen = header ? chooseTransport(*header) : std::nullopt;
  if (!chosen || (chosen->lower == rtsp::RtspTransportHeader::Lower::Udp && peerAddress_.is_unspecified())) {
    fail(res, 461, "Unsupported Transport");
    return;
  }
  bool tcp = chosen->lower == rtsp::RtspTransportHeader::Lower::Tcp;
  if (stream_ && tcp != (transport_ == Transport::Tcp)) {
    fail(res, 461, "Unsupported Transport");  // one transport per session
    return;
  }

  if (!stream_) {
    stream_ = route.stream;
    sessionId_ = core::randomAlnum(16);
    cname_ = "camsim-" + stream_->name();
    label_ = peer_ + " " + stream_->name();
    needKeyframe_ = true;
  }
  TrackOut& t = tracks_[track];
  t = TrackOut{};
  t.setUp = true;
  rtsp::RtspTransportHeader reply;
  reply.ssrc = stream_->ssrc(track);
  std::string how;
  if (tcp) {
    transport_ = Transport::Tcp;
    uint8_t first = static_cast<uint8_t>(2 * track);
    auto channels = chosen->interleaved.value_or(std::pair<uint8_t, uint8_t>{first, first + 1});
    t.rtpChannel = channels.first;
    t.rtcpChannel = channels.second;
    reply.lower = rtsp::RtspTransportHeader::Lower::Tcp;
    reply.interleaved = channels;
    prepareTcpMedia();
    how = fmt::format("TCP interleaved={}-{}", t.rtpChannel, t.rtcpChannel);
  } else {
    transport_ = Transport::Udp;
    auto ports = *chosen->clientPorts;
    t.udpRtp = socketAddress(peerAddress_, ports.first);
    t.udpRtcp = socketAddress(peerAddress_, ports.second);
    worker_->registerUdpPeer(t.udpRtp, this);
    worker_->registerUdpPeer(t.udpRtcp, this);
    reply.clientPorts = ports;
    reply.serverPorts = {worker_->udp().rtpPort(), worker_->udp().rtcpPort()};
    how = fmt::format("UDP client_port={}-{}", ports.first, ports.second);
  }
  res.headers.set("Transport", reply.serialize());
  log::info("[camsim] {}: {} set up over {}", label_, track == kVideoTrack ? "video" : "audio", how);
}

void CamsimSession::endMediaSession() {
  stopPlaying();
  for (auto& t : tracks_) {
    if (transport_ == Transport::Udp && t.setUp) {
      worker_->unregisterUdpPeer(t.udpRtp, this);
      worker_->unregisterUdpPeer(t.udpRtcp, this);
    }
    t.setUp = false;
  }
  transport_ = Transport::None;
  stream_ = nullptr;
}

}  // namespace sluice::camsim
