#include "media/Mpeg4GenericSplitter.h"

#include <algorithm>
#include <cstring>

#include "media/BitReader.h"
#include "media/RtpPacket.h"

namespace sluice::media {

namespace {

size_t headerWidth(const Mpeg4GenericParams& p) {
  // Each field is at most 32 bits (parseMpeg4GenericFmtp): no overflow.
  return static_cast<size_t>(p.sizeLength) + static_cast<size_t>(p.indexLength) +
         (p.randomAccessIndication ? 1 : 0) + static_cast<size_t>(p.streamStateIndication);
}

size_t bytesFor(size_t bits) { return (bits + 7) / 8; }

}  // namespace

bool Mpeg4GenericSplitter::supports(const Mpeg4GenericParams& p) {
  return p.sizeLength > 0 && p.ctsDeltaLength == 0 && p.dtsDeltaLength == 0 &&
         p.auxiliaryDataSizeLength == 0 && p.indexLength == p.indexDeltaLength;
}

Mpeg4GenericSplitter::Mpeg4GenericSplitter(const Mpeg4GenericParams& params, uint32_t timestampIncrement,
                                           size_t maxPayload)
    : supported_(supports(params)),
      headerBits_(headerWidth(params)),
      sizeLength_(params.sizeLength),
      indexLength_(params.indexLength),
      increment_(timestampIncrement),
      maxPayload_(maxPayload),
      packet_(maxPayload) {
  // Room for the headers-length field, one AU-header and at least one byte of data.
  if (maxPayload_ < 2 + bytesFor(headerBits_) + 1) supported_ = false;
}

bool Mpeg4GenericSplitter::split(const uint8_t* payload, size_t size, uint32_t timestamp, bool marker,
                                 uint16_t lostBefore, ShapedPacketSink& sink) {
  if (!supported_ || size < 2) return false;
  const size_t headerBits = readBe16(payload);
  if (headerBits == 0 || headerBits % headerBits_ != 0) return false;
  const size_t count = headerBits / headerBits_;
  const size_t headerBytes = bytesFor(headerBits);
  if (2 + headerBytes > size) return false;
  const uint8_t* headers = payload + 2;
  const uint8_t* data = headers + headerBytes;
  const size_t dataSize = size - 2 - headerBytes;

  // Every AU-header read before anything leaves: sizes, and AU-Index (-delta) 0 (in order).
  const auto auSize = [&](size_t i) {
    BitReader r(headers, headerBytes);
    r.seek(i * headerBits_);
    return static_cast<size_t>(r.readBits(sizeLength_));
  };
  size_t total = 0;
  BitReader r(headers, headerBytes);
  for (size_t i = 0; i < count; ++i) {
    total += r.readBits(sizeLength_);
    if (r.readBits(indexLength_) != 0) return false;  // interleaved: AUs not in order
    r.skipBits(headerBits_ - static_cast<size_t>(sizeLength_ + indexLength_));  // flags, copied as they are
  }
  if (r.failed()) return false;
  lostBefore_ = lostBefore;

  if (count == 1 && auSize(0) > dataSize) {
    // Already a fragment of an AU larger than the packet: cut it finer, same header each time.
    if (dataSize == 0) return false;
    emitFragments(headers, 0, data, dataSize, timestamp, marker, sink);
    return true;
  }
  if (total != dataSize) return false;

  size_t i = 0;
  const uint8_t* at = data;
  while (i < count) {
    // As many whole AUs as fit behind their headers.
    size_t n = 0, bytes = 0;
    while (i + n < count && 2 + bytesFor((n + 1) * headerBits_) + bytes + auSize(i + n) <= maxPayload_) {
      bytes += auSize(i + n);
      ++n;
    }
    const uint32_t ts = timestamp + static_cast<uint32_t>(i) * increment_;
    if (n > 0) {
      emit(headers, i, n, at, bytes, ts, true, sink);
      at += bytes;
      i += n;
      continue;
    }
    // One AU too large for a packet alone: its fragments.
    const size_t auBytes = auSize(i);
    emitFragments(headers, i, at, auBytes, ts, true, sink);
    at += auBytes;
    ++i;
  }
  return true;
}

void Mpeg4GenericSplitter::emitFragments(const uint8_t* headers, size_t index, const uint8_t* data,
                                         size_t size, uint32_t timestamp, bool markerOnLast,
                                         ShapedPacketSink& sink) {
  const size_t room = maxPayload_ - (2 + bytesFor(headerBits_));  // after headers-length + one AU-header
  for (size_t off = 0; off < size; off += room) {
    const size_t n = std::min(room, size - off);
    emit(headers, index, 1, data + off, n, timestamp, off + n == size && markerOnLast, sink);
  }
}

void Mpeg4GenericSplitter::emit(const uint8_t* headers, size_t first, size_t count, const uint8_t* data,
                                size_t size, uint32_t timestamp, bool marker, ShapedPacketSink& sink) {
  const size_t bits = count * headerBits_;
  const size_t headerBytes = bytesFor(bits);
  uint8_t* out = packet_.data();
  out[0] = static_cast<uint8_t>(bits >> 8);
  out[1] = static_cast<uint8_t>(bits);
  std::memset(out + 2, 0, headerBytes);
  // Bit by bit: a header need not start on a byte boundary (AAC-hbr's are 16 bits, others not).
  const size_t from = first * headerBits_;
  for (size_t b = 0; b < bits; ++b) {
    const size_t src = from + b;
    if ((headers[src >> 3] >> (7 - (src & 7))) & 1)
      out[2 + (b >> 3)] |= static_cast<uint8_t>(0x80 >> (b & 7));
  }
  std::memcpy(out + 2 + headerBytes, data, size);
  sink.onShapedPacket({out, 2 + headerBytes + size, timestamp, marker, false, lostBefore_});
  lostBefore_ = 0;
}

}  // namespace sluice::media
