#include "media/H264Clip.h"

#include "media/H264.h"
#include "media/H264Sps.h"

namespace sluice::media {

uint64_t H264Clip::durationTicks() const {
  uint64_t total = 0;
  for (const H264ClipFrame& f : frames) total += f.durationTicks;
  return total;
}

std::optional<H264Clip> clipFromAnnexB(const uint8_t* data, size_t size, uint32_t fps, std::string& error) {
  if (fps == 0) {
    error = "frame rate must not be zero";
    return std::nullopt;
  }
  H264Clip clip;
  for (std::vector<NalUnitSpan>& au : splitAccessUnits(data, size)) {
    H264ClipFrame frame;
    frame.durationTicks = 90000 / fps;
    for (const NalUnitSpan& nal : au) frame.idr = frame.idr || h264::nalType(nal.data[0]) == h264::kIdr;
    frame.nals = std::move(au);
    clip.frames.push_back(std::move(frame));
  }
  if (!finishClip(clip, error)) return std::nullopt;
  return clip;
}

bool finishClip(H264Clip& clip, std::string& error) {
  size_t firstIdr = 0;
  while (firstIdr < clip.frames.size() && !clip.frames[firstIdr].idr) ++firstIdr;
  if (firstIdr == clip.frames.size()) {
    error = clip.frames.empty() ? "no H.264 frame" : "no IDR frame (a loop must start at a keyframe)";
    return false;
  }
  if (clip.sps.empty() || clip.pps.empty()) {
    // In-band parameter sets, searched from the first IDR's access unit backwards too.
    for (const H264ClipFrame& f : clip.frames) {
      for (const NalUnitSpan& nal : f.nals) {
        uint8_t type = h264::nalType(nal.data[0]);
        if (type == h264::kSps && clip.sps.empty()) clip.sps.assign(nal.data, nal.data + nal.size);
        if (type == h264::kPps && clip.pps.empty()) clip.pps.assign(nal.data, nal.data + nal.size);
      }
      if (!clip.sps.empty() && !clip.pps.empty()) break;
    }
  }
  if (clip.sps.empty() || clip.pps.empty()) {
    error = "no SPS/PPS (parameter sets) in the clip";
    return false;
  }
  H264SpsInfo info;
  if (parseSps(clip.sps.data(), clip.sps.size(), info) != SpsError::None) {
    error = "the clip's SPS cannot be parsed";
    return false;
  }
  clip.width = info.width;
  clip.height = info.height;
  clip.frames.erase(clip.frames.begin(), clip.frames.begin() + static_cast<std::ptrdiff_t>(firstIdr));
  // Looped at real time: frames without duration would be sent as fast as the CPU goes.
  if (clip.durationTicks() < clip.frames.size() * 90) {
    error = "the clip's frames have (almost) no duration: less than 1 ms per frame on average";
    return false;
  }
  return true;
}

}  // namespace sluice::media
