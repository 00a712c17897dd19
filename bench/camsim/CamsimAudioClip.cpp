#include "camsim/CamsimAudioClip.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>

#include "media/RtpPacket.h"

namespace sluice::camsim {
namespace {
constexpr std::array<uint32_t, 13> kAdtsRates = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                                 22050, 16000, 12000, 11025, 8000,  7350};
}  // namespace

bool CamsimAudioClip::load(CamsimAudioCodec codec, const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot open audio clip '{}'", path);
    return false;
  }
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  codec_ = codec;
  bytes_.clear();
  packets_.clear();
  aacConfig_.clear();
  if (codec == CamsimAudioCodec::Pcmu) {
    clockRate_ = 8000;
    channels_ = 1;
    samplesPerPacket_ = kPcmuPacketBytes;
    // A trailing partial packet is dropped: the loop stays a whole number of 20 ms packets.
    for (size_t at = 0; at + kPcmuPacketBytes <= file.size(); at += kPcmuPacketBytes) {
      appendPacket(nullptr, 0, file.data() + at, kPcmuPacketBytes, packets_.empty());
    }
  } else if (!splitAdts(file, error)) {
    error = fmt::format("audio clip '{}': {}", path, error);
    return false;
  }
  if (packets_.empty()) {
    error = fmt::format("audio clip '{}' holds no complete packet", path);
    return false;
  }
  maxPacketSize_ = 0;
  for (auto& p : packets_) maxPacketSize_ = std::max(maxPacketSize_, p.size);
  return true;
}

bool CamsimAudioClip::splitAdts(const std::vector<uint8_t>& file, std::string& error) {
  samplesPerPacket_ = 1024;
  for (size_t at = 0; at < file.size();) {
    const uint8_t* h = file.data() + at;
    if (file.size() - at < 7 || h[0] != 0xFF || (h[1] & 0xF6) != 0xF0) {
      error = fmt::format("no ADTS sync word at byte {}", at);
      return false;
    }
    bool crc = (h[1] & 0x01) == 0;
    uint8_t profile = h[2] >> 6;  // object type - 1
    uint8_t rateIndex = (h[2] >> 2) & 0x0F;
    uint8_t channelConfig = static_cast<uint8_t>(((h[2] & 0x01) << 2) | (h[3] >> 6));
    size_t frameLength = (static_cast<size_t>(h[3] & 0x03) << 11) | (size_t{h[4]} << 3) | (h[5] >> 5);
    uint8_t blocks = (h[6] & 0x03) + 1;
    size_t headerSize = crc ? 9 : 7;
    if (frameLength <= headerSize || at + frameLength > file.size()) {
      error = fmt::format("ADTS frame at byte {} has a bad length ({})", at, frameLength);
      return false;
    }
    if (rateIndex >= kAdtsRates.size() || channelConfig == 0 || blocks != 1) {
      error = fmt::format("ADTS frame at byte {}: unsupported (rate index {}, channels {}, {} blocks)", at,
                          rateIndex, channelConfig, blocks);
      return false;
    }
    if (packets_.empty()) {
      clockRate_ = kAdtsRates[rateIndex];
      channels_ = channelConfig;
      uint16_t asc = static_cast<uint16_t>(((profile + 1) << 11) | (rateIndex << 7) | (channelConfig << 3));
      aacConfig_ = {static_cast<uint8_t>(asc >> 8), static_cast<uint8_t>(asc)};
    }
    size_t auSize = frameLength - headerSize;
    if (auSize >= (1u << 13)) {
      error = fmt::format("ADTS frame at byte {} too large for a 13-bit AU size", at);
      return false;
    }
    // AU-headers-length 16 bits; AU-header: 13-bit size, 3-bit index (0).
    std::array<uint8_t, 4> auHeader = {0x00, 0x10, static_cast<uint8_t>(auSize >> 5),
                                       static_cast<uint8_t>((auSize & 0x1F) << 3)};
    appendPacket(auHeader.data(), auHeader.size(), h + headerSize, auSize, true);
    at += frameLength;
  }
  return true;
}

void CamsimAudioClip::appendPacket(const uint8_t* header, size_t headerSize, const uint8_t* payload,
                                   size_t size, bool marker) {
  CamsimClipFrame f;
  f.offset = bytes_.size();
  f.packets = 1;
  f.payloadOctets = static_cast<uint32_t>(headerSize + size);
  f.keyframe = true;  // any audio packet can start playback
  size_t rtpSize = media::kRtpFixedHeaderSize + headerSize + size;
  f.size = kInterleavedPrefix + rtpSize;
  bytes_.resize(f.offset + f.size);
  uint8_t* p = bytes_.data() + f.offset;
  p[0] = '$';
  p[1] = kChannel;
  media::writeBe16(p + 2, static_cast<uint16_t>(rtpSize));
  media::RtpHeader h;
  h.marker = marker;
  h.payloadType = payloadType();
  media::writeRtpHeader(p + kInterleavedPrefix, h);
  uint8_t* body = p + kInterleavedPrefix + media::kRtpFixedHeaderSize;
  if (headerSize) std::copy(header, header + headerSize, body);
  std::copy(payload, payload + size, body + headerSize);
  packets_.push_back(f);
}

}  // namespace sluice::camsim
