#pragma once
// Access unit -> H.265 RTP payloads as a camera sends them (RFC 7798 without DONL): a NAL
// unit that fits goes whole (single NAL unit packet), a larger one as FUs, all full but the
// last (NalFragmenter). Used by the camera simulator and tests. No allocation after
// construction.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/AnnexB.h"
#include "media/NalFragmenter.h"

namespace sluice::media {

class H265Packetizer {
 public:
  // maxPayload is clamped to at least 4 (an FU with one byte of body).
  explicit H265Packetizer(size_t maxPayload = 1400) : fragmenter_(NalCodec::H265, maxPayload) {}

  size_t maxPayload() const { return fragmenter_.maxPayload(); }

  // Calls emit(const uint8_t* payload, size_t size, bool marker) for every payload, the
  // marker on the access unit's last; `payload` is valid only during the call. NAL units
  // shorter than their 2-byte header are skipped.
  template <class Emit>
  void packetize(const NalUnitSpan* nals, size_t count, Emit&& emit) {
    size_t last = count;
    for (size_t i = count; i-- > 0;) {
      if (nals[i].size >= 2) {
        last = i;
        break;
      }
    }
    for (size_t i = 0; i < count; ++i) {
      const NalUnitSpan& nal = nals[i];
      if (nal.size < 2) continue;
      bool endsAccessUnit = i == last;
      if (nal.size <= maxPayload()) {
        emit(nal.data, nal.size, endsAccessUnit);
        continue;
      }
      auto out = [&](const uint8_t* p, size_t n, bool lastPiece) { emit(p, n, endsAccessUnit && lastPiece); };
      fragmenter_.begin(nal.data);
      fragmenter_.append(nal.data + 2, nal.size - 2, out);
      fragmenter_.end(out);
    }
  }

 private:
  NalFragmenter fragmenter_;  // owned
};

// H.265 access units of an Annex B stream (§7.4.2.4.4): a new one starts at an AUD, at a
// VPS/SPS/PPS/prefix SEI/reserved prefix type after a picture's slices, or at a slice whose
// first_slice_segment_in_pic_flag is set after slices. Spans point into the input.
std::vector<std::vector<NalUnitSpan>> splitH265AccessUnits(const uint8_t* data, size_t size);

}  // namespace sluice::media
