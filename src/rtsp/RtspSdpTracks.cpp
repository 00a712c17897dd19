#include "rtsp/RtspSdpTracks.h"

#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {

constexpr size_t kMaxSdpBytes = size_t{1024} * 1024;
constexpr size_t kMaxMedia = 64;

std::optional<RtspSdpTracks> failWith(std::string* error, const char* message) {
  if (error) *error = message;
  return std::nullopt;
}

// RFC 3551 static payload types cameras use without an rtpmap line.
void applyStaticPayloadType(RtspSdpTrack& t) {
  struct Entry {
    int pt;
    const char* name;
    uint32_t clock;
    uint32_t channels;
  };
  static constexpr Entry kStatic[] = {
      {0, "PCMU", 8000, 1},  {3, "GSM", 8000, 1},    {8, "PCMA", 8000, 1},  {9, "G722", 8000, 1},
      {10, "L16", 44100, 2}, {11, "L16", 44100, 1},  {14, "MPA", 90000, 0}, {26, "JPEG", 90000, 0},
      {32, "MPV", 90000, 0}, {33, "MP2T", 90000, 0},
  };
  for (const auto& e : kStatic) {
    if (e.pt == t.payloadType) {
      t.codecName = e.name;
      t.clockRate = e.clock;
      t.channels = e.channels;
    }
  }
}

// "a=<name>:<pt> <rest>" for the track's payload type; returns <rest>.
std::optional<std::string_view> attributeForPayload(std::string_view value, int pt) {
  size_t sp = value.find_first_of(" \t");
  if (sp == std::string_view::npos) return std::nullopt;
  auto n = parseDecimal<uint32_t>(value.substr(0, sp));
  if (!n || static_cast<int>(*n) != pt) return std::nullopt;
  return trim(value.substr(sp + 1));
}

void applyRtpmap(RtspSdpTrack& t, std::string_view map) {
  // <encoding name>/<clock rate>[/<channels>]
  size_t slash = map.find('/');
  if (slash == std::string_view::npos || slash == 0) return;
  std::string_view name = map.substr(0, slash);
  std::string_view rest = map.substr(slash + 1);
  size_t slash2 = rest.find('/');
  auto clock = parseDecimal<uint32_t>(trim(rest.substr(0, slash2)));
  if (!clock) return;
  t.codecName.assign(name.substr(0, 64));
  t.clockRate = *clock;
  t.channels = 0;
  if (slash2 != std::string_view::npos) {
    auto ch = parseDecimal<uint32_t>(trim(rest.substr(slash2 + 1)));
    if (ch && *ch <= 255) t.channels = *ch;
  }
}

}  // namespace

std::optional<RtspSdpTracks> parseRtspSdpTracks(std::string_view sdp, std::string* error) {
  if (sdp.size() > kMaxSdpBytes) return failWith(error, "SDP too large");
  RtspSdpTracks out;
  bool sawVersion = false;
  bool inMedia = false;
  bool mediaUsable = false;
  size_t mediaCount = 0;
  RtspSdpTrack current;
  auto finishMedia = [&]() {
    if (inMedia && mediaUsable) out.tracks.push_back(std::move(current));
    current = RtspSdpTrack{};
    inMedia = false;
    mediaUsable = false;
  };

  while (!sdp.empty()) {
    size_t nl = sdp.find('\n');
    std::string_view line = trim(sdp.substr(0, nl));
    sdp.remove_prefix(nl == std::string_view::npos ? sdp.size() : nl + 1);
    if (line.size() < 2 || line[1] != '=') continue;  // tolerate junk lines
    char type = line[0];
    std::string_view value = line.substr(2);

    if (type == 'v') {
      sawVersion = true;
    } else if (type == 'm') {
      finishMedia();
      if (++mediaCount > kMaxMedia) return failWith(error, "SDP has too many media");
      inMedia = true;
      // m=<media> <port>[/<count>] <proto> <fmt> ...
      std::string_view fields[4];
      size_t n = 0;
      std::string_view rest = value;
      while (n < 4 && !rest.empty()) {
        size_t sp = rest.find_first_of(" \t");
        fields[n++] = rest.substr(0, sp);
        rest = sp == std::string_view::npos ? std::string_view() : trim(rest.substr(sp));
      }
      if (n < 4) continue;
      auto port = parseDecimal<uint32_t>(fields[1].substr(0, fields[1].find('/')));
      auto pt = parseDecimal<uint32_t>(fields[3]);
      // Port 0 disables a media in offers; RTSP servers nearly always write 0 though, so
      // only the format decides.
      if (!port || !pt || *pt > 127) continue;
      current.mediaType.assign(fields[0].substr(0, 32));
      current.payloadType = static_cast<int>(*pt);
      applyStaticPayloadType(current);
      mediaUsable = true;
    } else if (type == 'a') {
      size_t colon = value.find(':');
      std::string_view name = value.substr(0, colon);
      std::string_view attr =
          colon == std::string_view::npos ? std::string_view() : trim(value.substr(colon + 1));
      if (name == "control") {
        (inMedia ? current.control : out.sessionControl).assign(attr.substr(0, 4096));
      } else if (!inMedia) {
        continue;
      } else if (name == "rtpmap") {
        if (auto map = attributeForPayload(attr, current.payloadType)) applyRtpmap(current, *map);
      } else if (name == "fmtp") {
        if (auto params = attributeForPayload(attr, current.payloadType))
          current.fmtp.assign(params->substr(0, 16384));
      } else if (name == "sendonly") {
        current.backchannel = true;
      }
    }
  }
  finishMedia();
  if (!sawVersion) return failWith(error, "not an SDP description (no v= line)");
  if (out.tracks.empty()) return failWith(error, "SDP has no usable media");
  return out;
}

std::string rtspTrackCodecLabel(const RtspSdpTrack& t) {
  const std::string& c = t.codecName;
  if (iequals(c, "H264")) return "H264";
  if (iequals(c, "H265")) return "H265";
  if (iequals(c, "opus")) return "Opus";
  if (iequals(c, "PCMU") || iequals(c, "PCMA")) return "G711";
  if (iequals(c, "mpeg4-generic") || iequals(c, "MP4A-LATM")) return "MPEG-4 Audio";
  if (iequals(c, "JPEG")) return "M-JPEG";
  if (iequals(c, "L16") || iequals(c, "L24")) return "LPCM";
  if (iequals(c, "MP4V-ES")) return "MPEG-4 Video";
  if (iequals(c, "MPA")) return "MPEG-1/2 Audio";
  if (iequals(c, "MPV")) return "MPEG-1/2 Video";
  if (iequals(c, "MP2T")) return "MPEG-TS";
  if (c.empty()) return "Generic";
  return c;
}

}  // namespace sluice::rtsp
