#include "media/H265Sps.h"

#include "media/H264BitReader.h"  // the RBSP reader: H.265 uses the same emulation prevention
#include "media/H265.h"

namespace sluice::media {

namespace {

// Largest picture dimension any level allows (level 6.2: sqrt(8 x MaxLumaPs)).
constexpr uint32_t kMaxDimension = 16888;
constexpr uint32_t kMaxSubLayers = 7;

using BitReader = H264BitReader;

// profile_tier_level(1, maxSubLayersMinus1), §7.3.3.
void readProfileTierLevel(BitReader& r, uint32_t maxSubLayersMinus1, H265ProfileTierLevel& ptl) {
  ptl.profileSpace = static_cast<uint8_t>(r.readBits(2));
  ptl.tierFlag = r.readBit() != 0;
  ptl.profileIdc = static_cast<uint8_t>(r.readBits(5));
  ptl.compatibilityFlags = r.readBits(32);
  for (auto& b : ptl.constraintFlags) b = static_cast<uint8_t>(r.readBits(8));
  ptl.levelIdc = static_cast<uint8_t>(r.readBits(8));
  bool profilePresent[8] = {}, levelPresent[8] = {};
  for (uint32_t i = 0; i < maxSubLayersMinus1; ++i) {
    profilePresent[i] = r.readBit() != 0;
    levelPresent[i] = r.readBit() != 0;
  }
  if (maxSubLayersMinus1 > 0) {
    for (uint32_t i = maxSubLayersMinus1; i < 8; ++i) r.readBits(2);  // reserved_zero_2bits
  }
  for (uint32_t i = 0; i < maxSubLayersMinus1; ++i) {
    if (profilePresent[i]) {  // 88 bits: profile space .. constraint flags
      r.readBits(24);
      r.readBits(32);
      r.readBits(32);
    }
    if (levelPresent[i]) r.readBits(8);
  }
}

bool headerIs(const uint8_t* nal, size_t size, uint8_t type) {
  return nal != nullptr && size > h265::kNalHeaderSize && h265::nalType(nal) == type;
}

}  // namespace

const char* describe(H265PsError error) {
  switch (error) {
    case H265PsError::None:
      return "ok";
    case H265PsError::WrongType:
      return "not an H.265 VPS/SPS NAL unit";
    case H265PsError::Truncated:
      return "H.265 parameter set truncated";
    case H265PsError::BadValue:
      return "H.265 parameter set field out of range";
  }
  return "unknown H.265 parameter set error";
}

H265PsError parseH265Vps(const uint8_t* nal, size_t size, H265VpsInfo& info) {
  if (!headerIs(nal, size, h265::kVps)) return H265PsError::WrongType;
  BitReader r(nal + h265::kNalHeaderSize, size - h265::kNalHeaderSize);
  H265VpsInfo v;
  v.vpsId = static_cast<uint8_t>(r.readBits(4));
  r.readBits(2);  // base layer internal / available
  r.readBits(6);  // vps_max_layers_minus1
  uint32_t maxSubLayersMinus1 = r.readBits(3);
  r.readBit();     // temporal id nesting
  r.readBits(16);  // reserved 0xffff
  if (maxSubLayersMinus1 + 1 > kMaxSubLayers) return H265PsError::BadValue;
  v.maxSubLayers = static_cast<uint8_t>(maxSubLayersMinus1 + 1);
  readProfileTierLevel(r, maxSubLayersMinus1, v.ptl);
  if (r.failed()) return H265PsError::Truncated;
  info = v;
  return H265PsError::None;
}

H265PsError parseH265Sps(const uint8_t* nal, size_t size, H265SpsInfo& info) {
  if (!headerIs(nal, size, h265::kSps)) return H265PsError::WrongType;
  BitReader r(nal + h265::kNalHeaderSize, size - h265::kNalHeaderSize);
  H265SpsInfo s;
  s.vpsId = static_cast<uint8_t>(r.readBits(4));
  uint32_t maxSubLayersMinus1 = r.readBits(3);
  r.readBit();  // temporal id nesting
  if (maxSubLayersMinus1 + 1 > kMaxSubLayers) return H265PsError::BadValue;
  s.maxSubLayers = static_cast<uint8_t>(maxSubLayersMinus1 + 1);
  readProfileTierLevel(r, maxSubLayersMinus1, s.ptl);
  s.spsId = r.readUe();
  s.chromaFormatIdc = r.readUe();
  if (r.failed()) return H265PsError::Truncated;
  if (s.spsId > 15 || s.chromaFormatIdc > 3) return H265PsError::BadValue;
  bool separateColourPlanes = s.chromaFormatIdc == 3 && r.readBit() != 0;
  s.codedWidth = r.readUe();
  s.codedHeight = r.readUe();
  uint32_t left = 0, right = 0, top = 0, bottom = 0;
  if (r.readBit()) {
    left = r.readUe();
    right = r.readUe();
    top = r.readUe();
    bottom = r.readUe();
  }
  uint32_t depthLuma = r.readUe(), depthChroma = r.readUe();
  if (r.failed()) return H265PsError::Truncated;
  if (s.codedWidth == 0 || s.codedHeight == 0 || s.codedWidth > kMaxDimension ||
      s.codedHeight > kMaxDimension)
    return H265PsError::BadValue;
  if (depthLuma > 8 || depthChroma > 8) return H265PsError::BadValue;
  // Conformance window offsets count in chroma samples (Table 6-1).
  uint32_t chromaArrayType = separateColourPlanes ? 0 : s.chromaFormatIdc;
  uint64_t subWidth = (chromaArrayType == 1 || chromaArrayType == 2) ? 2 : 1;
  uint64_t subHeight = chromaArrayType == 1 ? 2 : 1;
  uint64_t cropX = subWidth * (uint64_t{left} + right), cropY = subHeight * (uint64_t{top} + bottom);
  if (cropX >= s.codedWidth || cropY >= s.codedHeight) return H265PsError::BadValue;
  s.width = static_cast<uint32_t>(s.codedWidth - cropX);
  s.height = static_cast<uint32_t>(s.codedHeight - cropY);
  s.bitDepthLuma = depthLuma + 8;
  s.bitDepthChroma = depthChroma + 8;
  info = s;
  return H265PsError::None;
}

std::string h265FmtpProfile(const H265ProfileTierLevel& ptl) {
  return "profile-id=" + std::to_string(ptl.profileIdc) + ";tier-flag=" + (ptl.tierFlag ? "1" : "0") +
         ";level-id=" + std::to_string(ptl.levelIdc);
}

const char* h265ProfileName(uint8_t profileIdc) {
  // H.265 Annex A's general_profile_idc values.
  switch (profileIdc) {
    case 1:
      return "Main";
    case 2:
      return "Main 10";
    case 3:
      return "Main Still Picture";
    case 4:
      return "Range Extensions";
    case 5:
      return "High Throughput";
    case 6:
      return "Multiview Main";
    case 7:
      return "Scalable Main";
    case 8:
      return "3D Main";
    case 9:
      return "Screen Content Coding Extensions";
    case 10:
      return "Scalable Range Extensions";
    default:
      return nullptr;
  }
}

std::string h265LevelName(uint8_t levelIdc) {
  // level_idc is 30 x the level: 93 -> 3.1, 120 -> 4.
  std::string level = std::to_string(levelIdc / 30);
  if (levelIdc % 30 != 0) level += "." + std::to_string((levelIdc % 30) / 3);
  return level;
}

std::string describeProfile(const H265ProfileTierLevel& ptl) {
  const char* name = h265ProfileName(ptl.profileIdc);
  return (name ? std::string(name) : "profile " + std::to_string(ptl.profileIdc)) + ", level " +
         h265LevelName(ptl.levelIdc) + (ptl.tierFlag ? ", High tier" : ", Main tier");
}

}  // namespace sluice::media
