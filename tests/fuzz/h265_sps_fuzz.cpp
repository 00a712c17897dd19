// module: media
// Parses arbitrary bytes as an H.265 VPS and SPS NAL unit (the first byte rewritten to each
// type as well), and as sprop-vps/sps/pps text.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "media/H265.h"
#include "media/H265Sps.h"

using namespace sluice::media;

namespace {
void check(const uint8_t* data, size_t size) {
  H265SpsInfo sps;
  if (parseH265Sps(data, size, sps) == H265PsError::None) {
    if (sps.width == 0 || sps.height == 0 || sps.width > sps.codedWidth || sps.height > sps.codedHeight)
      std::abort();
    (void)h265FmtpProfile(sps.ptl);
    (void)describeProfile(sps.ptl);
  }
  H265VpsInfo vps;
  if (parseH265Vps(data, size, vps) == H265PsError::None && (vps.maxSubLayers < 1 || vps.maxSubLayers > 7))
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check(data, size);
  if (size >= 2) {
    std::vector<uint8_t> copy(data, data + size);
    for (uint8_t type : {32, 33}) {
      copy[0] = static_cast<uint8_t>(type << 1);
      check(copy.data(), copy.size());
    }
  }
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t a = text.find('|'), b = a == std::string_view::npos ? a : text.find('|', a + 1);
  if (b != std::string_view::npos) {
    H265ParameterSets sets;
    std::string error;
    if (parseH265Sprop(text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1), sets, error) &&
        (sets.vps.size() < 3 || sets.sps.size() < 3 || sets.pps.size() < 3))
      std::abort();
  }
  return 0;
}
