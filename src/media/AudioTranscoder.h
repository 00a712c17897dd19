#pragma once
// Audio that browsers cannot take (AAC, G.711 not at 8 kHz mono) -> 20 ms Opus packets, as
// an interface: the implementation (transcode/AudioOpusTranscoder, on Debian's libavcodec,
// libswresample and libopus) lives in a module loaded with dlopen on the first stream that
// needs it. Those libraries pull in some eighty more (X11, VA-API, x265...) that would cost
// every server ~12 MB of mapped pages, start-up time and system calls outside its sandbox
// even when no camera sends AAC; loaded on demand, only a server that transcodes pays.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "media/AacAccessUnit.h"
#include "media/AacConfig.h"

namespace sluice::media {

class OpusPacketSink {
 public:
  virtual ~OpusPacketSink() = default;
  // One 20 ms Opus packet; `data` is valid only during the call.
  virtual void onOpusPacket(const uint8_t* data, size_t size, uint32_t timestamp48k) = 0;
};

class AudioTranscoder {
 public:
  static constexpr uint32_t kOutputRate = 48000;  // Opus' RTP clock

  virtual ~AudioTranscoder() = default;
  // One input unit with its RTP timestamp in the input's clock: a raw AAC access unit (no
  // ADTS header), or a G.711 RTP payload. Emits zero or more Opus packets to `sink`; their
  // timestamps are the input's, unwrapped to 64 bits and rescaled to 48 kHz (lip sync).
  virtual void push(const uint8_t* unit, size_t size, uint32_t rtpTimestamp, OpusPacketSink& sink) = 0;
  void push(const AacAccessUnit& unit, OpusPacketSink& sink) { push(unit.data, unit.size, unit.timestamp, sink); }
  // Drops all state; the next push re-anchors. Counters are kept.
  virtual void reset() = 0;

  virtual uint64_t framesIn() const = 0;
  virtual uint64_t packetsOut() const = 0;
  virtual uint64_t decodeErrors() const = 0;
};

struct AudioTranscoderSpec {
  enum class Input { Aac, G711MuLaw, G711ALaw };
  Input input = Input::Aac;
  AacConfig aac;            // Input::Aac
  uint32_t sampleRate = 0;  // G.711
  uint32_t channels = 0;    // G.711
  uint32_t clockRate = 0;   // the track's RTP clock rate
};

// Loads the transcoding module on first use (SLUICE_TRANSCODE_MODULE, else
// libsluice-transcode.so next to the executable, in its parent folder, or in ../lib/sluice/)
// and creates a transcoder. nullptr with `error` set when the module cannot be loaded or the
// input cannot be transcoded. Control plane (first reader of a stream): not per packet.
std::unique_ptr<AudioTranscoder> createAudioTranscoder(const AudioTranscoderSpec& spec, std::string& error);

// The factory the module exports (C linkage, looked up by name).
using AudioTranscoderFactory = AudioTranscoder* (*)(const AudioTranscoderSpec* spec, std::string* error);
inline constexpr const char* kAudioTranscoderFactorySymbol = "sluice_create_audio_transcoder";

}  // namespace sluice::media
