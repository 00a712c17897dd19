#pragma once
// Sluice's own offline slate (assets/offline.h264, made by scripts/make-offline-slate.sh:
// "STREAM IS OFFLINE", H.264 1280x720 at 10 fps), linked into the binary; and the clips the
// built-in sources loop, parsed once per process and shared by every path.
#include <memory>

#include "media/H264Clip.h"

namespace sluice::app {

std::shared_ptr<const media::H264Clip> offlineSlateClip();
std::shared_ptr<const media::H264Clip> demoVideoClip();

}  // namespace sluice::app
