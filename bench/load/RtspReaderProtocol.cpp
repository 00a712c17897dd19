#include "load/RtspReaderProtocol.h"

#include "core/AsciiText.h"
#include "rtsp/RtspSdpTracks.h"
#include "rtsp/RtspSessionHeader.h"
#include "rtsp/RtspTransportHeader.h"
#include "rtsp/RtspUrl.h"

namespace sluice::load {

std::string buildRtspReaderRequest(std::string_view method, std::string_view uri, uint32_t cseq,
                                   std::string_view session,
                                   const std::vector<std::pair<std::string, std::string>>& headers) {
  rtsp::RtspRequest request;
  request.method.assign(method);
  request.uri.assign(uri);
  request.headers.add("CSeq", std::to_string(cseq));
  request.headers.add("User-Agent", "sluice-load");
  if (!session.empty()) request.headers.add("Session", session);
  for (const auto& [name, value] : headers) request.headers.add(name, value);
  return request.serialize();
}

bool checkRtspReply(const rtsp::RtspResponse& reply, uint32_t cseq, std::string_view step,
                    std::string& error) {
  bool malformed = false;
  const auto got = rtsp::cseqOf(reply.headers, &malformed);
  if (!got || *got != cseq) {
    error = std::string(step) + ": reply with " +
            (malformed ? "a malformed CSeq"
             : got     ? "CSeq " + std::to_string(*got)
                       : "no CSeq") +
            " (expected " + std::to_string(cseq) + ")";
    return false;
  }
  if (reply.statusCode != 200) {
    error = std::string(step) + " -> " + std::to_string(reply.statusCode) + " " + reply.reason;
    return false;
  }
  return true;
}

std::optional<RtspDescription> parseDescribeReply(const rtsp::RtspResponse& reply,
                                                  std::string_view requestUrl, std::string& error) {
  RtspDescription out;
  out.baseUrl.assign(requestUrl);
  for (const char* name : {"Content-Base", "Content-Location"}) {
    if (auto v = reply.headers.get(name)) {
      const std::string_view value = core::trim(*v);
      if (rtsp::parseRtspUrl(value)) {
        out.baseUrl.assign(value);
        break;
      }
    }
  }
  std::string sdpError;
  auto sdp = rtsp::parseRtspSdpTracks(reply.body, &sdpError);
  if (!sdp) {
    error = "DESCRIBE: invalid SDP: " + sdpError;
    return std::nullopt;
  }
  for (const auto& t : sdp->tracks) {
    if (t.backchannel) continue;
    RtspReaderTrack track;
    track.controlUrl = rtsp::resolveControlUrl(out.baseUrl, t.control);
    track.mediaType = t.mediaType;
    track.codec = t.codecName;
    track.clockRate = t.clockRate;
    out.tracks.push_back(std::move(track));
  }
  if (out.tracks.empty()) {
    error = "DESCRIBE: the stream has no media to read";
    return std::nullopt;
  }
  return out;
}

std::string readerTransport(bool udp, const RtspReaderTrack& track, size_t index) {
  if (udp) {
    return "RTP/AVP;unicast;client_port=" + std::to_string(track.clientRtpPort) + "-" +
           std::to_string(track.clientRtcpPort);
  }
  return "RTP/AVP/TCP;unicast;interleaved=" + std::to_string(2 * index) + "-" + std::to_string(2 * index + 1);
}

std::optional<RtspSetupReply> applySetupReply(const rtsp::RtspResponse& reply, bool udp,
                                              RtspReaderTrack& track, std::string& error) {
  RtspSetupReply out;
  const auto sessionHeader = reply.headers.get("Session");
  if (!sessionHeader) {
    error = "SETUP: reply without Session";
    return std::nullopt;
  }
  std::string detail;
  auto session = rtsp::parseRtspSession(*sessionHeader, &detail);
  if (!session) {
    error = "SETUP: bad Session header: " + detail;
    return std::nullopt;
  }
  out.sessionId = session->id;
  if (session->timeoutSeconds && *session->timeoutSeconds > 0) out.timeoutSeconds = *session->timeoutSeconds;

  const auto transportHeader = reply.headers.get("Transport");
  if (!transportHeader) {
    error = "SETUP: reply without Transport";
    return std::nullopt;
  }
  auto transport = rtsp::parseRtspTransport(*transportHeader, &detail);
  if (!transport) {
    error = "SETUP: bad Transport header: " + detail;
    return std::nullopt;
  }
  const auto wanted = udp ? rtsp::RtspTransportHeader::Lower::Udp : rtsp::RtspTransportHeader::Lower::Tcp;
  if (transport->lower != wanted) {
    error = std::string("SETUP: the server answered ") + (udp ? "TCP" : "UDP") + " to a " +
            (udp ? "UDP" : "TCP") + " request";
    return std::nullopt;
  }
  if (udp) {
    if (!transport->serverPorts) {
      error = "SETUP: UDP reply without server_port";
      return std::nullopt;
    }
    track.serverRtpPort = transport->serverPorts->first;
    track.serverRtcpPort = transport->serverPorts->second;
  } else {
    if (!transport->interleaved) {
      error = "SETUP: TCP reply without interleaved channels";
      return std::nullopt;
    }
    track.rtpChannel = transport->interleaved->first;
    track.rtcpChannel = transport->interleaved->second;
  }
  return out;
}

}  // namespace sluice::load
