#pragma once
// MPEG-4 Audio AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) as SDP carries it: the
// `config=` hex of RFC 3640 mpeg4-generic, or inside LATM's StreamMuxConfig (RFC 6416).
// Parsed enough to describe the track (object type, sample rate including the explicit
// 24-bit form, channels), to time its access units (960 or 1024 samples, SBR) and to hand
// the exact config bytes to a decoder. Control plane: allocation is fine here.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::media {

class BitReader;

struct AacConfig {
  uint8_t objectType = 0;         // the core coder: 2 = AAC LC (also under SBR/PS), 1 Main, 4 LTP...
  uint32_t sampleRate = 0;        // of the core coder
  uint32_t outputSampleRate = 0;  // after SBR (HE-AAC) if signalled explicitly, else sampleRate
  uint8_t channelConfig = 0;      // 0 means a program_config_element (not supported: rejected)
  uint8_t channels = 0;
  bool sbr = false, ps = false;  // HE-AAC (v2) signalled explicitly (object type 5 / 29)
  uint16_t frameLength = 1024;   // samples per access unit of the core coder (960 if flagged)
  std::vector<uint8_t> bytes;    // the AudioSpecificConfig itself, byte-padded

  // RTP timestamp units per access unit for a stream with this RTP clock rate.
  uint32_t timestampIncrement(uint32_t clockRate) const;
  // For logs, e.g. "AAC LC 48000 Hz 2 ch" or "HE-AAC 24000/48000 Hz 2 ch".
  std::string describe() const;
};

// Parses an AudioSpecificConfig from the reader's position; on success `config.bytes` holds
// the bits read (realigned to a byte boundary). On failure sets `error`.
bool parseAudioSpecificConfig(BitReader& reader, AacConfig& config, std::string& error);
// After an AudioSpecificConfig read inline with no length given (LATM's StreamMuxConfig with
// audioMuxVersion 0), reads a backward-compatible SBR (and PS) signal, syncExtensionType 0x2b7,
// if the next bits carry one, as decoders do; its bits join `config.bytes`. Otherwise, or if it
// is malformed, reads nothing.
void parseSyncExtension(BitReader& reader, size_t ascStart, AacConfig& config);
// Whole config given as bytes (mpeg4-generic). Trailing bits beyond the parsed ones (e.g. a
// backward-compatible SBR extension) are kept in `bytes`.
std::optional<AacConfig> parseAudioSpecificConfig(const uint8_t* data, size_t size, std::string& error);
// From fmtp `config=` hex (upper or lower case, no separators).
std::optional<AacConfig> parseAudioSpecificConfigHex(std::string_view hex, std::string& error);

// Decodes an fmtp hex string; nullopt on odd length or a non-hex digit.
std::optional<std::vector<uint8_t>> decodeHex(std::string_view hex);

}  // namespace sluice::media
