// module: media
// Feeds RTP packets to the RFC 3640 and the LATM depacketizers. Input: byte 0 picks the
// payload format and its parameters, then records of [u16 length][packet]. Every access
// unit is read in full and size-checked.
#include <cstdlib>
#include <string>

#include "media/LatmDepacketizer.h"
#include "media/Mpeg4GenericDepacketizer.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {
struct CheckingSink : AacAccessUnitSink {
  void onAccessUnit(const AacAccessUnit& u) override {
    if (u.size == 0 || u.size > kMaxAacAccessUnitSize) std::abort();
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < u.size; ++i) sum = sum + u.data[i];
  }
};

template <class D>
void run(D& d, const uint8_t* data, size_t size) {
  CheckingSink sink;
  size_t offset = 1;
  while (offset + 2 <= size) {
    size_t n = readBe16(data + offset);
    offset += 2;
    if (n > size - offset) n = size - offset;
    (void)describe(d.pushRtp(data + offset, n, sink));
    offset += n;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string error;
  uint8_t mode = data[0];
  if (mode & 1) {
    LatmConfig config;
    // Subframes 1..4, optional other data.
    static const char* kConfigs[] = {"cpresent=0;config=400023203fc0", "cpresent=0;config=410023203fc0",
                                     "cpresent=0;config=430023203fc0", "cpresent=0;config=400023203fe020"};
    if (!parseLatmFmtp(kConfigs[(mode >> 1) & 3], config, error)) return 0;
    LatmDepacketizer d(config, 1024);
    run(d, data, size);
  } else {
    Mpeg4GenericParams params;
    static const char* kFmtps[] = {
        "mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190",
        "mode=AAC-lbr;sizelength=6;indexlength=2;indexdeltalength=2;config=1588",
        "sizelength=13;ctsdeltalength=4;dtsdeltalength=3;randomaccessindication=1;streamstateindication=2;"
        "auxiliarydatasizelength=8;config=1190",
        "sizelength=16;indexlength=0;indexdeltalength=0;config=1210"};
    if (!parseMpeg4GenericFmtp(kFmtps[(mode >> 1) & 3], params, error)) std::abort();
    Mpeg4GenericDepacketizer d(params, 1024);
    run(d, data, size);
  }
  return 0;
}
