#include "media/Mpeg4GenericDepacketizer.h"

#include <cctype>
#include <cstring>

#include "media/BitReader.h"
#include "media/RtpPacket.h"
#include "media/Sdp.h"

namespace sluice::media {

namespace {

constexpr size_t kMaxAusPerPacket = 128;

bool readLength(const std::map<std::string, std::string>& p, const char* key, int max, int& out,
                std::string& error) {
  auto it = p.find(key);
  if (it == p.end()) return true;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(v) > max) {
    error = std::string("mpeg4-generic: invalid ") + key + " '" + v + "'";
    return false;
  }
  out = std::stoi(v);
  return true;
}

struct AuHeader {
  size_t size = 0;
  uint32_t index = 0;
};

}  // namespace

bool parseMpeg4GenericFmtp(std::string_view fmtp, Mpeg4GenericParams& params, std::string& error) {
  auto p = parseFmtp(fmtp);
  Mpeg4GenericParams out;
  if (auto it = p.find("streamtype"); it != p.end() && it->second != "5") {
    error = "mpeg4-generic: streamtype " + it->second + " is not audio (5)";
    return false;
  }
  std::string mode = p.count("mode") ? p["mode"] : "";
  for (auto& ch : mode) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (mode == "aac-hbr") {
    out.sizeLength = 13;
    out.indexLength = out.indexDeltaLength = 3;
  } else if (mode == "aac-lbr") {
    out.sizeLength = 6;
    out.indexLength = out.indexDeltaLength = 2;
  }
  bool randomAccess = false;
  int rai = 0;
  if (!readLength(p, "sizelength", 16, out.sizeLength, error) ||
      !readLength(p, "indexlength", 32, out.indexLength, error) ||
      !readLength(p, "indexdeltalength", 32, out.indexDeltaLength, error) ||
      !readLength(p, "ctsdeltalength", 32, out.ctsDeltaLength, error) ||
      !readLength(p, "dtsdeltalength", 32, out.dtsDeltaLength, error) ||
      !readLength(p, "randomaccessindication", 1, rai, error) ||
      !readLength(p, "streamstateindication", 32, out.streamStateIndication, error) ||
      !readLength(p, "auxiliarydatasizelength", 32, out.auxiliaryDataSizeLength, error))
    return false;
  randomAccess = rai == 1;
  out.randomAccessIndication = randomAccess;
  if (out.sizeLength == 0) {
    error = "mpeg4-generic: sizelength missing (mode '" + mode + "' without AU-size is not supported)";
    return false;
  }
  auto config = p.find("config");
  if (config == p.end() || config->second.empty()) {
    error = "mpeg4-generic: config missing";
    return false;
  }
  auto asc = parseAudioSpecificConfigHex(config->second, error);
  if (!asc) return false;
  out.config = std::move(*asc);
  params = std::move(out);
  return true;
}

Mpeg4GenericDepacketizer::Mpeg4GenericDepacketizer(const Mpeg4GenericParams& params,
                                                   uint32_t timestampIncrement)
    : params_(params), increment_(timestampIncrement), buffer_(kMaxAacAccessUnitSize) {}

AacRtpError Mpeg4GenericDepacketizer::pushRtp(const uint8_t* packet, size_t size, AacAccessUnitSink& sink) {
  RtpHeader header;
  const uint8_t* payload;
  size_t payloadSize;
  if (parseRtp(packet, size, header, payload, payloadSize) != RtpError::None) {
    ++errors_;
    return AacRtpError::MalformedRtp;
  }
  return push(payload, payloadSize, header.timestamp, header.sequence, header.marker, sink);
}

AacRtpError Mpeg4GenericDepacketizer::push(const uint8_t* payload, size_t size, uint32_t timestamp,
                                           uint16_t sequence, bool marker, AacAccessUnitSink& sink) {
  bool afterGap = haveSequence_ && sequence != static_cast<uint16_t>(lastSequence_ + 1);
  haveSequence_ = true;
  lastSequence_ = sequence;
  if (afterGap) {
    dropFragment();
    synced_ = false;
  }
  AacRtpError error = handle(payload, size, timestamp, !synced_, sink);
  if (error != AacRtpError::None) ++errors_;
  if (marker) synced_ = true;
  return error;
}

void Mpeg4GenericDepacketizer::dropFragment() {
  if (fragmentSize_ == 0) return;
  fragmentSize_ = 0;
  ++droppedFragments_;
}

AacRtpError Mpeg4GenericDepacketizer::handle(const uint8_t* payload, size_t size, uint32_t timestamp,
                                             bool unsynced, AacAccessUnitSink& sink) {
  if (size == 0) return AacRtpError::EmptyPayload;
  if (size < 2) return AacRtpError::BadAuHeadersLength;
  size_t headerBits = readBe16(payload);
  size_t headerBytes = (headerBits + 7) / 8;
  if (headerBits == 0 || 2 + headerBytes > size) return AacRtpError::BadAuHeadersLength;

  // Pass 1: parse every AU-header (they must fill AU-headers-length exactly).
  AuHeader headers[kMaxAusPerPacket];
  size_t count = 0;
  BitReader r(payload + 2, headerBytes);
  while (r.position() < headerBits) {
    if (count == kMaxAusPerPacket) return AacRtpError::BadAuHeadersLength;
    AuHeader& h = headers[count];
    h.size = r.readBits(params_.sizeLength);
    h.index = r.readBits(count == 0 ? params_.indexLength : params_.indexDeltaLength);
    if (params_.ctsDeltaLength > 0 && r.readBit()) r.skipBits(params_.ctsDeltaLength);
    if (params_.dtsDeltaLength > 0 && r.readBit()) r.skipBits(params_.dtsDeltaLength);
    if (params_.randomAccessIndication) r.readBit();
    r.skipBits(params_.streamStateIndication);
    if (r.failed() || r.position() > headerBits) return AacRtpError::BadAuHeadersLength;
    if (h.index != 0) return AacRtpError::Interleaved;
    ++count;
  }
  size_t offset = 2 + headerBytes;
  if (params_.auxiliaryDataSizeLength > 0) {
    BitReader aux(payload + offset, size - offset);
    size_t auxBits = aux.readBits(params_.auxiliaryDataSizeLength);
    size_t auxBytes = (params_.auxiliaryDataSizeLength + auxBits + 7) / 8;
    if (aux.failed() || auxBytes > size - offset) return AacRtpError::BadAuHeadersLength;
    offset += auxBytes;
  }
  const uint8_t* data = payload + offset;
  size_t dataSize = size - offset;

  // A fragment continuing the AU in progress: same timestamp, same AU-size, one header.
  if (fragmentSize_ > 0) {
    if (timestamp != fragmentTimestamp_) {
      dropFragment();  // its end never came; this packet starts afresh
    } else {
      if (count != 1 || headers[0].size != fragmentSize_ || dataSize == 0 ||
          dataSize > fragmentSize_ - fragmentFill_) {
        dropFragment();
        return AacRtpError::FragmentMismatch;
      }
      std::memcpy(buffer_.data() + fragmentFill_, data, dataSize);
      fragmentFill_ += dataSize;
      if (fragmentFill_ == fragmentSize_) {
        fragmentSize_ = 0;
        synced_ = true;
        ++accessUnits_;
        sink.onAccessUnit({buffer_.data(), fragmentFill_, fragmentTimestamp_});
      }
      return AacRtpError::None;
    }
  }

  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += headers[i].size;
  if (count == 1 && headers[0].size > dataSize) {
    // The start of a fragmented AU, unless the stream lost its footing: after a gap this may
    // be the middle of an AU whose start was lost, indistinguishable from a start.
    if (unsynced) return AacRtpError::FragmentWithoutStart;
    if (headers[0].size > kMaxAacAccessUnitSize) return AacRtpError::TooLarge;
    if (dataSize == 0) return AacRtpError::AuSizeMismatch;
    std::memcpy(buffer_.data(), data, dataSize);
    fragmentSize_ = headers[0].size;
    fragmentFill_ = dataSize;
    fragmentTimestamp_ = timestamp;
    return AacRtpError::None;
  }
  if (total != dataSize) return AacRtpError::AuSizeMismatch;

  // Pass 2: the packet is consistent; hand out its AUs. It ends at an AU boundary.
  synced_ = true;
  for (size_t i = 0; i < count; ++i) {
    if (headers[i].size == 0) continue;
    ++accessUnits_;
    sink.onAccessUnit({data, headers[i].size, timestamp + static_cast<uint32_t>(i) * increment_});
    data += headers[i].size;
  }
  return AacRtpError::None;
}

}  // namespace sluice::media
