#pragma once
// RFC 3640 `mpeg4-generic` MPEG-4 Audio RTP payloads -> raw AAC access units. A packet is
// AU-headers-length (16 bits, in bits), the AU-headers (AU-size, AU-Index or AU-Index-delta,
// optional CTS/DTS/RAP/stream-state fields, per the fmtp), an optional auxiliary section, then
// the AUs. One AU larger than a packet is fragmented over packets of the same timestamp, each
// with the AU-header of the whole AU; it is reassembled in one buffer allocated at
// construction. The i-th AU of a packet is stamped packet timestamp + i x increment.
// Headers that lie (sizes that do not add up, headers beyond the packet), interleaving, and
// fragments that do not continue the AU in progress are counted errors; nothing partial is
// emitted. After a sequence gap, a fragment is accepted as a start only once the stream is
// back at an AU boundary (a marker packet, or one of complete AUs, received in order), so a
// lost start never yields a spliced AU. O(AU headers + bytes) per packet, no allocation after construction.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "media/AacAccessUnit.h"
#include "media/AacConfig.h"

namespace sluice::media {

// The fmtp parameters of an mpeg4-generic audio stream (RFC 3640 §4.1).
struct Mpeg4GenericParams {
  int sizeLength = 0;  // AAC-hbr: 13, AAC-lbr: 6
  int indexLength = 0, indexDeltaLength = 0;
  int ctsDeltaLength = 0, dtsDeltaLength = 0;
  bool randomAccessIndication = false;
  int streamStateIndication = 0;
  int auxiliaryDataSizeLength = 0;
  AacConfig config;
};

// Parses "streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3;
// indexdeltalength=3; config=1190". Fails on a missing or bad config, streamtype other than
// 5 (audio), a mode other than AAC-hbr/AAC-lbr without explicit lengths, sizelength outside
// 1..16, other lengths outside 0..32.
bool parseMpeg4GenericFmtp(std::string_view fmtp, Mpeg4GenericParams& params, std::string& error);

class Mpeg4GenericDepacketizer {
 public:
  // timestampIncrement: RTP units per AU (AacConfig::timestampIncrement(clockRate)).
  Mpeg4GenericDepacketizer(const Mpeg4GenericParams& params, uint32_t timestampIncrement);

  AacRtpError push(const uint8_t* payload, size_t size, uint32_t timestamp, uint16_t sequence, bool marker,
                   AacAccessUnitSink& sink);
  // Parses a whole RTP packet and pushes its payload.
  AacRtpError pushRtp(const uint8_t* packet, size_t size, AacAccessUnitSink& sink);

  uint64_t accessUnits() const { return accessUnits_; }
  uint64_t errors() const { return errors_; }
  uint64_t droppedFragments() const { return droppedFragments_; }  // incomplete AUs given up

 private:
  AacRtpError handle(const uint8_t* payload, size_t size, uint32_t timestamp, bool afterGap,
                     AacAccessUnitSink& sink);
  void dropFragment();

  Mpeg4GenericParams params_;
  uint32_t increment_;
  std::vector<uint8_t> buffer_;  // owned, sized once: a fragmented AU being reassembled
  size_t fragmentSize_ = 0;      // 0: no fragment in progress
  size_t fragmentFill_ = 0;
  uint32_t fragmentTimestamp_ = 0;
  bool haveSequence_ = false;
  uint16_t lastSequence_ = 0;
  bool synced_ = true;  // false from a sequence gap until an AU boundary (marker, complete AUs)
  uint64_t accessUnits_ = 0, errors_ = 0, droppedFragments_ = 0;
};

}  // namespace sluice::media
