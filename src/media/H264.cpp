#include "media/H264.h"

#include "core/AsciiText.h"
#include "core/Base64.h"

namespace sluice::media {

using core::trim;

bool parseSpropParameterSets(std::string_view value, H264ParameterSets& sets, std::string& error) {
  H264ParameterSets found;
  while (true) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (!item.empty()) {
      auto nal = core::base64Decode(item);
      if (!nal) {
        error = "sprop-parameter-sets: invalid base64 '" + std::string(item) + "'";
        return false;
      }
      if (nal->empty()) {
        error = "sprop-parameter-sets: empty NAL unit";
        return false;
      }
      uint8_t type = h264::nalType((*nal)[0]);
      if (type == h264::kSps && found.sps.empty()) found.sps = std::move(*nal);
      if (type == h264::kPps && found.pps.empty()) found.pps = std::move(*nal);
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (found.sps.empty()) {
    error = "sprop-parameter-sets: no SPS";
    return false;
  }
  if (found.pps.empty()) {
    error = "sprop-parameter-sets: no PPS";
    return false;
  }
  sets = std::move(found);
  return true;
}

std::string profileLevelIdOf(const uint8_t* sps, size_t size) {
  if (size < 4) return {};
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 1; i < 4; ++i) {
    out += kHex[sps[i] >> 4];
    out += kHex[sps[i] & 0xf];
  }
  return out;
}

}  // namespace sluice::media
