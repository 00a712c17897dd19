#pragma once
// FU-A fragmentation (RFC 6184 §5.8) of whole NAL units, for the packetizer. The ingest shaper
// re-fragments streaming, across camera fragments, with media/NalFragmenter.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "media/H264.h"

namespace sluice::media {

// Bytes an FU-A payload spends on its indicator and header.
constexpr size_t kFuAOverhead = 2;

// Number of FU-A payloads of at most maxPayload bytes needed for `bodySize` bytes of NAL body.
inline size_t fuAFragmentCount(size_t bodySize, size_t maxPayload) {
  size_t chunk = maxPayload - kFuAOverhead;
  return bodySize == 0 ? 1 : (bodySize + chunk - 1) / chunk;
}

// Splits a NAL unit body (the bytes after its header) into FU-A payloads of at most
// maxPayload (> kFuAOverhead) bytes, sized evenly so no tiny tail fragment is produced.
// `start`/`end` say whether the body begins/ends the original NAL unit: S goes only on the
// first fragment of a start, E only on the last fragment of an end. Each payload is written
// to `out` and passed to emit(const uint8_t*, size_t, bool isLast) before the next is built.
template <class Emit>
void writeFuAFragments(uint8_t nalHeader, const uint8_t* body, size_t bodySize, size_t maxPayload, bool start,
                       bool end, uint8_t* out, Emit&& emit) {
  const uint8_t indicator = static_cast<uint8_t>((nalHeader & 0xe0) | h264::kFuA);
  const uint8_t type = h264::nalType(nalHeader);
  const size_t count = fuAFragmentCount(bodySize, maxPayload);
  const size_t base = bodySize / count, extra = bodySize % count;  // first `extra` get one more
  size_t offset = 0;
  for (size_t i = 0; i < count; ++i) {
    size_t n = base + (i < extra ? 1 : 0);
    bool first = i == 0, last = i + 1 == count;
    out[0] = indicator;
    out[1] =
        static_cast<uint8_t>((first && start ? h264::kFuStart : 0) | (last && end ? h264::kFuEnd : 0) | type);
    if (n > 0) std::memcpy(out + kFuAOverhead, body + offset, n);
    offset += n;
    emit(static_cast<const uint8_t*>(out), n + kFuAOverhead, last);
  }
}

}  // namespace sluice::media
