#include "config/UnsupportedKeys.h"

namespace sluice::config {
namespace {

// The keys Sluice ignores, then MediaMTX's deprecated names of ignored keys with their replacement.
std::vector<UnsupportedKey> withDeprecated(const std::vector<std::string_view>& current,
                                           const std::vector<UnsupportedKey>& deprecated) {
  std::vector<UnsupportedKey> keys;
  keys.reserve(current.size() + deprecated.size());
  for (std::string_view key : current) keys.push_back({key});
  keys.insert(keys.end(), deprecated.begin(), deprecated.end());
  return keys;
}

}  // namespace

// Taken from MediaMTX's configuration reference (mediamtx.yml, internal/conf, api/openapi.yaml).
const std::vector<UnsupportedKey>& unsupportedGlobalKeys() {
  static const std::vector<UnsupportedKey> kKeys = withDeprecated(
      {// General
       "sysLogPrefix", "dumpPackets",
       // Authentication
       "authJWTJWKS", "authJWTJWKSFingerprint", "authJWTClaimKey", "authJWTExclude", "authJWTIssuer",
       "authJWTAudience", "authJWTInHTTPQuery",
       // Playback server
       "playback", "playbackAddress", "playbackEncryption", "playbackServerKey", "playbackServerCert",
       "playbackAllowOrigins", "playbackTrustedProxies",
       // RTSP server
       "srtpAddress", "srtcpAddress", "multicastSRTPPort", "multicastSRTCPPort", "rtspTrustedProxies",
       // RTMP server
       "rtmp", "rtmpEncryption", "rtmpAddress", "rtmpsAddress", "rtmpServerKey", "rtmpServerCert",
       "rtmpTrustedProxies",
       // HLS server
       "hls", "hlsAddress", "hlsEncryption", "hlsServerKey", "hlsServerCert", "hlsAllowOrigins",
       "hlsTrustedProxies", "hlsAlwaysRemux", "hlsVariant", "hlsSegmentCount", "hlsSegmentDuration",
       "hlsPartDuration", "hlsSegmentMaxSize", "hlsDirectory", "hlsMuxerCloseAfter", "hlsCDNSecret",
       // WebRTC server
       "webrtcIPsFromInterfacesExcludeList", "webrtcTrackGatherTimeout",
       // SRT server
       "srt", "srtAddress",
       // SRTLA server
       "srtla", "srtlaAddress",
       // MoQ server
       "moq", "moqHTTP2Address", "moqHTTP3Address", "moqQUICAddress", "moqServerKey", "moqServerCert",
       "moqAllowOrigins", "moqTrustedProxies"},
      {
          {"playbackAllowOrigin", "playbackAllowOrigins"},
          {"rtmpDisable", "rtmp"},
          {"hlsDisable", "hls"},
          {"hlsAllowOrigin", "hlsAllowOrigins"},
          {"moqHTTPS2Address", "moqHTTP2Address"},
          {"moqHTTPS3Address", "moqHTTP3Address"},
          {"record", "pathDefaults.record"},
          {"recordPath", "pathDefaults.recordPath"},
          {"recordFormat", "pathDefaults.recordFormat"},
          {"recordPartDuration", "pathDefaults.recordPartDuration"},
          {"recordSegmentDuration", "pathDefaults.recordSegmentDuration"},
          {"recordDeleteAfter", "pathDefaults.recordDeleteAfter"},
      });
  return kKeys;
}

const std::vector<UnsupportedKey>& unsupportedPathKeys() {
  static const std::vector<UnsupportedKey> kKeys = withDeprecated(
      {// General
       "srtReadPassphrase", "useAbsoluteTimestamp",
       // Always available
       "alwaysAvailableRecorded",
       // Record
       "record", "recordPath", "recordFormat", "recordPartDuration", "recordMaxPartSize",
       "recordSegmentDuration", "recordDeleteAfter", "playback",
       // Forward
       "forward",
       // Publisher source
       "srtPublishPassphrase",
       // RTSP source
       "rtspRangeType", "rtspRangeStart", "rtspScale", "rtspDemuxMpegts", "rtspUDPSourcePortRange",
       // MPEG-TS, RTP, MoQ and WebRTC (WHEP) sources
       "rtpSDP", "moqTransport", "whepBearerToken", "whepSTUNGatherTimeout", "whepHandshakeTimeout",
       "whepTrackGatherTimeout",
       // Raspberry Pi camera source
       "rpiCameraCamID", "rpiCameraSecondary", "rpiCameraWidth", "rpiCameraHeight", "rpiCameraHFlip",
       "rpiCameraVFlip", "rpiCameraBrightness", "rpiCameraContrast", "rpiCameraSaturation",
       "rpiCameraSharpness", "rpiCameraExposure", "rpiCameraAWB", "rpiCameraAWBGains", "rpiCameraDenoise",
       "rpiCameraShutter", "rpiCameraMetering", "rpiCameraGain", "rpiCameraEV", "rpiCameraROI",
       "rpiCameraHDR", "rpiCameraTuningFile", "rpiCameraMode", "rpiCameraFPS", "rpiCameraAfMode",
       "rpiCameraAfRange", "rpiCameraAfSpeed", "rpiCameraLensPosition", "rpiCameraAfWindow",
       "rpiCameraFlickerPeriod", "rpiCameraTextOverlayEnable", "rpiCameraTextOverlay", "rpiCameraCodec",
       "rpiCameraIDRPeriod", "rpiCameraBitrate", "rpiCameraH264Profile", "rpiCameraH264Level",
       "rpiCameraMJPEGQuality",
       // Hooks (no recording, and no stdin feed)
       "runOnAvailableStdin", "runOnAvailableStdinRestart", "runOnRecordSegmentCreate",
       "runOnRecordSegmentComplete"},
      {
          {"rtspUDPReadBufferSize", "udpReadBufferSize"},
          {"mpegtsUDPReadBufferSize", "udpReadBufferSize"},
          {"rtpUDPReadBufferSize", "udpReadBufferSize"},
          {"rpiCameraHardwareH264Profile", "rpiCameraH264Profile"},
          {"rpiCameraHardwareH264Level", "rpiCameraH264Level"},
          {"rpiCameraSoftwareH264Profile", "rpiCameraH264Profile"},
          {"rpiCameraSoftwareH264Level", "rpiCameraH264Level"},
          {"rpiCameraProfile", "rpiCameraH264Profile"},
          {"rpiCameraLevel", "rpiCameraH264Level"},
          {"rpiCameraJPEGQuality", "rpiCameraMJPEGQuality"},
      });
  return kKeys;
}

const UnsupportedKey* findUnsupportedKey(const std::vector<UnsupportedKey>& keys, std::string_view key) {
  for (const UnsupportedKey& candidate : keys) {
    if (candidate.key == key) return &candidate;
  }
  return nullptr;
}

}  // namespace sluice::config
