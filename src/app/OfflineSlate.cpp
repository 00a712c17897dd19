#include "app/OfflineSlate.h"

#include <stdexcept>
#include <string>

#include "app/DemoClip.h"

// .incbin as for the demo clip (DemoClip.cpp); CMake passes the path and tracks it.
asm(".section .rodata\n"
    ".balign 16\n"
    ".global sluice_offline_slate_begin\n"
    "sluice_offline_slate_begin:\n"
    ".incbin \"" SLUICE_OFFLINE_SLATE
    "\"\n"
    ".global sluice_offline_slate_end\n"
    "sluice_offline_slate_end:\n"
    ".previous\n");

extern "C" const uint8_t sluice_offline_slate_begin[];
extern "C" const uint8_t sluice_offline_slate_end[];

namespace sluice::app {

namespace {
std::shared_ptr<const media::H264Clip> embedded(const uint8_t* data, size_t size, uint32_t fps,
                                                const char* what) {
  std::string error;
  std::optional<media::H264Clip> clip = media::clipFromAnnexB(data, size, fps, error);
  // The assets are built with the binary: a broken one is a build defect, not an input error.
  if (!clip) throw std::logic_error(std::string("embedded ") + what + " is unusable: " + error);
  return std::make_shared<const media::H264Clip>(std::move(*clip));
}
}  // namespace

std::shared_ptr<const media::H264Clip> offlineSlateClip() {
  static const std::shared_ptr<const media::H264Clip> clip = [] {
    const size_t size = static_cast<size_t>(sluice_offline_slate_end - sluice_offline_slate_begin);
    return embedded(sluice_offline_slate_begin, size, 10, "offline slate");
  }();
  return clip;
}

std::shared_ptr<const media::H264Clip> demoVideoClip() {
  static const std::shared_ptr<const media::H264Clip> clip = [] {
    EmbeddedClip c = demoClip();
    return embedded(c.data, c.size, 30, "demo clip");
  }();
  return clip;
}

}  // namespace sluice::app
