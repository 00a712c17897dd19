// module: media
// Parses arbitrary bytes as an SPS NAL unit, and also as an Annex B stream split into access
// units (whose SPS units are parsed) and as sprop-parameter-sets text.
#include <cstdlib>
#include <string>
#include <string_view>

#include "media/AnnexB.h"
#include "media/H264.h"
#include "media/H264Sps.h"

using namespace sluice::media;

namespace {
void checkSps(const uint8_t* data, size_t size) {
  H264SpsInfo info;
  if (parseSps(data, size, info) == SpsError::None && (info.width == 0 || info.height == 0)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  checkSps(data, size);
  for (const auto& au : splitAccessUnits(data, size)) {
    for (const auto& nal : au) {
      if (nal.size == 0 || nal.data < data || nal.data + nal.size > data + size) std::abort();
      if (h264::nalType(nal.data[0]) == h264::kSps) checkSps(nal.data, nal.size);
    }
  }
  H264ParameterSets sets;
  std::string error;
  if (parseSpropParameterSets(std::string_view(reinterpret_cast<const char*>(data), size), sets, error)) {
    if (sets.sps.empty() || sets.pps.empty()) std::abort();
    (void)profileLevelIdOf(sets.sps);
  }
  return 0;
}
