#include "media/H264Sps.h"

#include "media/H264.h"
#include "media/H264BitReader.h"

namespace sluice::media {

namespace {

// Profiles whose SPS carries chroma format, bit depth and scaling matrices (§7.3.2.1.1).
bool hasChromaInfo(uint8_t profile) {
  switch (profile) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return true;
    default:
      return false;
  }
}

// Values are only range-checked; the coefficients themselves are not needed.
bool skipScalingList(H264BitReader& r, int size) {
  int lastScale = 8, nextScale = 8;
  for (int j = 0; j < size; ++j) {
    if (nextScale != 0) {
      int32_t delta = r.readSe();
      if (delta < -128 || delta > 127) return false;
      nextScale = (lastScale + delta + 256) % 256;
    }
    lastScale = nextScale == 0 ? lastScale : nextScale;
  }
  return true;
}

}  // namespace

const char* describe(SpsError error) {
  switch (error) {
    case SpsError::None:
      return "ok";
    case SpsError::NotSps:
      return "not an SPS NAL unit";
    case SpsError::Truncated:
      return "SPS truncated";
    case SpsError::BadValue:
      return "SPS field out of range";
  }
  return "unknown SPS error";
}

SpsError parseSps(const uint8_t* nal, size_t size, H264SpsInfo& info) {
  if (size < 1 || h264::nalType(nal[0]) != h264::kSps) return SpsError::NotSps;
  H264BitReader r(nal + 1, size - 1);
  H264SpsInfo out;
  out.profileIdc = static_cast<uint8_t>(r.readBits(8));
  out.constraintFlags = static_cast<uint8_t>(r.readBits(8));
  out.levelIdc = static_cast<uint8_t>(r.readBits(8));
  out.spsId = r.readUe();
  if (out.spsId > 31) return SpsError::BadValue;

  bool separateColourPlanes = false;
  if (hasChromaInfo(out.profileIdc)) {
    out.chromaFormatIdc = r.readUe();
    if (out.chromaFormatIdc > 3) return SpsError::BadValue;
    if (out.chromaFormatIdc == 3) separateColourPlanes = r.readBit();
    uint32_t lumaMinus8 = r.readUe(), chromaMinus8 = r.readUe();
    if (lumaMinus8 > 6 || chromaMinus8 > 6) return SpsError::BadValue;
    out.bitDepthLuma = 8 + lumaMinus8;
    out.bitDepthChroma = 8 + chromaMinus8;
    r.readBit();        // qpprime_y_zero_transform_bypass_flag
    if (r.readBit()) {  // seq_scaling_matrix_present_flag
      int lists = out.chromaFormatIdc != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i) {
        if (r.readBit() && !skipScalingList(r, i < 6 ? 16 : 64)) return SpsError::BadValue;
      }
    }
  }

  if (r.readUe() > 12) return SpsError::BadValue;  // log2_max_frame_num_minus4
  uint32_t pocType = r.readUe();
  if (pocType > 2) return SpsError::BadValue;
  if (pocType == 0) {
    if (r.readUe() > 12) return SpsError::BadValue;  // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType == 1) {
    r.readBit();  // delta_pic_order_always_zero_flag
    r.readSe();   // offset_for_non_ref_pic
    r.readSe();   // offset_for_top_to_bottom_field
    uint32_t cycle = r.readUe();
    if (cycle > 255) return SpsError::BadValue;
    for (uint32_t i = 0; i < cycle; ++i) r.readSe();
  }
  r.readUe();   // max_num_ref_frames
  r.readBit();  // gaps_in_frame_num_value_allowed_flag
  uint32_t widthMbs = r.readUe() + 1;
  uint32_t heightMapUnits = r.readUe() + 1;
  out.frameMbsOnly = r.readBit();
  if (!out.frameMbsOnly) r.readBit();  // mb_adaptive_frame_field_flag
  r.readBit();                         // direct_8x8_inference_flag
  uint32_t cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
  if (r.readBit()) {
    cropLeft = r.readUe();
    cropRight = r.readUe();
    cropTop = r.readUe();
    cropBottom = r.readUe();
  }
  if (r.failed()) return SpsError::Truncated;
  // readUe() caps at 2^32-2, so +1 cannot wrap; 1024 macroblocks = 16384 pixels is far
  // beyond any level limit and keeps the arithmetic below in range.
  if (widthMbs > 1024 || heightMapUnits > 1024) return SpsError::BadValue;

  // Table 6-1 and equations 7-19..7-22: crop units depend on chroma subsampling.
  uint32_t frameHeightFactor = out.frameMbsOnly ? 1 : 2;
  uint32_t cropUnitX = 1, cropUnitY = frameHeightFactor;
  if (!separateColourPlanes && out.chromaFormatIdc != 0) {
    cropUnitX = out.chromaFormatIdc == 3 ? 1 : 2;
    cropUnitY = (out.chromaFormatIdc == 1 ? 2 : 1) * frameHeightFactor;
  }
  uint64_t codedWidth = uint64_t{widthMbs} * 16;
  uint64_t codedHeight = uint64_t{heightMapUnits} * 16 * frameHeightFactor;
  uint64_t cropX = (uint64_t{cropLeft} + cropRight) * cropUnitX;
  uint64_t cropY = (uint64_t{cropTop} + cropBottom) * cropUnitY;
  if (cropX >= codedWidth || cropY >= codedHeight) return SpsError::BadValue;
  out.width = static_cast<uint32_t>(codedWidth - cropX);
  out.height = static_cast<uint32_t>(codedHeight - cropY);
  info = out;
  return SpsError::None;
}

}  // namespace sluice::media
