#include "media/H265Packetizer.h"

#include "media/H265.h"

namespace sluice::media {

std::vector<std::vector<NalUnitSpan>> splitH265AccessUnits(const uint8_t* data, size_t size) {
  std::vector<std::vector<NalUnitSpan>> units;
  bool sawSlice = false;
  for (const NalUnitSpan& nal : splitAnnexB(data, size)) {
    if (nal.size < 2) continue;
    uint8_t type = h265::nalType(nal.data);
    bool isSlice = type < 32;
    bool startsPrefix = type == h265::kAud || h265::isParameterSet(type) || type == h265::kPrefixSei ||
                        (type >= 41 && type <= 44) || (type >= 48 && type <= 55);
    bool firstSliceOfPicture = isSlice && nal.size > 2 && (nal.data[2] & 0x80) != 0;
    if (units.empty() || type == h265::kAud || (sawSlice && (startsPrefix || firstSliceOfPicture))) {
      units.emplace_back();
      sawSlice = false;
    }
    units.back().push_back(nal);
    if (isSlice) sawSlice = true;
  }
  return units;
}

}  // namespace sluice::media
