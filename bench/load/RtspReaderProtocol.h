#pragma once
// The RTSP reader's side of the conversation, without any I/O: the requests it sends and what
// it takes from the server's replies (DESCRIBE's tracks, SETUP's Session and Transport). The
// byte stream itself is split by rtsp::RtspStreamParser (messages and '$' frames); this file
// only interprets what that parser hands out, so it can be unit-tested on replies as text.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtsp/RtspMessage.h"

namespace sluice::load {

struct RtspReaderTrack {
  std::string controlUrl;  // absolute, for SETUP
  std::string mediaType;   // "video", "audio", ...
  std::string codec;       // rtpmap encoding name as written ("H264", "H265", "MPEG4-GENERIC"...)
  uint32_t clockRate = 0;
  // TCP: the interleaved channels the server confirmed (we ask for 2i and 2i+1).
  uint8_t rtpChannel = 0, rtcpChannel = 1;
  // UDP: our ports (asked) and the server's (answered).
  uint16_t clientRtpPort = 0, clientRtcpPort = 0;
  uint16_t serverRtpPort = 0, serverRtcpPort = 0;
};

struct RtspDescription {
  std::string baseUrl;  // Content-Base, else Content-Location, else the DESCRIBE URL
  std::vector<RtspReaderTrack> tracks;
};

struct RtspSetupReply {
  std::string sessionId;
  uint32_t timeoutSeconds = 60;  // RFC 2326 §12.37's default when the server names none
};

// "METHOD uri RTSP/1.0" with CSeq, User-Agent, Session (when not empty) and `headers`.
std::string buildRtspReaderRequest(std::string_view method, std::string_view uri, uint32_t cseq,
                                   std::string_view session,
                                   const std::vector<std::pair<std::string, std::string>>& headers = {});

// Status 200 and the CSeq we sent; else false and `error` names the step.
bool checkRtspReply(const rtsp::RtspResponse& reply, uint32_t cseq, std::string_view step,
                    std::string& error);

// A DESCRIBE reply's tracks (ONVIF back channels left out). Fails without an SDP body or
// without any track.
std::optional<RtspDescription> parseDescribeReply(const rtsp::RtspResponse& reply,
                                                  std::string_view requestUrl, std::string& error);

// The Transport header of the SETUP of track `index`: interleaved=2i-2i+1 over TCP,
// client_port=rtp-rtcp over UDP.
std::string readerTransport(bool udp, const RtspReaderTrack& track, size_t index);

// A SETUP reply: its Session (id and timeout) and Transport, which must be the lower
// transport we asked for; the confirmed channels or the server's ports go into `track`.
std::optional<RtspSetupReply> applySetupReply(const rtsp::RtspResponse& reply, bool udp,
                                              RtspReaderTrack& track, std::string& error);

// RFC 2326 §10.12 frame header: '$', channel, 16-bit big-endian length. `length` ≤ 65535.
inline void writeInterleavedHeader(uint8_t* out, uint8_t channel, size_t length) {
  out[0] = '$';
  out[1] = channel;
  out[2] = static_cast<uint8_t>(length >> 8);
  out[3] = static_cast<uint8_t>(length & 0xff);
}

}  // namespace sluice::load
