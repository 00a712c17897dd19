#include "http/ApiJson.h"

#include <cmath>
#include <ctime>

namespace sluice::http {
namespace {

Json timeOrNull(const std::optional<WallTime>& time) {
  return time ? Json(formatRfc3339(*time)) : Json(nullptr);
}

// Go prints float64 0 as "0", nlohmann as "0.0"; keep integral values integral.
Json number(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9e15) {
    return Json(static_cast<int64_t>(value));
  }
  return std::isfinite(value) ? Json(value) : Json(0);
}

Json peer(const ApiPeer& p) { return Json{{"type", p.type}, {"id", p.id}}; }

Json codecProps(const std::vector<CodecProp>& props) {
  if (props.empty()) return nullptr;
  Json out = Json::object();
  for (const CodecProp& p : props) {
    std::visit([&](const auto& v) { out[p.name] = v; }, p.value);
  }
  return out;
}

Json stringOrNull(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

}  // namespace

std::string formatRfc3339(WallTime time) {
  using namespace std::chrono;
  const auto ns = duration_cast<nanoseconds>(time.time_since_epoch()).count();
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf);
  if (frac != 0) {
    char digits[16];
    std::snprintf(digits, sizeof(digits), ".%09lld", static_cast<long long>(frac));
    std::string f(digits);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

Json toJson(const ApiInfo& info) {
  return Json{{"version", info.version}, {"started", formatRfc3339(info.started)}};
}

Json toJson(const PathItem& p) {
  Json labels = Json::array();
  Json tracks2 = Json::array();
  for (const ApiTrack& t : p.tracks) {
    labels.push_back(t.codec);
    tracks2.push_back(Json{{"codec", t.codec}, {"codecProps", codecProps(t.props)}});
  }
  Json readers = Json::array();
  for (const ApiPeer& r : p.readers) readers.push_back(peer(r));
  const Json readyTime = p.ready ? timeOrNull(p.readyTime) : Json(nullptr);
  return Json{{"name", p.name},
              {"confName", p.confName},
              {"ready", p.ready},
              {"readyTime", readyTime},
              {"available", p.ready},
              {"availableTime", readyTime},
              {"online", p.ready},
              {"onlineTime", readyTime},
              {"source", p.source ? peer(*p.source) : Json(nullptr)},
              {"tracks", labels},
              {"tracks2", tracks2},
              {"readers", readers},
              {"inboundBytes", p.inboundBytes},
              {"outboundBytes", p.outboundBytes},
              {"inboundFramesInError", p.inboundFramesInError},
              {"bytesReceived", p.inboundBytes},
              {"bytesSent", p.outboundBytes}};
}

Json toJson(const WebrtcSessionItem& s) {
  return Json{{"id", s.id},
              {"created", formatRfc3339(s.created)},
              {"remoteAddr", s.remoteAddr},
              {"peerConnectionEstablished", s.peerConnectionEstablished},
              {"localCandidate", s.localCandidate},
              {"remoteCandidate", s.remoteCandidate},
              {"state", s.state},
              {"path", s.path},
              {"query", s.query},
              {"user", s.user},
              {"userAgent", s.userAgent},
              {"inboundBytes", s.inboundBytes},
              {"inboundRTPPackets", s.inboundRtpPackets},
              {"inboundRTPPacketsLost", s.inboundRtpPacketsLost},
              {"inboundRTPPacketsJitter", number(s.inboundRtpPacketsJitter)},
              {"inboundRTCPPackets", s.inboundRtcpPackets},
              {"outboundBytes", s.outboundBytes},
              {"outboundRTPPackets", s.outboundRtpPackets},
              {"outboundRTCPPackets", s.outboundRtcpPackets},
              {"outboundFramesDiscarded", s.outboundFramesDiscarded},
              {"bytesReceived", s.inboundBytes},
              {"bytesSent", s.outboundBytes},
              {"rtpPacketsReceived", s.inboundRtpPackets},
              {"rtpPacketsSent", s.outboundRtpPackets},
              {"rtpPacketsLost", s.inboundRtpPacketsLost},
              {"rtpPacketsJitter", number(s.inboundRtpPacketsJitter)},
              {"rtcpPacketsReceived", s.inboundRtcpPackets},
              {"rtcpPacketsSent", s.outboundRtcpPackets}};
}

Json toJson(const RtspConnItem& c) {
  return Json{{"id", c.id},
              {"created", formatRfc3339(c.created)},
              {"remoteAddr", c.remoteAddr},
              {"session", stringOrNull(c.session)},
              {"tunnel", c.tunnel},
              {"inboundBytes", c.inboundBytes},
              {"outboundBytes", c.outboundBytes},
              {"bytesReceived", c.inboundBytes},
              {"bytesSent", c.outboundBytes}};
}

Json toJson(const RtspSessionItem& s) {
  return Json{{"id", s.id},
              {"created", formatRfc3339(s.created)},
              {"remoteAddr", s.remoteAddr},
              {"state", s.state},
              {"path", s.path},
              {"query", s.query},
              {"user", s.user},
              {"userAgent", s.userAgent},
              {"transport", stringOrNull(s.transport)},
              {"profile", stringOrNull(s.profile)},
              {"conns", s.conns},
              {"inboundBytes", s.inboundBytes},
              {"inboundRTPPackets", s.inboundRtpPackets},
              {"inboundRTPPacketsLost", s.inboundRtpPacketsLost},
              {"inboundRTPPacketsInError", s.inboundRtpPacketsInError},
              {"inboundRTPPacketsJitter", number(s.inboundRtpPacketsJitter)},
              {"inboundRTCPPackets", s.inboundRtcpPackets},
              {"inboundRTCPPacketsInError", s.inboundRtcpPacketsInError},
              {"outboundBytes", s.outboundBytes},
              {"outboundRTPPackets", s.outboundRtpPackets},
              {"outboundRTPPacketsReportedLost", s.outboundRtpPacketsReportedLost},
              {"outboundRTPPacketsDiscarded", s.outboundRtpPacketsDiscarded},
              {"outboundRTCPPackets", s.outboundRtcpPackets},
              {"bytesReceived", s.inboundBytes},
              {"bytesSent", s.outboundBytes},
              {"rtpPacketsReceived", s.inboundRtpPackets},
              {"rtpPacketsSent", s.outboundRtpPackets},
              {"rtpPacketsLost", s.inboundRtpPacketsLost},
              {"rtpPacketsInError", s.inboundRtpPacketsInError},
              {"rtpPacketsJitter", number(s.inboundRtpPacketsJitter)},
              {"rtcpPacketsReceived", s.inboundRtcpPackets},
              {"rtcpPacketsSent", s.outboundRtcpPackets},
              {"rtcpPacketsInError", s.inboundRtcpPacketsInError}};
}

std::string dumpJson(const Json& value) {
  const std::string raw = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size());
  // These bytes only occur inside strings, so a plain pass is safe. Go escapes them so a
  // JSON answer can't be sniffed as HTML, and U+2028/2029 for JavaScript.
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < raw.size() && raw[i + 1] == '\x80' &&
               (raw[i + 2] == '\xa8' || raw[i + 2] == '\xa9')) {
      out += raw[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

HttpResponse jsonResponse(int status, const Json& value) {
  HttpResponse res;
  res.status = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.body = dumpJson(value);
  return res;
}

HttpResponse apiOk() { return jsonResponse(200, Json{{"status", "ok"}}); }

HttpResponse apiError(int status, std::string_view message) {
  const int code = (status >= 400 && status <= 599) ? status : 500;
  return jsonResponse(code, Json{{"status", "error"}, {"error", std::string(message)}});
}

}  // namespace sluice::http
