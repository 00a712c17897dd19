#pragma once
// RTP payloads -> Annex B access units (RFC 6184 single NAL unit, STAP-A, FU-A). An access
// unit ends at the marker bit or when the timestamp changes. One with a missing FU-A
// fragment, a sequence gap or a malformed payload is dropped and counted. Used by tests and
// the load client to compare bytes; allocates while buffers grow, then reuses them.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace sluice::media {

struct H264AccessUnit {
  const uint8_t* data;  // Annex B: each NAL unit preceded by 00 00 00 01
  size_t size;
  uint32_t timestamp;
  bool keyframe;  // contains an IDR slice
};

enum class DepacketizeError { None, MalformedRtp, EmptyPayload, Unsupported, MalformedStapA, MalformedFuA };
const char* describe(DepacketizeError error);

class H264Depacketizer {
 public:
  // The access unit is valid only during the call.
  using Callback = std::function<void(const H264AccessUnit&)>;
  explicit H264Depacketizer(Callback onAccessUnit);

  DepacketizeError push(const uint8_t* payload, size_t size, uint32_t timestamp, uint16_t sequence,
                        bool marker);
  // Parses a whole RTP packet and pushes its payload.
  DepacketizeError pushRtp(const uint8_t* packet, size_t size);
  // Emits an access unit still waiting for its marker (end of stream).
  void flush();

  uint64_t accessUnits() const { return accessUnits_; }
  uint64_t droppedAccessUnits() const { return dropped_; }
  uint64_t malformedPayloads() const { return malformed_; }

 private:
  DepacketizeError append(const uint8_t* payload, size_t size);
  void appendNal(uint8_t header, const uint8_t* body, size_t bodySize);
  void finish();
  void reset();

  Callback onAccessUnit_;
  std::vector<uint8_t> buffer_;
  bool active_ = false;  // an access unit is in progress
  bool broken_ = false;  // ... and will be dropped
  bool keyframe_ = false;
  bool inFragment_ = false;  // between an FU-A start and its end
  uint32_t timestamp_ = 0;
  bool haveSequence_ = false;
  uint16_t lastSequence_ = 0;
  uint64_t accessUnits_ = 0, dropped_ = 0, malformed_ = 0;
};

}  // namespace sluice::media
