#pragma once
// Plain values the application fills in for the control API and /metrics. Field names
// follow MediaMTX's JSON (internal/defs/api_*.go); the deprecated aliases MediaMTX also
// emits (bytesReceived, readyTime, rtpPacketsSent, ...) are derived when serialising, so
// the app fills every number once.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sluice::http {

using WallTime = std::chrono::system_clock::time_point;

struct ApiInfo {
  std::string version;  // "v1.x.y" in MediaMTX; Sluice reports its own version
  WallTime started;
};

// A path's source or one of its readers: {"type":"rtspSource","id":""}.
struct ApiPeer {
  std::string type;  // source: rtspSource, rtspSession, webRTCSession, ...; reader: webRTCSession, ...
  std::string id;    // session UUID, empty for static sources
};

// One entry of "codecProps", e.g. {"width", 1920} or {"profile", "Main"}.
struct CodecProp {
  std::string name;
  std::variant<int64_t, bool, std::string> value;
};

struct ApiTrack {
  std::string codec;             // label: H264, H265, Opus, G711, ...
  std::vector<CodecProp> props;  // in JSON order; empty -> "codecProps": null
};

struct PathItem {
  std::string name;
  std::string confName;
  std::optional<ApiPeer> source;  // null when the path has no source yet
  bool ready = false;             // also emitted as "available" and "online"
  std::optional<WallTime> readyTime;
  std::vector<ApiTrack> tracks;  // "tracks" (labels) and "tracks2"; empty when not ready
  std::vector<ApiPeer> readers;
  uint64_t inboundBytes = 0;   // also "bytesReceived"
  uint64_t outboundBytes = 0;  // also "bytesSent"
  uint64_t inboundFramesInError = 0;
};

struct WebrtcSessionItem {
  std::string id;  // canonical lowercase UUID
  WallTime created;
  std::string remoteAddr;
  bool peerConnectionEstablished = false;
  std::string localCandidate;  // "<typ>/<proto>/<addr>/<port>"
  std::string remoteCandidate;
  std::string state = "read";  // read | publish
  std::string path;
  std::string query;
  std::string user;
  std::string userAgent;
  uint64_t inboundBytes = 0;
  uint64_t inboundRtpPackets = 0;
  uint64_t inboundRtpPacketsLost = 0;
  double inboundRtpPacketsJitter = 0;
  uint64_t inboundRtcpPackets = 0;
  uint64_t outboundBytes = 0;
  uint64_t outboundRtpPackets = 0;
  uint64_t outboundRtcpPackets = 0;
  uint64_t outboundFramesDiscarded = 0;
};

struct RtspConnItem {
  std::string id;
  WallTime created;
  std::string remoteAddr;
  std::optional<std::string> session;  // session UUID or null
  std::string tunnel = "none";         // none | http | websocket
  uint64_t inboundBytes = 0;
  uint64_t outboundBytes = 0;
};

struct RtspSessionItem {
  std::string id;
  WallTime created;
  std::string remoteAddr;
  std::string state = "idle";  // idle | read | publish
  std::string path;
  std::string query;
  std::string user;
  std::string userAgent;
  std::optional<std::string> transport;  // UDP | UDP-multicast | TCP, or null
  std::optional<std::string> profile;    // AVP | SAVP, or null
  std::vector<std::string> conns;
  uint64_t inboundBytes = 0;
  uint64_t inboundRtpPackets = 0;
  uint64_t inboundRtpPacketsLost = 0;
  uint64_t inboundRtpPacketsInError = 0;
  double inboundRtpPacketsJitter = 0;
  uint64_t inboundRtcpPackets = 0;
  uint64_t inboundRtcpPacketsInError = 0;
  uint64_t outboundBytes = 0;
  uint64_t outboundRtpPackets = 0;
  uint64_t outboundRtpPacketsReportedLost = 0;
  uint64_t outboundRtpPacketsDiscarded = 0;
  uint64_t outboundRtcpPackets = 0;
};

}  // namespace sluice::http
