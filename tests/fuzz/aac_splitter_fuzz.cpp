// module: media
// Cuts RFC 3640 payloads with Mpeg4GenericSplitter and checks the cut against the whole: every
// packet fits, nothing leaves when the cut is refused, and a receiver depacketizes from the
// packets exactly the access units (bytes and timestamps) it gets from the whole payload.
// Input: byte 0 picks the fmtp, byte 1 the payload size limit (16..1,036 bytes), then records
// of [u16 length][payload], each cut on its own.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "media/Mpeg4GenericDepacketizer.h"
#include "media/Mpeg4GenericSplitter.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {

struct Unit {
  std::vector<uint8_t> bytes;
  uint32_t timestamp;
  bool operator==(const Unit&) const = default;
};

struct Units : AacAccessUnitSink {
  std::vector<Unit> got;
  void onAccessUnit(const AacAccessUnit& u) override {
    if (u.size == 0) std::abort();
    got.push_back({{u.data, u.data + u.size}, u.timestamp});
  }
  // A receiver reassembles fragments only up to kMaxAacAccessUnitSize; a whole packet's AUs
  // may be larger (and a cut one then never arrives: nothing to compare).
  bool reassemblable() const {
    for (const auto& u : got)
      if (u.bytes.size() > kMaxAacAccessUnitSize) return false;
    return true;
  }
};

struct Receiver : ShapedPacketSink {
  Receiver(const Mpeg4GenericParams& p, size_t max) : depacketizer(p, 1024), maxPayload(max) {}
  Mpeg4GenericDepacketizer depacketizer;
  Units units;
  size_t maxPayload;
  size_t packets = 0;
  uint16_t sequence = 0;
  void onShapedPacket(const ShapedPacket& p) override {
    if (p.size == 0 || p.size > maxPayload) std::abort();
    ++packets;
    (void)depacketizer.push(p.payload, p.size, p.timestamp, sequence++, p.marker, units);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const char* kFmtps[] = {"mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190",
                                 "mode=AAC-lbr;sizelength=6;indexlength=2;indexdeltalength=2;config=1588",
                                 "sizelength=13;indexlength=0;indexdeltalength=0;randomaccessindication=1;"
                                 "streamstateindication=3;config=1190",
                                 "sizelength=16;indexlength=0;indexdeltalength=0;config=1210"};
  Mpeg4GenericParams params;
  std::string error;
  if (!parseMpeg4GenericFmtp(kFmtps[data[0] & 3], params, error)) std::abort();
  const size_t maxPayload = 16 + size_t{data[1]} * 4;
  Mpeg4GenericSplitter splitter(params, 1024, maxPayload);

  size_t offset = 2;
  while (offset + 2 <= size) {
    size_t n = readBe16(data + offset);
    offset += 2;
    if (n > size - offset) n = size - offset;
    const uint8_t* payload = data + offset;
    offset += n;

    Receiver rx(params, maxPayload);
    const bool cut = splitter.split(payload, n, 1000, true, 0, rx);
    if (!cut) {
      if (rx.packets != 0) std::abort();
      continue;
    }
    // The whole payload, depacketized as it came: the same units (a lone fragment yields none
    // either way).
    Mpeg4GenericDepacketizer whole(params, 1024);
    Units expected;
    if (whole.push(payload, n, 1000, 0, true, expected) == AacRtpError::None && expected.reassemblable() &&
        expected.got != rx.units.got)
      std::abort();
  }
  return 0;
}
