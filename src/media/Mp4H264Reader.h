#pragma once
// Reads the H.264 video track of an MP4 file (ISO BMFF, non-fragmented: one moov with the
// sample tables) into a loopable H264Clip, without decoding: the samples' length-prefixed NAL
// units become spans into the file's bytes, parameter sets come from avcC. It serves
// `alwaysAvailableFile`, an operator's file: every box size, table count and sample range is
// checked against the file, so a truncated or hostile file is refused with a clear error.
// Control plane only (whole file in memory, read once).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "media/H264Clip.h"

namespace sluice::media {

struct Mp4ReadResult {
  std::optional<H264Clip> clip;        // empty on error
  std::string error;                   // why not
  std::vector<std::string> skipped;    // other tracks, by sample entry type ("mp4a", "Opus", ...)
};

// Larger files are refused: the clip stays in memory for the life of the path.
constexpr size_t kMaxMp4FileSize = 64u << 20;

Mp4ReadResult readMp4H264(std::vector<uint8_t> file);
Mp4ReadResult readMp4H264File(const std::string& path);

}  // namespace sluice::media
