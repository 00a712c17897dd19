#include "media/H264Packetizer.h"

#include <algorithm>
#include <cstring>

#include "media/H264FuA.h"

namespace sluice::media {

H264Packetizer::H264Packetizer(size_t maxPayload)
    : maxPayload_(std::max<size_t>(maxPayload, kFuAOverhead + 1)) {}

void H264Packetizer::packetize(const NalUnitSpan* nals, size_t count, uint8_t* out,
                               RtpPayloadSink& sink) const {
  size_t last = count;  // index of the last non-empty NAL unit: it carries the marker
  for (size_t i = count; i-- > 0;) {
    if (nals[i].size > 0) {
      last = i;
      break;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    const NalUnitSpan& nal = nals[i];
    if (nal.size == 0) continue;
    bool endsAccessUnit = i == last;
    if (nal.size <= maxPayload_) {
      std::memcpy(out, nal.data, nal.size);
      sink.onPayload(out, nal.size, endsAccessUnit);
      continue;
    }
    writeFuAFragments(nal.data[0], nal.data + 1, nal.size - 1, maxPayload_, true, true, out,
                      [&](const uint8_t* p, size_t n, bool lastPiece) {
                        sink.onPayload(p, n, endsAccessUnit && lastPiece);
                      });
  }
}

}  // namespace sluice::media
