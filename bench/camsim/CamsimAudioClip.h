#pragma once
// The audio a stream may send next to its video, packetized once at start-up into a
// wire-ready template laid out like CamsimClip's (interleaved prefix on channel 2, RTP
// header, payload), one RTP packet per "frame":
// - PCMU: a raw G.711 mu-law file at 8 kHz mono, 160 bytes (20 ms) per packet, payload type 0;
// - AAC: an ADTS file (AAC LC), one access unit per packet as RFC 3640 mpeg4-generic
//   AAC-hbr (a 16-bit AU-headers-length, one 13+3-bit AU-header), payload type 97, the
//   AudioSpecificConfig for the SDP taken from the first ADTS header.
// A stream then only patches sequence, timestamp and SSRC, as it does for video.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "camsim/CamsimClip.h"

namespace sluice::camsim {

enum class CamsimAudioCodec { None, Pcmu, Aac };

class CamsimAudioClip {
 public:
  static constexpr uint8_t kChannel = 2;  // interleaved RTP channel of the template (RTCP: 3)
  static constexpr uint8_t kAacPayloadType = 97;
  static constexpr size_t kPcmuPacketBytes = 160;  // 20 ms at 8 kHz

  // Fails (with `error`) when the file cannot be read, is empty, or (AAC) is not ADTS AAC
  // with one raw data block per frame and a channel configuration.
  bool load(CamsimAudioCodec codec, const std::string& path, std::string& error);

  CamsimAudioCodec codec() const { return codec_; }
  const char* codecName() const { return codec_ == CamsimAudioCodec::Aac ? "AAC" : "PCMU"; }
  uint8_t payloadType() const { return codec_ == CamsimAudioCodec::Aac ? kAacPayloadType : 0; }
  uint32_t clockRate() const { return clockRate_; }
  uint32_t channels() const { return channels_; }
  uint32_t samplesPerPacket() const { return samplesPerPacket_; }
  const std::vector<uint8_t>& aacConfig() const { return aacConfig_; }  // AudioSpecificConfig

  size_t packetCount() const { return packets_.size(); }
  const CamsimClipFrame& packet(size_t i) const { return packets_[i]; }
  const uint8_t* packetData(size_t i) const { return bytes_.data() + packets_[i].offset; }
  size_t maxPacketSize() const { return maxPacketSize_; }

 private:
  void appendPacket(const uint8_t* header, size_t headerSize, const uint8_t* payload, size_t size,
                    bool marker);
  bool splitAdts(const std::vector<uint8_t>& file, std::string& error);

  CamsimAudioCodec codec_ = CamsimAudioCodec::None;
  uint32_t clockRate_ = 0, channels_ = 0, samplesPerPacket_ = 0;
  std::vector<uint8_t> aacConfig_;
  std::vector<uint8_t> bytes_;
  std::vector<CamsimClipFrame> packets_;
  size_t maxPacketSize_ = 0;
};

}  // namespace sluice::camsim
