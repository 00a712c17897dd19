#include "app/ApiBackend.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "app/App.h"
#include "config/ConfigJson.h"
#include "core/Log.h"
#include "media/H264Sps.h"
#include "media/H265Sps.h"
#include "media/TrackCodec.h"

namespace sluice::app {

namespace {

const char* h264ProfileName(uint8_t idc) {
  switch (idc) {
    case 66:
      return "Baseline";
    case 77:
      return "Main";
    case 88:
      return "Extended";
    case 100:
      return "High";
    case 110:
      return "High 10";
    case 122:
      return "High 4:2:2";
    case 244:
      return "High 4:4:4 Predictive";
    default:
      return nullptr;
  }
}

// As MediaMTX names them: the profile's name, else its number; level_idc 31 -> "3.1", 40 -> "4".
std::string apiH264Profile(uint8_t idc) {
  const char* name = h264ProfileName(idc);
  return name ? name : std::to_string(idc);
}
std::string apiH264Level(uint8_t idc) {
  return idc % 10 ? fmt::format("{}.{}", idc / 10, idc % 10) : std::to_string(idc / 10);
}

// A track as MediaMTX's API shows it: its codec name and the properties it knows of it
// (from the source's SDP; empty when the SDP had no parameter sets).
http::ApiTrack apiTrack(const media::TrackDescription& t) {
  http::ApiTrack out;
  out.codec = t.apiName();
  if (const auto* h264 = std::get_if<media::H264Codec>(&t.codec)) {
    media::H264SpsInfo sps;
    if (h264->sets &&
        media::parseSps(h264->sets->sps.data(), h264->sets->sps.size(), sps) == media::SpsError::None) {
      out.props = {{"width", int64_t{sps.width}},
                   {"height", int64_t{sps.height}},
                   {"profile", apiH264Profile(sps.profileIdc)},
                   {"level", apiH264Level(sps.levelIdc)}};
    }
  } else if (const auto* h265 = std::get_if<media::H265Codec>(&t.codec)) {
    media::H265SpsInfo sps;
    if (h265->sets && media::parseH265Sps(h265->sets->sps.data(), h265->sets->sps.size(), sps) ==
                          media::H265PsError::None) {
      const char* profile = media::h265ProfileName(sps.ptl.profileIdc);
      out.props = {{"width", int64_t{sps.width}},
                   {"height", int64_t{sps.height}},
                   {"profile", profile ? std::string(profile) : std::to_string(sps.ptl.profileIdc)},
                   {"level", media::h265LevelName(sps.ptl.levelIdc)}};
    }
  } else if (const auto* g711 = std::get_if<media::G711Codec>(&t.codec)) {
    out.props = {
        {"muLaw", g711->muLaw}, {"sampleRate", int64_t{t.clockRate}}, {"channelCount", int64_t{t.channels}}};
  } else if (std::holds_alternative<media::OpusCodec>(t.codec)) {
    out.props = {{"channelCount", int64_t{t.channels}}};
  } else if (const auto* aac = std::get_if<media::Mpeg4AudioCodec>(&t.codec)) {
    out.props = {{"sampleRate", int64_t{aac->config().outputSampleRate ? aac->config().outputSampleRate
                                                                       : aac->config().sampleRate}},
                 {"channelCount", int64_t{aac->config().channels}}};
  }
  return out;
}

}  // namespace

ApiBackend::ApiBackend(App& app) : app_(app), started_(std::chrono::system_clock::now()) {}

http::ApiInfo ApiBackend::info() { return {app_.version(), started_}; }

std::string ApiBackend::configGlobalJson() { return config::globalToJson(app_.config()).dump(); }
std::string ApiBackend::configPathDefaultsJson() { return config::pathDefaultsToJson(app_.config()).dump(); }

std::string ApiBackend::configPathsJson() {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& p : app_.config().paths) items.push_back(config::pathToJson(p));
  return items.dump();
}

std::optional<std::string> ApiBackend::configPathJson(const std::string& name) {
  for (const auto& p : app_.config().paths) {
    if (p.name == name) return config::pathToJson(p).dump();
  }
  return std::nullopt;
}

template <class Change>
int ApiBackend::change(const std::string& json, std::string& error, Change&& fn) {
  nlohmann::json body;
  if (!json.empty()) {
    body = nlohmann::json::parse(json, nullptr, false);
    if (body.is_discarded()) {
      error = "invalid JSON";
      return 400;
    }
  }
  config::ConfigChangeResult r = fn(app_.config(), body);
  if (!r.config) {
    error = r.error;
    return r.status == 200 ? 400 : r.status;
  }
  for (auto& w : r.warnings) log::warn("{}", w);
  // Same path as a file reload: only what changed is restarted.
  app_.applyConfig(std::move(*r.config));
  return 200;
}

int ApiBackend::patchConfigGlobal(const std::string& json, std::string& error) {
  return change(json, error,
                [](const config::Config& c, const nlohmann::json& b) { return config::patchGlobal(c, b); });
}
int ApiBackend::patchConfigPathDefaults(const std::string& json, std::string& error) {
  return change(json, error, [](const config::Config& c, const nlohmann::json& b) {
    return config::patchPathDefaults(c, b);
  });
}
int ApiBackend::addConfigPath(const std::string& name, const std::string& json, std::string& error) {
  return change(json, error, [&](const config::Config& c, const nlohmann::json& b) {
    return config::addPath(c, name, b);
  });
}
int ApiBackend::patchConfigPath(const std::string& name, const std::string& json, std::string& error) {
  return change(json, error, [&](const config::Config& c, const nlohmann::json& b) {
    return config::patchPath(c, name, b);
  });
}
int ApiBackend::replaceConfigPath(const std::string& name, const std::string& json, std::string& error) {
  return change(json, error, [&](const config::Config& c, const nlohmann::json& b) {
    return config::replacePath(c, name, b);
  });
}
int ApiBackend::deleteConfigPath(const std::string& name, std::string& error) {
  return change("", error,
                [&](const config::Config& c, const nlohmann::json&) { return config::deletePath(c, name); });
}

std::vector<http::PathItem> ApiBackend::paths() {
  std::vector<webrtc::WebrtcSessionInfo> sessions;
  if (app_.webrtcEnabled()) sessions = app_.webrtc().listSessions();
  std::vector<rtsp::RtspConnectionInfo> rtspConns, rtspsConns;
  if (app_.rtspServer()) rtspConns = app_.rtspServer()->connections();
  if (app_.rtspsServer()) rtspsConns = app_.rtspsServer()->connections();
  std::vector<http::PathItem> out;
  // Configured paths and those created from a regex path (confName is then the regex's).
  std::map<std::string, std::string> confNames;
  for (const auto& pc : app_.config().paths) confNames[pc.name] = pc.name;
  for (const auto& [name, owned] : app_.paths()) {
    Path* path = owned.get();
    http::PathItem item;
    item.name = name;
    if (auto it = confNames.find(name); it != confNames.end()) {
      item.confName = it->second;
    } else if (const config::PathConfig* re = config::findPath(app_.config(), name)) {
      item.confName = re->name;
    } else {
      item.confName = name;
    }
    if (path->sourceKind()) item.source = http::ApiPeer{path->sourceKind(), ""};
    if (path->publisher) {
      const std::string& id = path->publisher->sessionId;
      const bool tls = std::any_of(rtspsConns.begin(), rtspsConns.end(),
                                   [&](const rtsp::RtspConnectionInfo& c) { return c.sessionId == id; });
      item.source = http::ApiPeer{tls ? "rtspsSession" : "rtspSession", id};
    }
    const stream::StreamStats& st = path->stream()->stats();
    item.ready = path->ready();
    int64_t since = st.readySinceUnixMs.load(std::memory_order_relaxed);
    if (item.ready && since > 0) {
      item.readyTime = std::chrono::system_clock::time_point(std::chrono::milliseconds(since));
      for (const auto& t : path->stream()->formatSnapshot()) item.tracks.push_back(apiTrack(t));
    }
    item.inboundBytes = st.bytesIn.load(std::memory_order_relaxed);
    item.inboundFramesInError = st.ingestErrors.load(std::memory_order_relaxed);
    for (const auto& s : sessions) {
      if (s.path != name) continue;
      item.readers.push_back({"webRTCSession", s.id});
      item.outboundBytes += s.bytesSent;
    }
    for (const auto& c : rtspConns) {
      if (c.path != name || c.state != "read") continue;
      item.readers.push_back({"rtspSession", c.sessionId});
      item.outboundBytes += c.bytesSent;
    }
    for (const auto& c : rtspsConns) {
      if (c.path != name || c.state != "read") continue;
      item.readers.push_back({"rtspsSession", c.sessionId});
      item.outboundBytes += c.bytesSent;
    }
    out.push_back(std::move(item));
  }
  return out;
}

bool ApiBackend::webrtcEnabled() { return app_.webrtcEnabled(); }

std::vector<http::WebrtcSessionItem> ApiBackend::webrtcSessions() {
  std::vector<http::WebrtcSessionItem> out;
  if (!app_.webrtcEnabled()) return out;
  for (const auto& s : app_.webrtc().listSessions()) {
    http::WebrtcSessionItem i;
    i.id = s.id;
    i.created = s.created;
    i.remoteAddr = s.remoteAddress;
    i.peerConnectionEstablished = s.state == "connected";
    if (!s.remoteCandidate.empty()) {
      auto colon = s.remoteCandidate.rfind(':');
      i.remoteCandidate = "prflx/" + s.remoteProtocol + "/" + s.remoteCandidate.substr(0, colon) + "/" +
                          s.remoteCandidate.substr(colon + 1);
    }
    i.state = "read";
    i.path = s.path;
    i.query = s.query;
    i.inboundBytes = s.bytesReceived;
    i.inboundRtcpPackets = s.rtcpPacketsReceived;
    i.outboundBytes = s.bytesSent;
    i.outboundRtpPackets = s.rtpPacketsSent;
    i.outboundRtcpPackets = s.rtcpPacketsSent;
    out.push_back(std::move(i));
  }
  return out;
}

int ApiBackend::kickWebrtcSession(const std::string& id, std::string& error) {
  if (!app_.webrtcEnabled()) {
    error = "WebRTC is disabled";
    return 404;
  }
  return app_.webrtc().kickSession(id, error);
}

namespace {

// The API's view of one RTSP or RTSPS server's connections and sessions.
std::vector<http::RtspConnItem> connItems(const rtsp::RtspServer* server) {
  std::vector<http::RtspConnItem> out;
  if (!server) return out;
  for (const auto& c : server->connections()) {
    http::RtspConnItem i;
    i.id = c.id;
    i.created = c.created;
    i.remoteAddr = c.remoteAddr;
    if (c.hasSession) i.session = c.sessionId;
    i.inboundBytes = c.bytesReceived;
    i.outboundBytes = c.bytesSent;
    out.push_back(std::move(i));
  }
  return out;
}

std::vector<http::RtspSessionItem> sessionItems(const rtsp::RtspServer* server) {
  std::vector<http::RtspSessionItem> out;
  if (!server) return out;
  for (const auto& c : server->connections()) {
    if (!c.hasSession) continue;
    http::RtspSessionItem i;
    i.id = c.sessionId;
    i.created = c.created;
    i.remoteAddr = c.remoteAddr;
    i.state = c.state;
    i.path = c.path;
    i.query = c.query;
    i.userAgent = c.userAgent;
    if (!c.transport.empty()) i.transport = c.transport;  // null before a SETUP, as MediaMTX
    i.profile = "AVP";
    i.conns = {c.id};
    i.inboundBytes = c.bytesReceived;
    i.inboundRtpPackets = c.rtpPacketsReceived;
    i.inboundRtpPacketsInError = c.ingestErrors;
    i.inboundRtcpPackets = c.rtcpPacketsReceived;
    i.inboundRtcpPacketsInError = c.rtcpPacketsInError;
    i.outboundBytes = c.bytesSent;
    i.outboundRtpPackets = c.rtpPacketsSent;
    i.outboundRtpPacketsDiscarded = c.rtpPacketsDiscarded;
    i.inboundRtpPacketsLost = c.rtpPacketsLost;
    i.inboundRtpPacketsJitter = c.rtpPacketsJitter;
    i.outboundRtcpPackets = c.rtcpPacketsSent;
    out.push_back(std::move(i));
  }
  return out;
}

int kickSession(rtsp::RtspServer* server, const std::string& id, std::string& error) {
  if (!server || !server->kick(id)) {
    error = "session not found";
    return 404;
  }
  return 200;
}

}  // namespace

bool ApiBackend::rtspEnabled() { return app_.rtspServer() != nullptr; }
std::vector<http::RtspConnItem> ApiBackend::rtspConns() { return connItems(app_.rtspServer()); }
std::vector<http::RtspSessionItem> ApiBackend::rtspSessions() { return sessionItems(app_.rtspServer()); }
int ApiBackend::kickRtspSession(const std::string& id, std::string& error) {
  return kickSession(app_.rtspServer(), id, error);
}

bool ApiBackend::rtspsEnabled() { return app_.rtspsServer() != nullptr; }
std::vector<http::RtspConnItem> ApiBackend::rtspsConns() { return connItems(app_.rtspsServer()); }
std::vector<http::RtspSessionItem> ApiBackend::rtspsSessions() { return sessionItems(app_.rtspsServer()); }
int ApiBackend::kickRtspsSession(const std::string& id, std::string& error) {
  return kickSession(app_.rtspsServer(), id, error);
}

http::SluiceCounters ApiBackend::sluiceCounters() {
  http::SluiceCounters c;
  std::map<std::string, uint64_t> nacks, skipped, skips;
  if (app_.webrtcEnabled()) {
    for (const auto& s : app_.webrtc().listSessions()) {
      nacks[s.path] += s.retransmitted;
      skipped[s.path] += s.packetsSkipped;
      skips[s.path] += s.keyframeSkips;
    }
    webrtc::UdpEgressTotals t = app_.webrtc().egressTotals();
    c.egressBatches = t.batches;
    c.egressPackets = t.datagramsSent;
    c.extra.push_back(
        {"sluice_egress_datagrams_dropped_total", {}, static_cast<double>(t.datagramsDropped), true});
    c.extra.push_back({"sluice_egress_bytes_total", {}, static_cast<double>(t.bytesSent), true});
    c.extra.push_back({"sluice_egress_messages_total", {}, static_cast<double>(t.messages), true});
    c.extra.push_back({"sluice_webrtc_inbox_dropped_total", {}, static_cast<double>(t.inboxDropped), true});
    c.extra.push_back({"sluice_stream_mirrors", {}, static_cast<double>(t.mirrors), false});
    c.extra.push_back({"sluice_stream_mirror_dropped_total", {}, static_cast<double>(t.mirrorDropped), true});
    for (size_t w = 0; w < t.viewersPerWorker.size(); ++w) {
      c.extra.push_back({"sluice_webrtc_worker_viewers",
                         {{"worker", std::to_string(w)}},
                         static_cast<double>(t.viewersPerWorker[w]),
                         false});
    }
  }
  for (const auto& pc : app_.config().paths) {
    Path* path = app_.findPath(pc.name);
    if (!path) continue;
    c.paths.push_back({pc.name, nacks[pc.name], skipped[pc.name]});
  }
  // One family of per-path samples (a family's samples must be adjacent), for every running path.
  auto perPath = [&](const char* family, bool counter, auto valueOf) {
    for (const auto& pc : app_.config().paths) {
      if (Path* path = app_.findPath(pc.name)) {
        c.extra.push_back(
            {family, {{"name", pc.name}}, static_cast<double>(valueOf(pc.name, *path)), counter});
      }
    }
  };
  auto streamStat = [](auto member) {
    return [member](const std::string&, Path& path) { return (path.stream()->stats().*member).load(); };
  };
  using Stats = stream::StreamStats;
  // Viewers moved ahead to the next keyframe, losing more than resending repairs (WebrtcSession).
  perPath("sluice_path_viewer_keyframe_skips_total", true,
          [&](const std::string& name, Path&) { return skips[name]; });
  perPath("sluice_path_source_packets_lost_total", true, streamStat(&Stats::packetsLost));
  // A restarting source: readers kept while it is away, and how often they continued.
  perPath("sluice_path_source_suspended", false, streamStat(&Stats::suspended));
  perPath("sluice_path_source_resumes_total", true, streamStat(&Stats::resumes));
  // New readers still catching up on the cached GOP whom the history overran: moved ahead to
  // the last keyframe (a viewer far slower than the stream, or a cache too small for its GOP).
  perPath("sluice_path_reader_skips_total", true, streamStat(&Stats::readerSkips));
  // Each ready path's tracks, as the API's `tracks` names them (an info metric: value 1).
  for (const auto& pc : app_.config().paths) {
    Path* path = app_.findPath(pc.name);
    if (!path || !path->ready()) continue;
    const stream::StreamFormat format = path->stream()->formatSnapshot();
    for (size_t i = 0; i < format.size(); ++i) {
      c.extra.push_back(
          {"sluice_path_track_info",
           {{"name", pc.name}, {"track", std::to_string(i + 1)}, {"codec", format[i].apiName()}},
           1.0,
           false});
    }
  }
  // Streams whose audio is being transcoded to Opus right now (0 when nobody listens).
  perPath("sluice_path_audio_transcoding", false, streamStat(&Stats::transcoding));
  return c;
}

}  // namespace sluice::app
