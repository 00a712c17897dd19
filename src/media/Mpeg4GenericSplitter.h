#pragma once
// Cuts an RFC 3640 `mpeg4-generic` payload larger than the stream's payload size into packets
// that fit, on access-unit boundaries: ffmpeg's RTSP muxer, for one, packs AAC frames into
// packets of up to 1,460 bytes, over WebRTC's 1,188. Each packet gets the AU-headers of the AUs
// it carries and the timestamp of its first AU (packet timestamp + i x increment); an AU that
// fits no packet alone is fragmented as §3.2.3 allows (the whole AU's header in each fragment,
// the same timestamp, the marker on the last). A receiver depacketizes the same AUs with the
// same timestamps. Only AU-headers of one width are cut (no CTS/DTS deltas, no auxiliary
// section, AU-Index and AU-Index-delta of one length: every known AAC sender); anything else,
// and headers that do not describe the payload, is refused and left to the caller.
// O(AUs + bytes) per packet cut, no allocation after construction. One thread.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/Mpeg4GenericDepacketizer.h"
#include "media/ShapedPacket.h"

namespace sluice::media {

class Mpeg4GenericSplitter {
 public:
  // Whether payloads described by these parameters can be cut.
  static bool supports(const Mpeg4GenericParams& params);

  // timestampIncrement: RTP units per AU (AacConfig::timestampIncrement(clockRate)).
  Mpeg4GenericSplitter(const Mpeg4GenericParams& params, uint32_t timestampIncrement, size_t maxPayload);

  // Emits `payload` as packets of at most maxPayload bytes; lostBefore goes with the first.
  // False, with nothing emitted, when the AU-headers do not describe the payload (sizes that
  // do not add up, interleaving) or the parameters are not supported.
  bool split(const uint8_t* payload, size_t size, uint32_t timestamp, bool marker, uint16_t lostBefore,
             ShapedPacketSink& sink);

 private:
  // Writes one packet: AU-headers copied from the source's headers [first, first + count),
  // then `size` bytes of AU data.
  void emit(const uint8_t* headers, size_t first, size_t count, const uint8_t* data, size_t size,
            uint32_t timestamp, bool marker, ShapedPacketSink& sink);
  // `size` bytes of AU `index` (a whole AU or a sender's fragment of one) in packets under its
  // own AU-header each, the last with the marker bit when markerOnLast.
  void emitFragments(const uint8_t* headers, size_t index, const uint8_t* data, size_t size,
                     uint32_t timestamp, bool markerOnLast, ShapedPacketSink& sink);

  bool supported_;
  size_t headerBits_;  // bits of one AU-header
  int sizeLength_;
  int indexLength_;  // AU-Index and AU-Index-delta alike
  uint32_t increment_;
  size_t maxPayload_;
  uint16_t lostBefore_ = 0;      // for the next packet emitted
  std::vector<uint8_t> packet_;  // owned, maxPayload bytes: the packet being written
};

}  // namespace sluice::media
