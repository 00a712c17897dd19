#include "rtsp/RtspServerSession.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/Random.h"
#include "media/Sdp.h"
#include "media/TrackCodec.h"
#include "rtsp/RtspServerSdp.h"
#include "rtsp/RtspSessionHeader.h"
#include "rtsp/RtspText.h"
#include "rtsp/RtspTransportHeader.h"
#include "rtsp/RtspUrl.h"

namespace sluice::rtsp {

namespace {

// The realm of the server's challenges (Basic and Digest), gortsplib's.
constexpr const char* kRealm = "ipcam";

const char* reasonOf(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 415:
      return "Unsupported Media Type";
    case 454:
      return "Session Not Found";
    case 455:
      return "Method Not Valid In This State";
    case 461:
      return "Unsupported Transport";
    case 501:
      return "Not Implemented";
    default:
      return "Error";
  }
}

// The URL without a trailing "/trackID=<n>" (or the announced control) and trailing '/'.
std::string withoutTrackSuffix(std::string_view url) {
  const size_t at = url.rfind("/trackID=");
  if (at != std::string_view::npos) url = url.substr(0, at);
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::string lastSegment(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  const size_t at = url.rfind('/');
  return std::string(at == std::string_view::npos ? url : url.substr(at + 1));
}

}  // namespace

bool rtspRequestPath(std::string_view url, std::string& path, std::string& query) {
  std::optional<RtspUrl> u = parseRtspUrl(url);
  if (!u) return false;
  std::string_view pq = u->pathAndQuery;
  if (!pq.empty() && pq.front() == '/') pq.remove_prefix(1);
  const size_t q = pq.find('?');
  std::string_view p = pq.substr(0, q);
  query = q == std::string_view::npos ? std::string() : std::string(pq.substr(q + 1));
  while (!query.empty() && query.back() == '/') query.pop_back();
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  path = std::string(p);
  return true;
}

RtspServerSession::RtspServerSession(RtspServerHandler& handler, const RtspServerOptions& options,
                                     std::string remoteIp)
    : handler_(handler),
      options_(options),
      remoteIp_(std::move(remoteIp)),
      id_(core::randomAlnum(16)),
      nonce_(fmt::format("{:08x}{:08x}{:08x}{:08x}", core::random32(), core::random32(), core::random32(),
                         core::random32())) {
  channelTrack_.fill(-1);
}

bool RtspServerSession::offers(RtspAuthMethod method) const {
  return std::find(options_.authMethods.begin(), options_.authMethods.end(), method) !=
         options_.authMethods.end();
}

RtspResponse RtspServerSession::response(const RtspRequest& request, int status) {
  RtspResponse res;
  res.statusCode = status;
  res.reason = reasonOf(status);
  if (auto cseq = request.headers.get("CSeq")) res.headers.set("CSeq", *cseq);
  res.headers.set("Server", "sluice");
  return res;
}

std::string RtspServerSession::sessionHeader() const {
  const auto timeout = std::chrono::duration_cast<std::chrono::seconds>(options_.idleTimeout).count() - 5;
  return id_ + ";timeout=" + std::to_string(timeout > 0 ? timeout : 1);
}

RtspReply RtspServerSession::refuse(const RtspRequest& r, int status, std::string why, bool close) {
  RtspReply out;
  out.response = response(r, status);
  out.then = close ? RtspReply::Then::Close : RtspReply::Then::Continue;
  out.logError = std::move(why);
  return out;
}

RtspReply RtspServerSession::redirect(const RtspRequest& r, const std::string& location) {
  // A path on this server is given with the scheme and host the client used.
  std::string target = location;
  if (!location.empty() && location.front() == '/') {
    const size_t authority = r.uri.find("://");
    const size_t pathStart =
        authority == std::string::npos ? std::string::npos : r.uri.find('/', authority + 3);
    target = r.uri.substr(0, pathStart) + location;
  }
  RtspReply out;
  out.response = response(r, 301);
  out.response.headers.set("Location", target);
  return out;
}

RtspReply RtspServerSession::waitFor(const std::string& path) {
  RtspReply out;
  out.then = RtspReply::Then::WaitForSource;
  out.waitPath = path;
  return out;
}

bool RtspServerSession::sessionMatches(const RtspRequest& r) const {
  auto h = r.headers.get("Session");
  if (!h) return !sessionCreated_;
  std::optional<RtspSessionHeader> s = parseRtspSession(*h);
  return s && sessionCreated_ && s->id == id_;
}

RtspReply RtspServerSession::handle(const RtspRequest& r) {
  RtspReply out = dispatch(r);
  // The answer is for this request only; it is handled again after waiting for its source,
  // and must not be asked about (nor wait) a second time.
  if (out.then != RtspReply::Then::WaitForSource) accessAnswer_.reset();
  return out;
}

RtspReply RtspServerSession::dispatch(const RtspRequest& r) {
  bool malformed = false;
  if (!cseqOf(r.headers, &malformed) || malformed) return refuse(r, 400, "missing or invalid CSeq");
  if (auto ua = r.headers.get("User-Agent"); ua && userAgent_.empty())
    userAgent_ = std::string(ua->substr(0, 256));
  const std::string& m = r.method;
  if (m == "OPTIONS") return options(r);
  if (m == "GET_PARAMETER" || m == "SET_PARAMETER") {
    if (r.headers.get("Session") && !sessionMatches(r)) return refuse(r, 454, "session not found");
    RtspReply out;
    out.response = response(r, 200);
    if (sessionCreated_) out.response.headers.set("Session", sessionHeader());
    return out;
  }
  if (m == "DESCRIBE") return describe(r);
  if (m == "ANNOUNCE") return announce(r);
  if (m == "SETUP") return setup(r);
  if (m == "PLAY") return play(r);
  if (m == "RECORD") return record(r);
  if (m == "TEARDOWN") {
    RtspReply out;
    out.response = response(r, 200);
    out.then = RtspReply::Then::Close;
    return out;
  }
  if (m == "PAUSE") return refuse(r, 455, "PAUSE before PLAY or RECORD");
  return refuse(r, 501, "unhandled method: " + m.substr(0, 32));
}

RtspReply RtspServerSession::options(const RtspRequest& r) {
  RtspReply out;
  out.response = response(r, 200);
  out.response.headers.set(
      "Public",
      "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, ANNOUNCE, RECORD, TEARDOWN, GET_PARAMETER, "
      "SET_PARAMETER");
  return out;
}

std::optional<RtspReply> RtspServerSession::checkAccess(const RtspRequest& r, bool publish,
                                                        const std::string& path, const std::string& query) {
  RtspAccessQuery q;
  q.publish = publish;
  q.path = path;
  q.query = query;
  q.remoteIp = remoteIp_;
  if (auto a = r.headers.get("Authorization")) q.authorization = std::string(*a);
  q.basicAllowed = offers(RtspAuthMethod::Basic);
  q.digestAllowed = offers(RtspAuthMethod::Digest);
  q.realm = kRealm;
  q.nonce = nonce_;
  q.method = r.method;
  q.uri = r.uri;
  RtspAccessResult res;
  if (accessAnswer_) {
    res = *accessAnswer_;
  } else {
    res = handler_.checkAccess(q);
    if (res.verdict == RtspAccessVerdict::AskLater) {
      RtspReply wait;
      wait.then = RtspReply::Then::WaitForAccess;
      wait.accessQuery = std::move(q);
      return wait;
    }
  }
  if (res.verdict == RtspAccessVerdict::Allowed) return std::nullopt;
  // No credentials: ask for them and keep the connection (the client retries on it). Wrong
  // ones: 401 after the pause, then close, as MediaMTX does.
  const bool ask = res.verdict == RtspAccessVerdict::AskCredentials;
  RtspReply out = refuse(r, 401, ask ? "authentication required" : "authentication failed", !ask);
  // One challenge per rtspAuthMethods entry, in its order, as gortsplib answers.
  for (RtspAuthMethod m : options_.authMethods) {
    out.response.headers.add(
        "WWW-Authenticate",
        m == RtspAuthMethod::Basic
            ? fmt::format("Basic realm=\"{}\"", kRealm)
            : fmt::format("Digest realm=\"{}\", nonce=\"{}\", algorithm=\"MD5\"", kRealm, nonce_));
  }
  out.delay = ask ? std::chrono::milliseconds(0) : res.delay;
  return out;
}

RtspReply RtspServerSession::describe(const RtspRequest& r) {
  if (state_ != State::Initial && state_ != State::Reading) return refuse(r, 455, "DESCRIBE in this state");
  std::string path, query;
  if (!rtspRequestPath(r.uri, path, query))
    return refuse(r, 400, "invalid URL '" + r.uri.substr(0, 256) + "'");
  if (auto denied = checkAccess(r, false, path, query)) return std::move(*denied);
  RtspReadTarget target;
  RtspRefusal refusal;
  if (!handler_.findReadable(path, target, refusal)) {
    if (!refusal.location.empty()) return redirect(r, refusal.location);
    if (refusal.sourceStarting && waitForSources_) return waitFor(path);
    return refuse(r, refusal.status, refusal.message);
  }
  RtspReply out;
  out.response = response(r, 200);
  out.response.headers.set("Content-Base", r.uri + "/");
  out.response.headers.set("Content-Type", "application/sdp");
  out.response.body = buildServerSdp(target.format);
  if (state_ == State::Initial) {
    path_ = path;
    query_ = query;
    read_ = std::move(target);
    state_ = State::Reading;
  }
  return out;
}

RtspReply RtspServerSession::announce(const RtspRequest& r) {
  if (state_ != State::Initial) return refuse(r, 455, "ANNOUNCE in this state");
  std::string path, query;
  if (!rtspRequestPath(r.uri, path, query))
    return refuse(r, 400, "invalid URL '" + r.uri.substr(0, 256) + "'");
  if (auto ct = r.headers.get("Content-Type"); !ct || !iequals(trim(*ct), "application/sdp"))
    return refuse(r, 400, "ANNOUNCE without an application/sdp body");
  if (auto denied = checkAccess(r, true, path, query)) return std::move(*denied);
  RtspRefusal refusal;
  if (!handler_.canPublish(path, refusal)) return refuse(r, refusal.status, refusal.message);
  std::string error;
  std::optional<media::SessionDescription> sdp = media::parseSdp(r.body, error);
  if (!sdp) return refuse(r, 400, error);
  std::vector<media::TrackDescription> described;
  for (const auto& md : sdp->media) described.push_back(media::describeTrack(md));
  // Video first, then audio, each in the announced order (stream/StreamFormat.h says why).
  announcedTrackOfMedia_.assign(described.size(), -1);
  announcedControl_.clear();
  skippedTracks_.clear();
  for (size_t i = 0; i < described.size(); ++i) {
    if (!described[i].supported())
      skippedTracks_.push_back("track " + std::to_string(i + 1) + " (" + described[i].describe() + ")");
  }
  for (const auto& md : sdp->media) announcedControl_.push_back(md.attribute("control").value_or(""));
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < described.size(); ++i) {
      if (!described[i].supported() || described[i].isVideo() != (pass == 0)) continue;
      if (announced_.size() >= stream::kMaxSourceTracks) continue;
      announcedTrackOfMedia_[i] = static_cast<int>(announced_.size());
      announced_.push_back(described[i]);
    }
  }
  if (announced_.empty()) {
    std::string what;
    for (const auto& d : described) what += (what.empty() ? "" : ", ") + d.describe();
    return refuse(r, 400,
                  "the stream has no track Sluice can carry" + (what.empty() ? "" : " (" + what + ")"));
  }
  path_ = path;
  query_ = query;
  announceUrl_ = r.uri;
  state_ = State::Announced;
  RtspReply out;
  out.response = response(r, 200);
  return out;
}

RtspReply RtspServerSession::setup(const RtspRequest& r) {
  if (state_ == State::Playing || state_ == State::Recording)
    return refuse(r, 455, "SETUP after PLAY or RECORD");
  if (!sessionMatches(r)) return refuse(r, 454, "session not found");
  auto th = r.headers.get("Transport");
  if (!th) return refuse(r, 461, "SETUP without a Transport header");
  std::string error;
  const std::vector<RtspTransportHeader> offered = parseRtspTransports(*th, &error);
  if (offered.empty()) return refuse(r, 461, "invalid Transport: " + error);
  // The client lists its transports by preference: the first one served wins.
  const RtspTransportHeader* t = nullptr;
  std::string refusals;
  for (const auto& alternative : offered) {
    std::string why = transportRefusal(alternative);
    if (why.empty()) {
      t = &alternative;
      break;
    }
    if (refusals.find(why) == std::string::npos) refusals += (refusals.empty() ? "" : "; ") + why;
  }
  if (!t) return refuse(r, 461, "no offered transport is served: " + refusals, false);
  const bool multicast = t->delivery == RtspTransportHeader::Delivery::Multicast;
  const bool udp = t->lower == RtspTransportHeader::Lower::Udp && !multicast;
  if (setup_.size() >= stream::kMaxSourceTracks) return refuse(r, 400, "too many tracks set up");

  size_t streamTrack = 0;
  if (state_ == State::Announced) {
    if (t->mode.size() && !iequals(t->mode, "record") && !iequals(t->mode, "\"record\""))
      return refuse(r, 400, "SETUP of a publisher with mode " + t->mode.substr(0, 32));
    // The media whose control resolves to this URL.
    std::optional<size_t> media;
    for (size_t i = 0; i < announcedControl_.size() && !media; ++i) {
      if (resolveControlUrl(announceUrl_, announcedControl_[i]) == r.uri) media = i;
    }
    for (size_t i = 0; i < announcedControl_.size() && !media; ++i) {
      if (!announcedControl_[i].empty() && lastSegment(r.uri) == lastSegment(announcedControl_[i])) media = i;
    }
    if (!media) return refuse(r, 400, "SETUP of a track that was not announced: " + r.uri.substr(0, 256));
    // A medium Sluice cannot carry is set up all the same and its packets dropped.
    const int mapped = announcedTrackOfMedia_[*media];
    streamTrack = mapped < 0 ? SIZE_MAX : static_cast<size_t>(mapped);
  } else {
    std::string path, query;
    if (!rtspRequestPath(withoutTrackSuffix(r.uri), path, query))
      return refuse(r, 400, "invalid URL '" + r.uri.substr(0, 256) + "'");
    if (state_ == State::Initial) {
      // SETUP without DESCRIBE: the client knows the tracks already.
      if (auto denied = checkAccess(r, false, path, query)) return std::move(*denied);
      RtspRefusal refusal;
      RtspReadTarget target;
      if (!handler_.findReadable(path, target, refusal)) {
        if (refusal.sourceStarting && waitForSources_) return waitFor(path);
        return refuse(r, refusal.status, refusal.message);
      }
      path_ = path;
      query_ = query;
      read_ = std::move(target);
      state_ = State::Reading;
    } else if (path != path_) {
      return refuse(r, 400, "can't setup medias with different paths");
    }
    std::optional<size_t> id = trackIdOfUrl(r.uri);
    if (!id && read_.format.size() == 1) id = 0;
    if (!id || *id >= read_.format.size()) return refuse(r, 400, "no such track: " + r.uri.substr(0, 256));
    streamTrack = *id;
    for (const auto& s : setup_)
      if (s.streamTrack == streamTrack) return refuse(r, 400, "track set up twice");
  }
  uint8_t rtp = 0;
  if (t->interleaved && !udp) {
    if (t->interleaved->second != t->interleaved->first + 1 || (t->interleaved->first & 1))
      return refuse(r, 400, "interleaved channels must be an even number and the next one");
    rtp = t->interleaved->first;
  } else {
    rtp = static_cast<uint8_t>(2 * setup_.size());
  }
  if (channelTrack_[rtp] >= 0 || channelTrack_[rtp + 1] >= 0)
    return refuse(r, 400,
                  "interleaved channels " + std::to_string(rtp) + "-" + std::to_string(rtp + 1) +
                      " are already in use");
  channelTrack_[rtp] = channelTrack_[rtp + 1] = static_cast<int16_t>(setup_.size());
  RtspSetupTrack track{streamTrack, rtp};
  RtspTransportHeader reply;
  if (multicast) {
    // The stream's group for this track, shared with every other multicast reader of it; the
    // client's own destination or ports are not followed (only the server picks groups).
    std::string why;
    const std::optional<uint32_t> group = options_.multicastGroups->groupFor(read_.stream, streamTrack, why);
    if (!group) {
      channelTrack_[rtp] = channelTrack_[rtp + 1] = -1;
      return refuse(r, 503, "no multicast group: " + why);
    }
    reply.lower = RtspTransportHeader::Lower::Udp;
    reply.delivery = RtspTransportHeader::Delivery::Multicast;
    reply.destination =
        fmt::format("{}.{}.{}.{}", *group >> 24, (*group >> 16) & 0xff, (*group >> 8) & 0xff, *group & 0xff);
    reply.ports = std::make_pair(options_.multicastOptions.rtpPort, options_.multicastOptions.rtcpPort);
    reply.ttl = options_.multicastOptions.ttl;
    if (const uint32_t ssrc = read_.stream->ssrcSnapshot(streamTrack)) reply.ssrc = ssrc;
  } else if (udp) {
    // Media go to (a reader) or come from (a publisher) the client's ports at the address of
    // this RTSP connection (a `destination` is not followed: it would let a client aim the
    // stream at a third party).
    track.clientRtpPort = t->clientPorts->first;
    track.clientRtcpPort = t->clientPorts->second;
    reply.lower = RtspTransportHeader::Lower::Udp;
    reply.clientPorts = t->clientPorts;
    reply.serverPorts = std::make_pair(options_.udpRtpPort, options_.udpRtcpPort);
    if (const uint32_t ssrc = read_.stream ? read_.stream->ssrcSnapshot(streamTrack) : 0) reply.ssrc = ssrc;
  } else {
    reply.lower = RtspTransportHeader::Lower::Tcp;
    reply.interleaved = std::make_pair(rtp, static_cast<uint8_t>(rtp + 1));
  }
  setup_.push_back(track);
  transport_ = multicast ? RtspMediaTransport::Multicast
               : udp     ? RtspMediaTransport::Udp
                         : RtspMediaTransport::Tcp;
  sessionCreated_ = true;

  RtspReply out;
  out.response = response(r, 200);
  out.response.headers.set("Transport", reply.serialize());
  out.response.headers.set("Session", sessionHeader());
  return out;
}

std::string RtspServerSession::transportRefusal(const RtspTransportHeader& t) const {
  const bool multicast = t.delivery == RtspTransportHeader::Delivery::Multicast;
  const auto otherTracks = [this](RtspMediaTransport wanted) -> std::string {
    if (transport_ == RtspMediaTransport::None || transport_ == wanted) return {};
    return transport_ == RtspMediaTransport::Tcp ? "the session's other tracks are set up over TCP"
           : transport_ == RtspMediaTransport::Udp
               ? "the session's other tracks are set up over UDP"
               : "the session's other tracks are set up over UDP multicast";
  };
  if (t.lower == RtspTransportHeader::Lower::Tcp) {
    if (multicast) return "multicast over TCP is not a transport";
    if (!options_.tcp) return "TCP is not enabled (rtspTransports)";
    return otherTracks(RtspMediaTransport::Tcp);
  }
  if (options_.tls) return "over RTSPS, media travel only interleaved in the TLS connection (TCP)";
  if (multicast) {
    if (state_ == State::Announced) return "publishing over UDP multicast is not served";
    if (!options_.multicast || !options_.multicastGroups)
      return "UDP multicast is not enabled (rtspTransports)";
    if (!read_.stream && state_ != State::Initial) return "the path has no stream";
    return otherTracks(RtspMediaTransport::Multicast);
  }
  if (!options_.udp || options_.udpRtpPort == 0) return "UDP is not enabled (rtspTransports)";
  if (!t.clientPorts || t.clientPorts->first == 0 || t.clientPorts->second == 0)
    return "UDP without client_port";
  return otherTracks(RtspMediaTransport::Udp);
}

RtspReply RtspServerSession::play(const RtspRequest& r) {
  if (!sessionCreated_ || !sessionMatches(r)) return refuse(r, 454, "session not found");
  if (state_ != State::Reading || setup_.empty()) return refuse(r, 455, "PLAY in this state");
  state_ = State::Playing;
  playUrl_ = r.uri;
  RtspReply out;
  out.response = response(r, 200);
  out.response.headers.set("Session", sessionHeader());
  out.then = RtspReply::Then::Play;
  return out;
}

RtspReply RtspServerSession::record(const RtspRequest& r) {
  if (!sessionCreated_ || !sessionMatches(r)) return refuse(r, 454, "session not found");
  if (state_ != State::Announced) return refuse(r, 455, "RECORD in this state");
  if (setup_.size() != announcedControl_.size())
    return refuse(r, 400, "not all announced medias have been setup");
  RtspRefusal refusal;
  if (!handler_.startPublishing(path_, id_, kick_, publish_, refusal))
    return refuse(r, refusal.status, refusal.message);
  state_ = State::Recording;
  RtspReply out;
  out.response = response(r, 200);
  out.response.headers.set("Session", sessionHeader());
  out.then = RtspReply::Then::Record;
  return out;
}

int RtspServerSession::trackOfChannel(uint8_t channel, bool& rtcp) const {
  const int16_t s = channelTrack_[channel];
  if (s < 0) return -1;
  rtcp = (channel & 1) != 0;
  const size_t t = setup_[static_cast<size_t>(s)].streamTrack;
  return t == SIZE_MAX ? -1 : static_cast<int>(t);
}

}  // namespace sluice::rtsp
