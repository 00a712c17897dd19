#pragma once
// RFC 6416 `MP4A-LATM` RTP payloads -> raw AAC access units, for streams that carry their
// StreamMuxConfig out of band (fmtp cpresent=0; config=<hex>). A payload holds one or more
// audioMuxElements, each PayloadLengthInfo + PayloadMux per subframe (numSubFrames + 1 AUs,
// stamped packet timestamp + i x increment), or a fragment of one element spread over
// packets of one timestamp, the last with the marker bit; fragments are reassembled in one
// buffer allocated at construction. Lengths beyond the element, a marker packet that ends
// an incomplete element, and elements that overflow the buffer are counted errors; nothing
// partial is emitted. After a sequence gap an incomplete element is dropped, and a packet
// is accepted as an element start only once the stream is back at an element boundary.
// O(bytes) per packet, no allocation after construction.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "media/AacAccessUnit.h"
#include "media/AacConfig.h"

namespace sluice::media {

// The parts of StreamMuxConfig (ISO/IEC 14496-3 §1.7.3.1) the payload format depends on.
// Supported: audioMuxVersion 0 or 1 (A = 0), one program, one layer, all streams sharing
// time framing, frameLengthType 0 (AAC with PayloadLengthInfo), as every AAC camera sends.
struct LatmConfig {
  uint8_t subFrames = 1;  // numSubFrames + 1: AUs per audioMuxElement
  uint32_t otherDataBits = 0;
  AacConfig audio;
  // From the publisher's fmtp, for the SDP Sluice's own readers get: without the config a
  // reader cannot decode (GStreamer's depayloader waits for it forever).
  std::vector<uint8_t> streamMuxConfig;  // the config= bytes as given
  std::string profileLevelId;            // empty when the fmtp gives none
  std::string object;                    // empty when the fmtp gives none
};

bool parseStreamMuxConfig(const uint8_t* data, size_t size, LatmConfig& config, std::string& error);
// From the fmtp: requires cpresent=0 and config=<StreamMuxConfig hex>.
bool parseLatmFmtp(std::string_view fmtp, LatmConfig& config, std::string& error);

class LatmDepacketizer {
 public:
  static constexpr size_t kMaxElementSize = 16384;

  // timestampIncrement: RTP units per AU (config.audio.timestampIncrement(clockRate)).
  LatmDepacketizer(const LatmConfig& config, uint32_t timestampIncrement);

  AacRtpError push(const uint8_t* payload, size_t size, uint32_t timestamp, uint16_t sequence, bool marker,
                   AacAccessUnitSink& sink);
  AacRtpError pushRtp(const uint8_t* packet, size_t size, AacAccessUnitSink& sink);

  uint64_t accessUnits() const { return accessUnits_; }
  uint64_t errors() const { return errors_; }
  uint64_t droppedFragments() const { return droppedFragments_; }

 private:
  enum class Scan { Complete, Incomplete, Malformed };
  // Walks the audioMuxElements of `data`; hands their AUs to `sink` when it is not null.
  Scan scan(const uint8_t* data, size_t size, uint32_t timestamp, AacAccessUnitSink* sink);
  AacRtpError handle(const uint8_t* payload, size_t size, uint32_t timestamp, bool marker,
                     AacAccessUnitSink& sink);
  void dropPending();

  LatmConfig config_;
  uint32_t increment_;
  std::vector<uint8_t> buffer_;  // owned, sized once: an element being reassembled
  size_t fill_ = 0;
  bool pending_ = false;
  uint32_t pendingTimestamp_ = 0;
  bool haveSequence_ = false;
  uint16_t lastSequence_ = 0;
  bool synced_ = true;  // false from a sequence gap until an element boundary
  uint64_t accessUnits_ = 0, errors_ = 0, droppedFragments_ = 0;
};

}  // namespace sluice::media
