#include "media/AacConfig.h"

#include "media/BitReader.h"

namespace sluice::media {

namespace {

constexpr uint32_t kSampleRates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000,  7350};
constexpr uint8_t kSbr = 5, kPs = 29, kEscape = 31;

uint8_t readObjectType(BitReader& r) {
  uint32_t type = r.readBits(5);
  if (type == kEscape) type = 32 + r.readBits(6);
  return static_cast<uint8_t>(type);
}

// samplingFrequencyIndex, or the explicit 24-bit rate after index 15. 0 when invalid.
uint32_t readSampleRate(BitReader& r) {
  uint32_t index = r.readBits(4);
  if (index == 15) return r.readBits(24);
  return index < 13 ? kSampleRates[index] : 0;
}

// Channels of a channelConfiguration (Table 1.19 and its later amendments); 0 = reserved.
uint8_t channelsOf(uint8_t config) {
  static constexpr uint8_t kChannels[16] = {0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0};
  return kChannels[config & 15];
}

// Object types whose config is GASpecificConfig (§4.4.1).
bool isGeneralAudio(uint8_t type) {
  switch (type) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 6:
    case 7:
    case 17:
    case 19:
    case 20:
    case 21:
    case 22:
    case 23:
      return true;
    default:
      return false;
  }
}

const char* objectName(uint8_t type) {
  switch (type) {
    case 1:
      return "AAC Main";
    case 2:
      return "AAC LC";
    case 3:
      return "AAC SSR";
    case 4:
      return "AAC LTP";
    case 6:
      return "AAC Scalable";
    case 17:
      return "ER AAC LC";
    case 23:
      return "ER AAC LD";
    case 39:
      return "ER AAC ELD";
    default:
      return "MPEG-4 Audio";
  }
}

}  // namespace

uint32_t AacConfig::timestampIncrement(uint32_t clockRate) const {
  if (sampleRate == 0) return frameLength;
  return static_cast<uint32_t>(uint64_t{frameLength} * clockRate / sampleRate);
}

std::string AacConfig::describe() const {
  std::string name = ps ? "HE-AACv2" : sbr ? "HE-AAC" : objectName(objectType);
  std::string rate = std::to_string(sampleRate);
  if (outputSampleRate != sampleRate) rate += "/" + std::to_string(outputSampleRate);
  return name + " " + rate + " Hz " + std::to_string(channels) + " ch";
}

bool parseAudioSpecificConfig(BitReader& r, AacConfig& c, std::string& error) {
  size_t start = r.position();
  AacConfig out;
  out.objectType = readObjectType(r);
  out.sampleRate = readSampleRate(r);
  out.channelConfig = static_cast<uint8_t>(r.readBits(4));
  out.outputSampleRate = out.sampleRate;
  if (out.objectType == kSbr || out.objectType == kPs) {
    out.sbr = true;
    out.ps = out.objectType == kPs;
    out.outputSampleRate = readSampleRate(r);
    out.objectType = readObjectType(r);
    if (out.objectType == 22) r.readBits(4);  // extensionChannelConfiguration (ER BSAC)
  }
  if (r.failed()) {
    error = "AudioSpecificConfig truncated";
    return false;
  }
  if (out.objectType == 0 || out.objectType == kEscape) {
    error = "AudioSpecificConfig: invalid audio object type " + std::to_string(out.objectType);
    return false;
  }
  if (out.sampleRate == 0 || out.outputSampleRate == 0 || out.sampleRate > 1000000 ||
      out.outputSampleRate > 1000000) {
    error = "AudioSpecificConfig: invalid sampling frequency";
    return false;
  }
  if (out.channelConfig == 0) {
    error = "AudioSpecificConfig: channel configuration 0 (program_config_element) is not supported";
    return false;
  }
  out.channels = channelsOf(out.channelConfig);
  if (out.channels == 0) {
    error = "AudioSpecificConfig: reserved channel configuration " + std::to_string(out.channelConfig);
    return false;
  }
  if (!isGeneralAudio(out.objectType)) {
    error = std::string("AudioSpecificConfig: audio object type ") + std::to_string(out.objectType) +
            " is not AAC (only general audio coding is supported)";
    return false;
  }
  // GASpecificConfig (§4.4.1), channelConfiguration != 0 so no program_config_element.
  if (r.readBit()) out.frameLength = 960;
  if (r.readBit()) r.readBits(14);  // dependsOnCoreCoder: coreCoderDelay
  bool extension = r.readBit() != 0;
  if (out.objectType == 6 || out.objectType == 20) r.readBits(3);  // layerNr
  if (extension) {
    if (out.objectType == 22) r.readBits(16);  // numOfSubFrame, layer_length
    if (out.objectType == 17 || out.objectType == 19 || out.objectType == 20 || out.objectType == 23)
      r.readBits(3);  // resilience flags
    r.readBit();      // extensionFlag3
  }
  if (out.objectType >= 17 && out.objectType <= 27) {
    if (r.readBits(2) > 1) {  // epConfig 2/3 need error protection specific config
      error = "AudioSpecificConfig: epConfig > 1 is not supported";
      return false;
    }
  }
  if (r.failed()) {
    error = "AudioSpecificConfig truncated";
    return false;
  }
  // Keep the exact bits read, realigned to bytes, for a decoder's extradata.
  size_t bits = r.position() - start;
  out.bytes.assign((bits + 7) / 8, 0);
  BitReader copy = r;
  copy.seek(start);
  for (size_t i = 0; i < bits; ++i) out.bytes[i / 8] |= static_cast<uint8_t>(copy.readBit() << (7 - i % 8));
  c = std::move(out);
  return true;
}

void parseSyncExtension(BitReader& r, size_t ascStart, AacConfig& c) {
  const auto peek = [&r](int n) {
    BitReader ahead = r;
    return ahead.readBits(n);
  };
  if (c.sbr || r.bitsLeft() < 16 || peek(11) != 0x2b7) return;
  BitReader ext = r;
  ext.readBits(11);
  if (readObjectType(ext) != kSbr) return;  // ER BSAC's and others' extensions: not ours to read
  AacConfig out = c;
  if (ext.readBit()) {  // sbrPresentFlag
    out.sbr = true;
    out.outputSampleRate = readSampleRate(ext);
    if (ext.bitsLeft() >= 12) {
      BitReader ps = ext;
      if (ps.readBits(11) == 0x548) {
        ext = ps;
        out.ps = ext.readBit() != 0;  // psPresentFlag
      }
    }
  }
  if (ext.failed() || out.outputSampleRate == 0 || out.outputSampleRate > 1000000) return;
  r = ext;
  const size_t bits = r.position() - ascStart;
  out.bytes.assign((bits + 7) / 8, 0);
  BitReader copy = r;
  copy.seek(ascStart);
  for (size_t i = 0; i < bits; ++i) out.bytes[i / 8] |= static_cast<uint8_t>(copy.readBit() << (7 - i % 8));
  c = std::move(out);
}

std::optional<AacConfig> parseAudioSpecificConfig(const uint8_t* data, size_t size, std::string& error) {
  BitReader r(data, size);
  AacConfig c;
  if (!parseAudioSpecificConfig(r, c, error)) return std::nullopt;
  c.bytes.assign(data, data + size);
  return c;
}

std::optional<std::vector<uint8_t>> decodeHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

std::optional<AacConfig> parseAudioSpecificConfigHex(std::string_view hex, std::string& error) {
  auto bytes = decodeHex(hex);
  if (!bytes || bytes->empty()) {
    error = "AudioSpecificConfig: config is not a hex string";
    return std::nullopt;
  }
  return parseAudioSpecificConfig(bytes->data(), bytes->size(), error);
}

}  // namespace sluice::media
