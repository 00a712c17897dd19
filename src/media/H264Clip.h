#pragma once
// A short H.264 clip held in memory to be looped as if it were a camera (the demo source, the
// offline slate of alwaysAvailable): access units in decoding order with their timing, and
// the parameter sets. Built once, on the control plane; the player reads it per frame without
// allocating. Loopable by construction: it starts at an IDR, so the jump from its last frame
// back to its first needs nothing from before.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "media/AnnexB.h"

namespace sluice::media {

struct H264ClipFrame {
  std::vector<NalUnitSpan> nals;    // point into the clip's bytes (or the embedded asset)
  uint32_t durationTicks = 0;       // 90 kHz, until the next frame's decoding time
  int32_t presentationOffset = 0;   // 90 kHz, presentation minus decoding time (B-frames)
  bool idr = false;
};

struct H264Clip {
  H264Clip() = default;
  H264Clip(const H264Clip&) = delete;  // frames point into bytes
  H264Clip& operator=(const H264Clip&) = delete;
  H264Clip(H264Clip&&) = default;  // a moved vector keeps its buffer
  H264Clip& operator=(H264Clip&&) = default;

  std::vector<uint8_t> bytes;  // owned storage; empty when the frames point into the binary
  std::vector<H264ClipFrame> frames;
  std::vector<uint8_t> sps, pps;  // the first ones of the clip
  uint32_t width = 0, height = 0;

  uint64_t durationTicks() const;
};

// A clip over an Annex-B elementary stream at a constant frame rate. The bytes are not
// copied: they must outlive the clip (an asset linked into the binary). Frames before the
// first IDR are dropped; nullopt (and why in `error`) when there is no IDR or no SPS/PPS.
std::optional<H264Clip> clipFromAnnexB(const uint8_t* data, size_t size, uint32_t fps, std::string& error);

// Shared by the readers: drops frames before the first IDR, finds the first SPS/PPS when none
// was given and the picture size. False (and why) when the clip is not playable.
bool finishClip(H264Clip& clip, std::string& error);

}  // namespace sluice::media
