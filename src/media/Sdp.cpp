#include "media/Sdp.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cstdio>

#include "core/AsciiText.h"

namespace sluice::media {
namespace {

// An m= line lists at most 128 distinct RTP payload types; anything far beyond that is an
// attack on the per-format work, not a real description.
constexpr size_t kMaxFormatsPerMedia = 256;
constexpr size_t kMaxQuotedLength = 80;

bool isBlank(char c) { return c == ' ' || c == '\t'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 8866 token characters.
bool isTokenChar(char c) {
  return isAlpha(c) || isDigit(c) || std::string_view("!#$%&'*+-.^_`{|}~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar); }

std::string_view trimRight(std::string_view s) {
  while (!s.empty() && (isBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

using core::trim;

std::vector<std::string_view> splitBlanks(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isBlank(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !isBlank(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// A decimal number of at most `max`, digits only (no sign, no blanks).
std::optional<uint64_t> parseNumber(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), isDigit)) return std::nullopt;
  uint64_t value = 0;
  std::from_chars(s.data(), s.data() + s.size(), value);
  if (value > max) return std::nullopt;
  return value;
}

std::optional<int> parsePayloadType(std::string_view s) {
  auto pt = parseNumber(s, 127);
  if (!pt) return std::nullopt;
  return static_cast<int>(*pt);
}

// Quotes outside input for an error message: bounded, non-printable bytes escaped, so the
// message is safe to log and to return in a JSON body.
std::string quote(std::string_view s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMaxQuotedLength; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > kMaxQuotedLength) out += "...";
  out += "'";
  return out;
}

struct Rtpmap {
  int payloadType = 0;
  std::string_view name;
  int clockRate = 0;
  int channels = 0;  // 0: not given
};

// "<pt> <encoding name>/<clock rate>[/<encoding parameters>]"
std::optional<Rtpmap> parseRtpmap(std::string_view value, std::string& why) {
  value = trim(value);
  size_t space = value.find_first_of(" \t");
  auto pt = parsePayloadType(value.substr(0, space));
  if (!pt) {
    why = "bad payload type";
    return std::nullopt;
  }
  if (space == std::string_view::npos) {
    why = "no encoding";
    return std::nullopt;
  }
  std::string_view encoding = trim(value.substr(space + 1));
  Rtpmap map;
  map.payloadType = *pt;
  size_t slash = encoding.find('/');
  map.name = encoding.substr(0, slash);
  if (map.name.empty() || std::any_of(map.name.begin(), map.name.end(), [](char c) { return isBlank(c); })) {
    why = "bad encoding name";
    return std::nullopt;
  }
  if (slash == std::string_view::npos) {
    why = "no clock rate";
    return std::nullopt;
  }
  std::string_view rest = encoding.substr(slash + 1);
  size_t slash2 = rest.find('/');
  auto clock = parseNumber(rest.substr(0, slash2), INT_MAX);
  if (!clock || *clock == 0) {
    why = "bad clock rate";
    return std::nullopt;
  }
  map.clockRate = static_cast<int>(*clock);
  if (slash2 != std::string_view::npos) {
    auto channels = parseNumber(rest.substr(slash2 + 1), 255);
    if (!channels || *channels == 0) {
      why = "bad channel count";
      return std::nullopt;
    }
    map.channels = static_cast<int>(*channels);
  }
  return map;
}

struct StaticPayloadType {
  int payloadType;
  const char* name;
  int clockRate;
  int channels;
};

// RFC 3551 §6: payload types usable without an rtpmap.
constexpr std::array<StaticPayloadType, 24> kStaticPayloadTypes{{
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},   {5, "DVI4", 8000, 1},
    {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},
    {10, "L16", 44100, 2},  {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
    {14, "MPA", 90000, 0},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1}, {17, "DVI4", 22050, 1},
    {18, "G729", 8000, 1},  {25, "CelB", 90000, 0}, {26, "JPEG", 90000, 0}, {28, "nv", 90000, 0},
    {31, "H261", 90000, 0}, {32, "MPV", 90000, 0},  {33, "MP2T", 90000, 0}, {34, "H263", 90000, 0},
}};

const StaticPayloadType* findStaticPayloadType(int pt) {
  for (const auto& s : kStaticPayloadTypes) {
    if (s.payloadType == pt) return &s;
  }
  return nullptr;
}

// The rtpmap, fmtp and rtcp-fb lines of a section indexed by payload type, gathered in one
// pass so that listing codecs stays linear in the size of the section.
struct CodecAttributes {
  std::array<std::optional<Rtpmap>, 128> rtpmap;
  std::array<std::optional<std::string_view>, 128> fmtp;
  std::array<std::vector<std::string>, 128> feedback;
  std::vector<std::string> wildcardFeedback;  // rtcp-fb:* applies to every payload type
};

std::string normalizeBlanks(std::string_view s) {
  std::string out;
  for (auto word : splitBlanks(s)) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

CodecAttributes collectCodecAttributes(const MediaDescription& m) {
  CodecAttributes c;
  std::string why;
  for (const auto& a : m.attributes) {
    // Blanks after the colon are not in the grammar, but some cameras write them.
    std::string_view value = trim(a.value);
    if (sdpTokenEquals(a.name, "rtpmap")) {
      auto map = parseRtpmap(value, why);
      if (map && !c.rtpmap[map->payloadType]) c.rtpmap[map->payloadType] = map;
    } else if (sdpTokenEquals(a.name, "fmtp")) {
      size_t space = value.find_first_of(" \t");
      auto pt = parsePayloadType(value.substr(0, space));
      if (pt && !c.fmtp[*pt]) {
        c.fmtp[*pt] = space == std::string_view::npos ? std::string_view{} : trim(value.substr(space + 1));
      }
    } else if (sdpTokenEquals(a.name, "rtcp-fb")) {
      size_t space = value.find_first_of(" \t");
      if (space == std::string_view::npos) continue;
      std::string feedback = normalizeBlanks(value.substr(space + 1));
      if (feedback.empty()) continue;
      std::string_view target = value.substr(0, space);
      if (target == "*") {
        c.wildcardFeedback.push_back(std::move(feedback));
      } else if (auto pt = parsePayloadType(target)) {
        c.feedback[*pt].push_back(std::move(feedback));
      }
    }
  }
  return c;
}

std::optional<SdpCodec> makeCodec(const MediaDescription& m, const CodecAttributes& c, int pt) {
  SdpCodec codec;
  codec.payloadType = pt;
  if (const auto& map = c.rtpmap[pt]) {
    codec.name = std::string(map->name);
    codec.clockRate = map->clockRate;
    codec.channels = map->channels;
  } else if (const auto* s = findStaticPayloadType(pt)) {
    codec.name = s->name;
    codec.clockRate = s->clockRate;
    codec.channels = s->channels;
  } else {
    return std::nullopt;
  }
  if (codec.channels == 0 && sdpTokenEquals(m.type, "audio")) codec.channels = 1;
  if (c.fmtp[pt]) codec.fmtp = std::string(*c.fmtp[pt]);
  codec.rtcpFeedback = c.feedback[pt];
  for (const auto& f : c.wildcardFeedback) {
    if (std::find(codec.rtcpFeedback.begin(), codec.rtcpFeedback.end(), f) == codec.rtcpFeedback.end()) {
      codec.rtcpFeedback.push_back(f);
    }
  }
  return codec;
}

// Position of a kept line type within a section, in RFC 8866 §5 order; c= sits between 3
// and 4, t= between 4 and 5.
int lineRank(char type) {
  switch (type) {
    case 'i':
      return 0;
    case 'u':
      return 1;
    case 'e':
      return 2;
    case 'p':
      return 3;
    case 'b':
      return 4;
    case 't':
    case 'r':
      return 5;
    case 'z':
      return 6;
    case 'k':
      return 7;
    default:
      return 8;
  }
}

void appendLine(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void appendOtherLines(std::string& out, const std::vector<SdpLine>& lines, int minRank, int maxRank) {
  for (int rank = minRank; rank <= maxRank; ++rank) {
    for (const auto& l : lines) {
      if (lineRank(l.type) == rank) appendLine(out, l.type, l.value);
    }
  }
}

std::string connectionValue(const SdpConnection& c) { return c.netType + " " + c.addrType + " " + c.address; }

void appendAttributes(std::string& out, const SdpAttributes& attrs) {
  for (const auto& a : attrs.attributes) {
    appendLine(out, 'a', a.value.empty() ? a.name : a.name + ":" + a.value);
  }
}

void appendMedia(std::string& out, const MediaDescription& m) {
  std::string mline = m.type + " " + std::to_string(m.port);
  if (m.portCount != 0) mline += "/" + std::to_string(m.portCount);
  mline += " " + m.proto;
  for (const auto& f : m.formats) mline += " " + f;
  appendLine(out, 'm', mline);
  appendOtherLines(out, m.otherLines, 0, 0);
  if (m.connection) appendLine(out, 'c', connectionValue(*m.connection));
  appendOtherLines(out, m.otherLines, 1, 8);
  appendAttributes(out, m);
}

class Parser {
 public:
  Parser(bool fragment, std::string& error)
      : fragment_(fragment), error_(error), prefix_(fragment ? "invalid SDP fragment" : "invalid SDP") {}

  std::optional<SessionDescription> run(std::string_view text) {
    if (text.size() > kMaxSdpSize) {
      error_ = prefix_ + ": description is " + std::to_string(text.size()) + " bytes, limit is " +
               std::to_string(kMaxSdpSize);
      return std::nullopt;
    }
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = trimRight(text.substr(pos, end - pos));
      pos = end + 1;
      if (++lineNumber_ > kMaxSdpLines) {
        error_ = prefix_ + ": more than " + std::to_string(kMaxSdpLines) + " lines";
        return std::nullopt;
      }
      if (!fragment_ && lineNumber_ == 1) {
        if (line != "v=0") return fail("missing v=0 first line, got " + quote(line));
        continue;
      }
      if (line.empty()) continue;
      if (!parseLine(line)) return std::nullopt;
    }
    if (!fragment_ && lineNumber_ == 0) {
      error_ = prefix_ + ": empty description, missing v=0 first line";
      return std::nullopt;
    }
    return std::move(sdp_);
  }

 private:
  std::nullopt_t fail(const std::string& what) {
    error_ = prefix_ + ": line " + std::to_string(lineNumber_) + ": " + what;
    return std::nullopt;
  }

  MediaDescription* current() { return sdp_.media.empty() ? nullptr : &sdp_.media.back(); }

  bool parseLine(std::string_view line) {
    if (line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
      fail("control character in line " + quote(line));
      return false;
    }
    if (line.size() < 2 || !isAlpha(line[0]) || line[1] != '=') {
      fail("line is not of the form x=... " + quote(line));
      return false;
    }
    char type = line[0];
    std::string_view value = line.substr(2);
    MediaDescription* media = current();
    if (fragment_ && (type == 'v' || type == 'o' || type == 's' || type == 't')) {
      fail(std::string("unexpected ") + type + "= line in a fragment " + quote(line));
      return false;
    }
    switch (type) {
      case 'v':
        fail("unexpected v= line " + quote(line));
        return false;
      case 'o':
      case 's':
      case 't':
        return parseSessionOnlyLine(type, value, line, media);
      case 'c':
        return parseConnection(value, line, media);
      case 'm':
        return parseMediaLine(value, line);
      case 'a':
        return parseAttribute(value, line, media);
      default: {
        auto& lines = media ? media->otherLines : sdp_.otherLines;
        lines.push_back({type, std::string(value)});
        return true;
      }
    }
  }

  bool parseSessionOnlyLine(char type, std::string_view value, std::string_view line,
                            MediaDescription* media) {
    if (media) {
      fail(std::string(1, type) + "= line inside a media section " + quote(line));
      return false;
    }
    if (type == 't') {
      if (sawTiming_) {
        sdp_.otherLines.push_back({type, std::string(value)});
      } else {
        sdp_.timing = std::string(value);
        sawTiming_ = true;
      }
      return true;
    }
    bool& seen = type == 'o' ? sawOrigin_ : sawName_;
    if (seen) {
      fail(std::string("duplicate ") + type + "= line " + quote(line));
      return false;
    }
    seen = true;
    (type == 'o' ? sdp_.origin : sdp_.sessionName) = std::string(value);
    return true;
  }

  bool parseConnection(std::string_view value, std::string_view line, MediaDescription* media) {
    auto fields = splitBlanks(value);
    if (fields.size() != 3 || !isToken(fields[0]) || !isToken(fields[1])) {
      fail("malformed c= line " + quote(line));
      return false;
    }
    auto& slot = media ? media->connection : sdp_.connection;
    if (slot) {
      fail("duplicate c= line " + quote(line));
      return false;
    }
    slot = SdpConnection{std::string(fields[0]), std::string(fields[1]), std::string(fields[2])};
    return true;
  }

  bool badMediaLine(std::string_view line, const std::string& why) {
    fail("malformed m= line " + quote(line) + " (" + why + ")");
    return false;
  }

  // "m=<media> <port>[/<number of ports>] <proto> <fmt> ..."
  bool parseMediaLine(std::string_view value, std::string_view line) {
    if (sdp_.media.size() >= kMaxSdpMediaSections) {
      fail("more than " + std::to_string(kMaxSdpMediaSections) + " media sections");
      return false;
    }
    auto fields = splitBlanks(value);
    if (fields.empty() || !isToken(fields[0])) return badMediaLine(line, "bad media type");
    if (fields.size() < 2) return badMediaLine(line, "no port");
    MediaDescription m;
    m.type = std::string(fields[0]);
    std::string_view portField = fields[1];
    size_t slash = portField.find('/');
    auto port = parseNumber(portField.substr(0, slash), 65535);
    if (!port) return badMediaLine(line, "bad port");
    m.port = static_cast<uint16_t>(*port);
    if (slash != std::string_view::npos) {
      auto count = parseNumber(portField.substr(slash + 1), 65535);
      if (!count || *count == 0) return badMediaLine(line, "bad port count");
      m.portCount = static_cast<uint16_t>(*count);
    }
    if (fields.size() < 3) return badMediaLine(line, "no proto");
    std::string_view proto = fields[2];
    bool protoOk = !proto.empty() && proto.front() != '/' && proto.back() != '/' &&
                   proto.find("//") == std::string_view::npos &&
                   std::all_of(proto.begin(), proto.end(), [](char c) {
                     return isAlpha(c) || isDigit(c) || c == '/' || c == '-' || c == '_' || c == '.';
                   });
    if (!protoOk) return badMediaLine(line, "bad proto");
    m.proto = std::string(proto);
    if (fields.size() < 4) return badMediaLine(line, "no formats");
    if (fields.size() - 3 > kMaxFormatsPerMedia) return badMediaLine(line, "too many formats");
    bool rtp = m.isRtp();
    for (size_t i = 3; i < fields.size(); ++i) {
      if (rtp ? !parsePayloadType(fields[i]) : !isToken(fields[i])) {
        return badMediaLine(line, (rtp ? "bad payload type " : "bad format ") + quote(fields[i]));
      }
      m.formats.emplace_back(fields[i]);
    }
    sdp_.media.push_back(std::move(m));
    return true;
  }

  bool parseAttribute(std::string_view value, std::string_view line, MediaDescription* media) {
    size_t colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    std::string_view attrValue =
        colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
    if (!isToken(name)) {
      fail("malformed a= line " + quote(line));
      return false;
    }
    // Payload type mistakes would silently attach parameters to the wrong codec.
    if (media && media->isRtp()) {
      if (sdpTokenEquals(name, "rtpmap")) {
        std::string why;
        if (!parseRtpmap(attrValue, why)) {
          fail("malformed rtpmap " + quote(line) + " (" + why + ")");
          return false;
        }
      } else if (sdpTokenEquals(name, "fmtp")) {
        std::string_view params = trim(attrValue);
        if (!parsePayloadType(params.substr(0, params.find_first_of(" \t")))) {
          fail("malformed fmtp " + quote(line) + " (bad payload type)");
          return false;
        }
      }
    }
    SdpAttributes& target = media ? static_cast<SdpAttributes&>(*media) : sdp_;
    target.attributes.push_back({std::string(name), std::string(attrValue)});
    return true;
  }

  bool fragment_;
  std::string& error_;
  std::string prefix_;
  SessionDescription sdp_;
  size_t lineNumber_ = 0;
  bool sawOrigin_ = false, sawName_ = false, sawTiming_ = false;
};

}  // namespace

bool sdpTokenEquals(std::string_view a, std::string_view b) { return core::iequals(a, b); }

bool SdpAttributes::hasAttribute(std::string_view name) const {
  return std::any_of(attributes.begin(), attributes.end(),
                     [&](const SdpAttribute& a) { return sdpTokenEquals(a.name, name); });
}

std::optional<std::string> SdpAttributes::attribute(std::string_view name) const {
  for (const auto& a : attributes) {
    if (sdpTokenEquals(a.name, name)) return a.value;
  }
  return std::nullopt;
}

std::vector<std::string> SdpAttributes::attributeValues(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& a : attributes) {
    if (sdpTokenEquals(a.name, name)) out.push_back(a.value);
  }
  return out;
}

void SdpAttributes::addAttribute(std::string name, std::string value) {
  attributes.push_back({std::move(name), std::move(value)});
}

bool MediaDescription::isRtp() const {
  std::string_view p = proto;
  while (!p.empty()) {
    size_t slash = p.find('/');
    if (sdpTokenEquals(p.substr(0, slash), "RTP")) return true;
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  return false;
}

std::vector<SdpCodec> MediaDescription::codecs() const {
  std::vector<SdpCodec> out;
  if (!isRtp()) return out;
  CodecAttributes attrs = collectCodecAttributes(*this);
  std::array<bool, 128> listed{};
  for (const auto& f : formats) {
    auto pt = parsePayloadType(f);
    if (!pt || listed[*pt]) continue;
    listed[*pt] = true;
    if (auto codec = makeCodec(*this, attrs, *pt)) out.push_back(std::move(*codec));
  }
  return out;
}

std::optional<SdpCodec> MediaDescription::codec(int payloadType) const {
  if (!isRtp() || payloadType < 0 || payloadType > 127) return std::nullopt;
  bool listed = std::any_of(formats.begin(), formats.end(), [&](const std::string& f) {
    auto pt = parsePayloadType(f);
    return pt && *pt == payloadType;
  });
  if (!listed) return std::nullopt;
  return makeCodec(*this, collectCodecAttributes(*this), payloadType);
}

std::optional<SessionDescription> parseSdp(std::string_view text, std::string& error) {
  return Parser(false, error).run(text);
}

std::optional<SessionDescription> parseSdpFragment(std::string_view text, std::string& error) {
  return Parser(true, error).run(text);
}

std::string serializeSdp(const SessionDescription& sdp) {
  std::string out;
  appendLine(out, 'v', "0");
  appendLine(out, 'o', sdp.origin);
  appendLine(out, 's', sdp.sessionName);
  appendOtherLines(out, sdp.otherLines, 0, 3);
  if (sdp.connection) appendLine(out, 'c', connectionValue(*sdp.connection));
  appendOtherLines(out, sdp.otherLines, 4, 4);
  appendLine(out, 't', sdp.timing);
  appendOtherLines(out, sdp.otherLines, 5, 8);
  appendAttributes(out, sdp);
  for (const auto& m : sdp.media) appendMedia(out, m);
  return out;
}

std::string serializeSdpFragment(const SessionDescription& sdp) {
  std::string out;
  appendOtherLines(out, sdp.otherLines, 0, 3);
  if (sdp.connection) appendLine(out, 'c', connectionValue(*sdp.connection));
  appendOtherLines(out, sdp.otherLines, 4, 8);
  appendAttributes(out, sdp);
  for (const auto& m : sdp.media) appendMedia(out, m);
  return out;
}

std::map<std::string, std::string> parseFmtp(std::string_view params) {
  std::map<std::string, std::string> out;
  while (!params.empty()) {
    size_t semicolon = params.find(';');
    std::string_view item = trim(params.substr(0, semicolon));
    params = semicolon == std::string_view::npos ? std::string_view{} : params.substr(semicolon + 1);
    size_t eq = item.find('=');
    std::string_view key = trim(item.substr(0, eq));
    if (key.empty()) continue;
    out.emplace(core::toLowerAscii(key),
                eq == std::string_view::npos ? std::string{} : std::string(trim(item.substr(eq + 1))));
  }
  return out;
}

}  // namespace sluice::media
