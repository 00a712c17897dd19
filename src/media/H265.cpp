#include "media/H265.h"

#include "core/AsciiText.h"
#include "core/Base64.h"

namespace sluice::media {

using core::trim;

namespace {

bool parseList(const char* name, std::string_view value, uint8_t type, std::vector<uint8_t>& out,
               std::string& error) {
  while (true) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (!item.empty()) {
      auto nal = core::base64Decode(item);
      if (!nal) {
        error = std::string(name) + ": invalid base64 '" + std::string(item) + "'";
        return false;
      }
      if (nal->size() <= h265::kNalHeaderSize) {
        error = std::string(name) + ": NAL unit shorter than its header";
        return false;
      }
      if (h265::nalType(nal->data()) != type) {
        error = std::string(name) + ": NAL unit of type " + std::to_string(h265::nalType(nal->data())) +
                ", expected " + std::to_string(type);
        return false;
      }
      if (out.empty()) out = std::move(*nal);
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (out.empty()) {
    error = std::string(name) + ": missing";
    return false;
  }
  return true;
}

}  // namespace

bool parseH265Sprop(std::string_view vps, std::string_view sps, std::string_view pps, H265ParameterSets& sets,
                    std::string& error) {
  H265ParameterSets found;
  if (!parseList("sprop-vps", vps, h265::kVps, found.vps, error)) return false;
  if (!parseList("sprop-sps", sps, h265::kSps, found.sps, error)) return false;
  if (!parseList("sprop-pps", pps, h265::kPps, found.pps, error)) return false;
  sets = std::move(found);
  return true;
}

}  // namespace sluice::media
