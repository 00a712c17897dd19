#include "app/DemoClip.h"

// .incbin keeps a megabyte-sized asset out of the C++ compiler (a hex array would take
// seconds to compile); CMake passes the clip path and tracks it as a dependency.
asm(".section .rodata\n"
    ".balign 16\n"
    ".global sluice_demo_clip_begin\n"
    "sluice_demo_clip_begin:\n"
    ".incbin \"" SLUICE_DEMO_CLIP
    "\"\n"
    ".global sluice_demo_clip_end\n"
    "sluice_demo_clip_end:\n"
    ".previous\n");

extern "C" const uint8_t sluice_demo_clip_begin[];
extern "C" const uint8_t sluice_demo_clip_end[];

namespace sluice::app {

EmbeddedClip demoClip() {
  return {sluice_demo_clip_begin, static_cast<size_t>(sluice_demo_clip_end - sluice_demo_clip_begin)};
}

}  // namespace sluice::app
